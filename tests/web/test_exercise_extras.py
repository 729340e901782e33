"""Exercise page extras: the starter for the restore button, the draft key, and diffs between attempts."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from grader.exercise import get_exercise
from learning.models import Submission

pytestmark = pytest.mark.django_db


def make_submission(learner, exercise, attempt: int, source: str) -> Submission:
    return Submission.objects.create(
        learner=learner, exercise=exercise, exercise_version=exercise.version, attempt=attempt,
        source=source, filename="submission.py", status=Submission.Status.FAILED,
    )  # fmt: skip


def compare_url(old: Submission, new: Submission) -> str:
    return reverse("learning:submission_compare", args=[old.exercise.slug]) + f"?old={old.pk}&new={new.pk}"


def test_exercise_page_embeds_starter_and_draft_key(learner_client, vae_loss):
    page = learner_client.get(reverse("learning:exercise_detail", args=["vae-loss"])).content.decode()

    starter = get_exercise("vae-loss").starter
    script = page.split('<script id="starter-source" type="application/json">')[1].split("</script>")[0]
    assert json.loads(script) == starter
    assert f'data-draft-key="tensorcraft-draft:vae-loss:v{vae_loss.version}"' in page
    assert '<button type="button" id="restore-starter" class="secondary" hidden>Restore the starter code</button>' in page
    assert "data-draft-skip" not in page


def test_rejected_source_is_not_replaced_by_draft(learner_client, vae_loss):
    response = learner_client.post(reverse("learning:submission_submit", args=["vae-loss"]), {"source": "   "})

    assert response.status_code == 400
    assert 'data-draft-skip="true"' in response.content.decode()


def test_compare_form_needs_two_attempts(learner_client, learner, vae_loss):
    url = reverse("learning:exercise_detail", args=["vae-loss"])
    make_submission(learner, vae_loss, 1, "a = 1\n")
    one = learner_client.get(url).content.decode()
    make_submission(learner, vae_loss, 2, "a = 2\n")
    two = learner_client.get(url).content.decode()

    assert 'id="compare-form"' not in one
    assert 'id="compare-form"' in two
    assert '<label for="compare-old">Compare attempt</label>' in two


def test_compare_shows_escaped_changes(learner_client, learner, vae_loss):
    old = make_submission(learner, vae_loss, 1, "def f(x):\n    return x\n")
    new = make_submission(learner, vae_loss, 2, "def f(x):\n    return x < 1 and '<script>'\n")

    page = learner_client.get(compare_url(old, new)).content.decode()

    assert "<h1>Attempt #1 and attempt #2</h1>" in page
    assert '<table class="diff"' in page
    assert "<script>" not in page.split("<main")[1].split("</main>")[0]
    assert "&lt;script&gt;" in page
    assert 'class="diff_chg"' in page or 'class="diff_add"' in page


def test_compare_identical_attempts(learner_client, learner, vae_loss):
    old = make_submission(learner, vae_loss, 1, "a = 1\n")
    new = make_submission(learner, vae_loss, 2, "a = 1\n")

    page = learner_client.get(compare_url(old, new)).content.decode()

    assert '<p id="diff-identical">The two attempts have the same code.</p>' in page


def test_compare_hides_other_learners_attempts(learner_client, learner, other_learner, vae_loss):
    own = make_submission(learner, vae_loss, 1, "a = 1\n")
    theirs = make_submission(other_learner, vae_loss, 1, "secret = 2\n")

    response = learner_client.get(compare_url(own, theirs))

    assert response.status_code == 404
    assert "secret" not in response.content.decode()


@pytest.mark.parametrize("query", ["", "?old=1", "?old=x&new=2"], ids=["none", "one", "not-a-number"])
def test_compare_rejects_bad_query(learner_client, vae_loss, query):
    response = learner_client.get(reverse("learning:submission_compare", args=["vae-loss"]) + query)

    assert response.status_code == 404
