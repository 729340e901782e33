"""Links between lessons and the exercises they practise, in both directions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalogue.models import Lesson

pytestmark = pytest.mark.django_db


def make_lesson(slug: str, title: str, exercise_slugs: list[str], order: int = 1, topic: str = "vae") -> Lesson:
    return Lesson.objects.create(
        slug=slug, title=title, topic=topic, order=order, summary="Summary.", body="$x^2$", exercise_slugs=exercise_slugs
    )


def test_lesson_links_exercises_by_title(client, exercises):
    make_lesson("elbo", "The ELBO", ["gaussian-kl", "vae-loss", "not-written-yet"])

    detail = client.get(reverse("catalogue:lesson_detail", args=["elbo"])).content.decode()

    kl_link = f'<a href="/exercises/gaussian-kl/">{exercises["gaussian-kl"].title}</a>'
    vae_link = f'<a href="/exercises/vae-loss/">{exercises["vae-loss"].title}</a>'
    assert kl_link in detail
    assert vae_link in detail
    assert detail.index(kl_link) < detail.index(vae_link)
    assert "not-written-yet" not in detail
    assert "<math" in detail


def test_exercise_links_back_to_its_lessons(client, exercises):
    make_lesson("elbo", "The ELBO", ["vae-loss"], order=1)
    make_lesson("reparam", "Reparameterization", ["vae-loss"], order=2)
    make_lesson("gans", "GAN basics", ["gan-step"], topic="gan")

    page = client.get(reverse("learning:exercise_detail", args=["vae-loss"])).content.decode()

    assert '<p class="exercise-lessons">Lessons: <a href="/lessons/elbo/">The ELBO</a>, ' in page
    assert '<a href="/lessons/reparam/">Reparameterization</a></p>' in page
    assert "/lessons/gans/" not in page


def test_exercise_without_lessons_has_no_lesson_line(client, exercises):
    page = client.get(reverse("learning:exercise_detail", args=["vae-loss"])).content.decode()

    assert "exercise-lessons" not in page


def test_lesson_list_groups_by_topic_with_links(client):
    make_lesson("elbo", "The ELBO", ["vae-loss"], topic="vae")
    make_lesson("minimax", "The minimax game", [], topic="gan")

    page = client.get(reverse("catalogue:lesson_list")).content.decode()

    assert '<h2 id="topic-1">Generative adversarial networks</h2>' in page
    assert '<h2 id="topic-2">Variational autoencoders</h2>' in page
    assert '<a href="/lessons/elbo/">The ELBO</a>' in page
    assert '<a href="/lessons/minimax/">The minimax game</a>' in page
