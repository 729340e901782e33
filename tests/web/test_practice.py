"""Practice mode for interview questions: FSRS scheduling, the due queue and its pages."""

from __future__ import annotations

import datetime

import fsrs
import pytest
from django.urls import reverse

from catalogue.models import Question
from learning import messages
from learning.models import QuestionCard, QuestionReview
from learning.selectors import questions_due_for_learner
from learning.services import question_review_record

pytestmark = pytest.mark.django_db

REVIEWED_AT = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def make_question(slug: str, topic: str = "vae", level: str = "junior", title: str | None = None) -> Question:
    return Question.objects.create(
        slug=slug, title=title or slug.replace("-", " ").capitalize(), topic=topic, level=level, tags=[],
        question="Show $\\mathrm{KL} \\ge 0$.", answer_strategy="Use Jensen's inequality.",
        key_points="Log is concave.", weak_answers="KL is a distance.", follow_ups="When is it zero?",
    )  # fmt: skip


def fsrs_due(ratings: list[fsrs.Rating], times: list[datetime.datetime]) -> datetime.datetime:
    """The due date fsrs computes for a new card reviewed with ``ratings`` at ``times``, without fuzzing."""
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    card = fsrs.Card(due=times[0])
    for rating, time in zip(ratings, times, strict=True):
        card, _ = scheduler.review_card(card, rating, review_datetime=time)
    return card.due


def test_review_good_moves_due_to_next_learning_step(learner):
    question = make_question("kl-sign")

    card = question_review_record(learner=learner, question=question, rating=QuestionReview.Rating.GOOD, reviewed_at=REVIEWED_AT)

    assert card.due == fsrs_due([fsrs.Rating.Good], [REVIEWED_AT])
    # fsrs 6.3.2's default learning steps are 1 and 10 minutes; Good on a new card moves to the second.
    assert card.due == REVIEWED_AT + datetime.timedelta(minutes=10)
    assert card.review_count == 1
    assert fsrs.Card.from_dict(card.card).due == card.due


def test_review_again_brings_card_back_soon(learner):
    question = make_question("kl-sign")

    card = question_review_record(learner=learner, question=question, rating=QuestionReview.Rating.AGAIN, reviewed_at=REVIEWED_AT)

    assert card.due == fsrs_due([fsrs.Rating.Again], [REVIEWED_AT])
    assert card.due == REVIEWED_AT + datetime.timedelta(minutes=1)


def test_review_updates_one_card_per_question(learner):
    question = make_question("kl-sign")
    later = REVIEWED_AT + datetime.timedelta(minutes=11)

    question_review_record(learner=learner, question=question, rating=QuestionReview.Rating.GOOD, reviewed_at=REVIEWED_AT)
    card = question_review_record(learner=learner, question=question, rating=QuestionReview.Rating.GOOD, reviewed_at=later)

    assert QuestionCard.objects.filter(learner=learner, question=question).count() == 1
    assert card.review_count == 2
    # Two Goods graduate the card to review state, so its interval is now in days.
    assert card.due - later >= datetime.timedelta(days=1)
    assert fsrs.Card.from_dict(card.card).state == fsrs.State.Review
    reviews = list(QuestionReview.objects.filter(learner=learner).order_by("reviewed_at"))
    assert [review.rating for review in reviews] == [QuestionReview.Rating.GOOD, QuestionReview.Rating.GOOD]
    assert reviews[-1].due_after == card.due


def test_review_rejects_unknown_rating(learner):
    question = make_question("kl-sign")

    with pytest.raises(ValueError):
        question_review_record(learner=learner, question=question, rating=5)

    assert not QuestionCard.objects.exists()


def test_due_queue_lists_due_then_new(learner, other_learner):
    overdue = make_question("overdue")
    due = make_question("due")
    make_question("not-due")
    new = make_question("new")
    for slug, minutes in (("overdue", 0), ("due", 5), ("not-due", 30)):
        question_review_record(
            learner=learner, question=Question.objects.get(slug=slug), rating=QuestionReview.Rating.AGAIN,
            reviewed_at=REVIEWED_AT + datetime.timedelta(minutes=minutes),
        )  # fmt: skip
    question_review_record(learner=other_learner, question=new, rating=QuestionReview.Rating.EASY, reviewed_at=REVIEWED_AT)

    items = questions_due_for_learner(learner=learner, now=REVIEWED_AT + datetime.timedelta(minutes=10))

    assert [item.question for item in items] == [overdue, due, new]
    assert [item.card is None for item in items] == [False, False, True]


def test_due_queue_filters_by_topic_and_level(learner):
    make_question("vae-junior", topic="vae", level="junior")
    make_question("vae-senior", topic="vae", level="senior")
    make_question("gan-junior", topic="gan", level="junior")

    by_topic = questions_due_for_learner(learner=learner, topic="vae")
    by_both = questions_due_for_learner(learner=learner, topic="vae", level="senior")

    assert [item.question.slug for item in by_topic] == ["vae-junior", "vae-senior"]
    assert [item.question.slug for item in by_both] == ["vae-senior"]


def test_practice_pages_need_login(client):
    make_question("kl-sign")

    response = client.get(reverse("learning:practice_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_practice_question_hides_answer_until_reveal(learner_client):
    make_question("kl-sign")
    url = reverse("learning:practice_question", args=["kl-sign"])

    hidden = learner_client.get(url).content.decode()
    revealed = learner_client.get(url, {"reveal": "1"}).content.decode()

    assert "<math" in hidden
    assert "Use Jensen" not in hidden
    assert ">Reveal</button>" in hidden
    for text in ("Use Jensen", "Log is concave.", "KL is a distance.", "When is it zero?"):
        assert text in revealed, text
    for value, label in ((1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy")):
        assert f'<button type="submit" name="rating" value="{value}">{label}</button>' in revealed


def test_rating_stores_card_and_opens_next_question(learner_client, learner):
    first = make_question("a-first", topic="vae")
    make_question("b-second", topic="vae")
    make_question("c-other-topic", topic="gan")

    response = learner_client.post(
        reverse("learning:question_review", args=["a-first"]), {"rating": "3", "topic": "vae"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("learning:practice_question", args=["b-second"]) + "?topic=vae"
    card = QuestionCard.objects.get(learner=learner, question=first)
    assert card.review_count == 1
    page = learner_client.get(response["Location"]).content.decode()
    expected = messages.REVIEW_RECORDED.format(due=f"{card.due:%Y-%m-%d %H:%M} UTC")
    assert expected in page


def test_rating_rejects_invalid_value(learner_client):
    make_question("kl-sign")

    response = learner_client.post(reverse("learning:question_review", args=["kl-sign"]), {"rating": "7"})

    assert response.status_code == 400
    assert response.content.decode() == messages.REVIEW_RATING_INVALID.text
    assert not QuestionCard.objects.exists()


def test_practice_list_shows_due_and_new(learner_client, learner):
    reviewed = make_question("reviewed", title="Reviewed question")
    make_question("fresh", title="Fresh question")
    question_review_record(learner=learner, question=reviewed, rating=QuestionReview.Rating.AGAIN, reviewed_at=REVIEWED_AT)

    page = learner_client.get(reverse("learning:practice_list")).content.decode()

    assert page.index("Reviewed question") < page.index("Fresh question")
    assert '<span class="practice-due">due 2026-03-02 09:01 UTC</span>' in page
    assert '<span class="practice-new">new</span>' in page
    assert '<label for="practice-topic">Topic</label>' in page
