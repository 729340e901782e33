"""The learner's dashboard: progress per topic and the activity chart."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Exercise, Question
from learning.charts import BOTTOM_MARGIN_PX, HEIGHT_PX, TOP_MARGIN_PX, activity_chart
from learning.models import QuestionReview, Submission
from learning.selectors import DayActivity, activity_per_day, progress_by_topic
from learning.services import question_review_record

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


def make_submission(learner, exercise: Exercise, status: str, attempt: int, created_at: datetime.datetime) -> Submission:
    return Submission.objects.create(
        learner=learner, exercise=exercise, exercise_version=exercise.version, attempt=attempt,
        source="pass\n", filename="submission.py", status=status, created_at=created_at,
    )  # fmt: skip


def make_question(slug: str, topic: str) -> Question:
    return Question.objects.create(
        slug=slug, title=slug, topic=topic, level="junior", tags=[], question="Q.", answer_strategy="A.",
        key_points="K.", weak_answers="W.", follow_ups="F.",
    )  # fmt: skip


def test_progress_counts_passed_exercises_and_reviewed_questions(learner, other_learner, exercises):
    vae_total = sum(1 for exercise in exercises.values() if exercise.topic == "vae" and exercise.is_active)
    make_submission(learner, exercises["vae-loss"], Submission.Status.FAILED, 1, at(TODAY))
    make_submission(learner, exercises["vae-loss"], Submission.Status.PASSED, 2, at(TODAY))
    make_submission(other_learner, exercises["gaussian-kl"], Submission.Status.PASSED, 1, at(TODAY))
    reviewed = make_question("kl-sign", "vae")
    make_question("elbo-gap", "vae")
    question_review_record(learner=learner, question=reviewed, rating=QuestionReview.Rating.GOOD)
    question_review_record(learner=learner, question=reviewed, rating=QuestionReview.Rating.GOOD)

    rows = {row.topic: row for row in progress_by_topic(learner=learner)}

    vae = rows["Variational autoencoders"]
    assert (vae.exercises_passed, vae.exercises_total) == (1, vae_total)
    assert (vae.questions_reviewed, vae.questions_total) == (1, 2)


def test_activity_counts_each_utc_day(learner, other_learner, exercises):
    exercise = exercises["vae-loss"]
    make_submission(learner, exercise, Submission.Status.FAILED, 1, at(TODAY, hour=0))
    make_submission(learner, exercise, Submission.Status.PASSED, 2, at(TODAY, hour=23))
    make_submission(learner, exercise, Submission.Status.FAILED, 3, at(TODAY - datetime.timedelta(days=2)))
    make_submission(learner, exercise, Submission.Status.FAILED, 4, at(TODAY - datetime.timedelta(days=30)))
    make_submission(other_learner, exercise, Submission.Status.FAILED, 1, at(TODAY))
    question_review_record(
        learner=learner, question=make_question("kl-sign", "vae"), rating=QuestionReview.Rating.AGAIN,
        reviewed_at=at(TODAY - datetime.timedelta(days=2)),
    )  # fmt: skip

    days = activity_per_day(learner=learner, days=3, today=TODAY)

    assert days == [
        DayActivity(TODAY - datetime.timedelta(days=2), submissions=1, reviews=1),
        DayActivity(TODAY - datetime.timedelta(days=1), submissions=0, reviews=0),
        DayActivity(TODAY, submissions=2, reviews=0),
    ]


def test_chart_scales_busiest_day_to_plot_height():
    days = [
        DayActivity(TODAY - datetime.timedelta(days=1), submissions=4, reviews=2),
        DayActivity(TODAY, submissions=0, reviews=1),
    ]

    chart = activity_chart(days)

    plot_height = HEIGHT_PX - BOTTOM_MARGIN_PX - TOP_MARGIN_PX
    assert chart.max_count == 4
    assert chart.days[0].submissions.height == plot_height
    assert chart.days[0].reviews.height == plot_height / 2
    assert chart.days[1].submissions.height == 0
    assert chart.days[1].reviews.y == chart.baseline_y - plot_height / 4
    assert (chart.total_submissions, chart.total_reviews) == (4, 3)


def test_chart_of_no_activity_has_flat_bars():
    chart = activity_chart([DayActivity(TODAY, submissions=0, reviews=0)])

    assert chart.max_count == 1
    assert chart.days[0].submissions.height == 0


def test_dashboard_page_renders_table_and_svg(learner_client, learner, exercises):
    make_submission(learner, exercises["vae-loss"], Submission.Status.PASSED, 1, timezone.now())

    page = learner_client.get(reverse("learning:dashboard")).content.decode()

    assert '<th scope="row">Variational autoencoders</th>' in page
    assert '<svg class="activity-chart"' in page
    assert page.count('<rect class="bar-submissions"') == 30
    assert "<script" not in page.split('<svg class="activity-chart"')[1]
    assert '<p id="activity-summary">1 submission and 0 question reviews; the busiest day had 1.</p>' in page


def test_dashboard_needs_login(client):
    response = client.get(reverse("learning:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
