"""Pages: the exercise list and page, the starter notebook, lessons, questions and access to submissions."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.urls import reverse

from catalogue.models import Exercise, Lesson, Question
from catalogue.selectors import topic_title
from grader.exercise import all_exercises, get_exercise
from grader.submission import GRADED_CELL_MARKER
from learning.models import Submission

pytestmark = pytest.mark.django_db


def make_submission(learner, exercise, status=Submission.Status.QUEUED, attempt=1, **fields) -> Submission:
    return Submission.objects.create(
        learner=learner,
        exercise=exercise,
        exercise_version=exercise.version,
        attempt=attempt,
        source="def vae_loss(x, x_hat, mu, log_var, beta=1.0):\n    return 0\n",
        filename="submission.py",
        status=status,
        **fields,
    )


def sections_by_heading(page: str) -> dict[str, str]:
    """Split a list page into its topic sections: heading text -> the section's HTML."""
    sections = {}
    for section in page.split("<section")[1:]:
        heading = re.search(r'<h2 id="topic-\d+">([^<]+)</h2>', section)
        sections[heading.group(1)] = section
    return sections


def test_exercise_list_groups_by_topic(client, exercises):
    page = client.get(reverse("learning:exercise_list")).content.decode()

    sections = sections_by_heading(page)
    assert "Variational autoencoders" in sections
    for slug, source in all_exercises().items():
        link = f'<a href="/exercises/{slug}/">{html.escape(source.title)}</a>'
        assert link in sections[topic_title(source.topic)], slug


def test_exercise_list_shows_best_status(learner_client, learner, exercises):
    make_submission(learner, exercises["vae-loss"], Submission.Status.ERROR, attempt=1)
    make_submission(learner, exercises["vae-loss"], Submission.Status.PASSED, attempt=2)
    make_submission(learner, exercises["vae-loss"], Submission.Status.FAILED, attempt=3)
    make_submission(learner, exercises["gaussian-kl"], Submission.Status.ERROR)

    page = learner_client.get(reverse("learning:exercise_list")).content.decode()

    assert page.count('data-best-status="passed"') == 1
    assert page.count('data-best-status="error"') == 1
    assert page.count("data-best-status=") == 2


def test_exercise_list_hides_inactive_exercises(client, exercises):
    Exercise.objects.filter(slug="gaussian-kl").update(is_active=False)

    page = client.get(reverse("learning:exercise_list")).content.decode()

    assert "/exercises/gaussian-kl/" not in page
    assert client.get(reverse("learning:exercise_detail", args=["gaussian-kl"])).status_code == 404


def test_exercise_statement_renders_mathml(learner_client, vae_loss):
    response = learner_client.get(reverse("learning:exercise_detail", args=["vae-loss"]))
    page = response.content.decode()

    assert response.status_code == 200
    assert "<h1>The VAE loss: negative ELBO</h1>" in page
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in page
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in page
    assert "$$" not in page


def test_exercise_page_form_controls(learner_client, vae_loss):
    page = learner_client.get(reverse("learning:exercise_detail", args=["vae-loss"])).content.decode()

    assert '<label for="id_source">Code</label>' in page
    assert f"{html.escape(get_exercise('vae-loss').starter)}</textarea>" in page
    assert '<label for="id_file">' in page
    assert 'accept=".py,.ipynb"' in page
    assert 'href="/exercises/vae-loss/starter.ipynb"' in page
    assert 'id="verdict" class="verdict-region" aria-live="polite"' in page
    assert "/static/django_ace/ace/ace.js" in page


def test_anonymous_sees_login_link(client, vae_loss):
    page = client.get(reverse("learning:exercise_detail", args=["vae-loss"])).content.decode()

    assert "<h1>The VAE loss: negative ELBO</h1>" in page
    assert 'href="/accounts/login/?next=/exercises/vae-loss/"' in page
    assert 'id="code-form"' not in page


def test_unknown_exercise_is_404(client, exercises):
    assert client.get(reverse("learning:exercise_detail", args=["no-such-exercise"])).status_code == 404


def test_starter_notebook_download(client, vae_loss):
    response = client.get(reverse("learning:exercise_starter_notebook", args=["vae-loss"]))
    notebook = json.loads(response.content)

    graded = [cell for cell in notebook["cells"] if "".join(cell["source"]).startswith(GRADED_CELL_MARKER)]
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ipynb+json"
    assert response["Content-Disposition"] == 'attachment; filename="vae-loss.ipynb"'
    assert notebook["metadata"]["tensorcraft"] == {"exercise": "vae-loss", "version": get_exercise("vae-loss").version}
    assert len(graded) == 1


def test_submit_requires_login(client, vae_loss):
    response = client.post(reverse("learning:submission_submit", args=["vae-loss"]), {"source": "x = 1\n"})

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/exercises/vae-loss/submit/"
    assert Submission.objects.count() == 0


def test_other_learners_submission_is_404(client, learner, other_learner, vae_loss):
    submission = make_submission(learner, vae_loss)
    client.force_login(other_learner)

    page = client.get(reverse("learning:submission_detail", args=[submission.pk]))
    status = client.get(reverse("learning:submission_status", args=[submission.pk]), HTTP_ACCEPT="application/json")
    exercise_page = client.get(reverse("learning:exercise_detail", args=["vae-loss"])).content.decode()

    assert page.status_code == 404
    assert status.status_code == 404
    assert f'data-submission-id="{submission.pk}"' not in exercise_page


def test_learner_reads_own_submission(learner_client, learner, vae_loss):
    submission = make_submission(learner, vae_loss)

    page = learner_client.get(reverse("learning:submission_detail", args=[submission.pk])).content.decode()
    status = learner_client.get(reverse("learning:submission_status", args=[submission.pk])).json()

    assert "<h1>Attempt #1</h1>" in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert status["status"] == "queued"
    assert status["final"] is False
    assert "is waiting for a grader" in status["html"]


def test_status_lists_checks_and_diagnosis(learner_client, learner, vae_loss):
    verdict = {
        "status": "failed",
        "score": 0.25,
        "checks": [
            {"name": "batch of one: value", "visible": True, "passed": False, "message": "`loss` is 1 <b>", "stage": "value"},
            {"name": "hidden 1", "visible": False, "passed": True, "message": "Passed.", "stage": "shape"},
        ],
        "diagnosis": [{"id": "kl-wrong-sign", "message": "The KL term has the wrong sign."}],
        "output": "",
    }
    submission = make_submission(learner, vae_loss, Submission.Status.FAILED, score=0.25, verdict=verdict)

    status = learner_client.get(reverse("learning:submission_status", args=[submission.pk])).json()

    assert status["final"] is True
    assert status["checks"] == verdict["checks"]
    assert status["diagnosis"] == verdict["diagnosis"]
    assert '<span class="check-name">batch of one: value</span>' in status["html"]
    assert "`loss` is 1 &lt;b&gt;" in status["html"]
    assert '<span class="hidden-check">(hidden check)</span>' in status["html"]
    assert '<li data-diagnosis-id="kl-wrong-sign">The KL term has the wrong sign.</li>' in status["html"]
    assert '<span class="score">score 25%</span>' in status["html"]


def test_lesson_pages_render_math(client):
    Lesson.objects.create(
        slug="elbo", title="The ELBO", topic="vae", order=1, summary="Bound.", body="$x^2$", exercise_slugs=["vae-loss"]
    )

    listing = client.get(reverse("catalogue:lesson_list")).content.decode()
    detail = client.get(reverse("catalogue:lesson_detail", args=["elbo"])).content.decode()

    assert '<a href="/lessons/elbo/">The ELBO</a>' in listing
    assert "<msup><mi>x</mi><mn>2</mn></msup>" in detail
    # vae-loss is not in the Exercise table in this test, so it gets no link.
    assert 'href="/exercises/vae-loss/"' not in detail


def test_lesson_links_only_existing_exercises(client, exercises):
    Lesson.objects.create(
        slug="elbo", title="The ELBO", topic="vae", order=1, summary="Bound.", body="Text.",
        exercise_slugs=["vae-loss", "not-written-yet"],
    )  # fmt: skip

    detail = client.get(reverse("catalogue:lesson_detail", args=["elbo"])).content.decode()

    assert 'href="/exercises/vae-loss/"' in detail
    assert "not-written-yet" not in detail


def test_question_page_renders_sections(client):
    Question.objects.create(
        slug="kl-sign", title="Why is KL non-negative?", topic="vae", level="junior", tags=["kl"],
        question="Show $\\mathrm{KL} \\ge 0$.", answer_strategy="Jensen.", key_points="Concavity.",
        weak_answers="A distance.", follow_ups="When zero?",
    )  # fmt: skip

    listing = client.get(reverse("catalogue:question_list")).content.decode()
    detail = client.get(reverse("catalogue:question_detail", args=["kl-sign"])).content.decode()

    assert '<a href="/questions/kl-sign/">Why is KL non-negative?</a>' in listing
    assert "<summary>Answer strategy</summary><p>Jensen.</p>" in detail
    assert "<summary>Follow-ups</summary><p>When zero?</p>" in detail
    assert "<mo>&#x02265;</mo>" in detail


def test_unknown_lesson_and_question_are_404(client):
    assert client.get(reverse("catalogue:lesson_detail", args=["missing"])).status_code == 404
    assert client.get(reverse("catalogue:question_detail", args=["missing"])).status_code == 404
