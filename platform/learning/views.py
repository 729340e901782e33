"""Exercise pages, submissions, visible-checks runs and the JSON status endpoint that the exercise
page polls, the comparison of two attempts, question practice and the learner's dashboard.

The submit, run and upload views return JSON when the request's Accept header
is application/json, as the page's JavaScript sends it, and otherwise redirect
to the submission's page, so the forms also work without JavaScript.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from catalogue.models import Exercise
from catalogue.selectors import exercise_get_active, exercise_source, lesson_list_for_exercise, question_get
from grader.errors import ExerciseNotFound
from grader.submission import MAX_NOTEBOOK_BYTES
from learning import messages, selectors
from learning.charts import activity_chart
from learning.diffs import submission_diff_html
from learning.models import QuestionReview, Submission
from learning.services import (
    SubmissionRejected,
    question_review_record,
    submission_create,
    submission_create_from_file,
)

REJECTION_STATUS = {messages.TOO_MANY_PENDING.id: 429}


def exercise_list(request):
    learner = request.user if request.user.is_authenticated else None
    groups = selectors.exercise_groups_for_learner(learner=learner)
    return render(request, "learning/exercise_list.html", {"groups": groups})


def exercise_detail(request, slug: str):
    return _render_exercise(request, _exercise_or_404(slug))


@require_GET
def exercise_starter_notebook(request, slug: str):
    from grader.notebooks import starter_notebook_text

    exercise = _exercise_or_404(slug)
    response = HttpResponse(starter_notebook_text(_source_or_404(exercise)), content_type="application/x-ipynb+json")
    response["Content-Disposition"] = f'attachment; filename="{exercise.slug}.ipynb"'
    return response


@login_required
@require_POST
def submission_submit(request, slug: str):
    return _create_from_form(request, slug, visible_only=False)


@login_required
@require_POST
def submission_run_visible(request, slug: str):
    """Grade the posted code on the exercise's visible checks alone, in a run that does not count as an attempt."""
    return _create_from_form(request, slug, visible_only=True)


def _create_from_form(request, slug: str, *, visible_only: bool):
    exercise = _exercise_or_404(slug)
    source = request.POST.get("source", "")
    try:
        submission = submission_create(
            learner=request.user, exercise=exercise, source=source, visible_only=visible_only
        )
    except SubmissionRejected as rejection:
        return _rejected(request, exercise, rejection, source=source)
    return _accepted(request, submission)


@login_required
@require_POST
def submission_upload(request, slug: str):
    exercise = _exercise_or_404(slug)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise SubmissionRejected(messages.UPLOAD_MISSING)
        # Checked before reading, so an oversized file is never loaded into memory.
        # NOTE: Django has already written it to a temporary file by now; cap
        # request bodies in the reverse proxy too.
        if upload.size > MAX_NOTEBOOK_BYTES:
            raise SubmissionRejected(messages.UPLOAD_TOO_LARGE, size=upload.size, limit=MAX_NOTEBOOK_BYTES)
        submission = submission_create_from_file(
            learner=request.user, exercise=exercise, data=upload.read(), filename=upload.name
        )
    except SubmissionRejected as rejection:
        return _rejected(request, exercise, rejection)
    return _accepted(request, submission)


@login_required
@require_GET
def submission_compare(request, slug: str):
    exercise = _exercise_or_404(slug)
    try:
        old_id, new_id = int(request.GET.get("old", "")), int(request.GET.get("new", ""))
    except ValueError as error:
        raise Http404("Choose two attempts to compare.") from error
    pair = selectors.submission_pair_for_learner(learner=request.user, exercise=exercise, old_id=old_id, new_id=new_id)
    if pair is None:
        raise Http404("No submissions with these numbers.")

    old, new = pair
    context = {"exercise": exercise, "old": old, "new": new, "diff": submission_diff_html(old=old, new=new)}
    return render(request, "learning/submission_compare.html", context)


@login_required
@require_GET
def submission_detail(request, submission_id: int):
    submission = _submission_or_404(request, submission_id)
    return render(request, "learning/submission_detail.html", {"submission": submission})


@login_required
@require_GET
def submission_status(request, submission_id: int):
    submission = _submission_or_404(request, submission_id)
    return JsonResponse(submission_payload(request, submission))


def submission_payload(request, submission: Submission) -> dict:
    """Build the status endpoint's JSON: the verdict's fields and HTML fragments rendered (and escaped) by the templates.

    A visible-checks run has no ``row_html``, because the page's attempt
    history lists attempts only.
    """
    verdict = submission.verdict or {}
    row_html = None
    if not submission.visible_only:
        row_html = render_to_string("learning/_submission_row.html", {"submission": submission}, request=request)
    return {
        "id": submission.pk,
        "exercise": submission.exercise.slug,
        "attempt": submission.attempt,
        "visible_only": submission.visible_only,
        "label": submission.label,
        "status": submission.status,
        "final": submission.is_final,
        "score": submission.score,
        "reason": submission.reason or None,
        "message": verdict.get("message", ""),
        "message_id": verdict.get("message_id"),
        "failed_stage": verdict.get("failed_stage"),
        "checks": verdict.get("checks", []),
        "diagnosis": verdict.get("diagnosis", []),
        "output": verdict.get("output", ""),
        "url": reverse("learning:submission_detail", args=[submission.pk]),
        "status_url": reverse("learning:submission_status", args=[submission.pk]),
        "html": render_to_string("learning/_verdict.html", {"submission": submission}, request=request),
        "row_html": row_html,
    }


def _wants_json(request) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _accepted(request, submission: Submission):
    if _wants_json(request):
        return JsonResponse(submission_payload(request, submission), status=202)
    return redirect("learning:submission_detail", submission_id=submission.pk)


def _rejected(request, exercise: Exercise, rejection: SubmissionRejected, *, source: str | None = None):
    status = REJECTION_STATUS.get(rejection.message_id, 400)
    if _wants_json(request):
        return JsonResponse({"error": {"id": rejection.message_id, "message": rejection.text}}, status=status)
    return _render_exercise(request, exercise, source=source, rejection=rejection, status=status)


def _render_exercise(request, exercise: Exercise, *, source=None, rejection=None, status=200):
    grader_exercise = _source_or_404(exercise)
    submissions = []
    if request.user.is_authenticated:
        submissions = selectors.submission_list_for_learner(learner=request.user, exercise=exercise)
    context = {
        "exercise": exercise,
        "statement": grader_exercise.statement,
        "source": grader_exercise.starter if source is None else source,
        "starter": grader_exercise.starter,
        "rejection": rejection,
        "submissions": submissions,
        "lessons": lesson_list_for_exercise(slug=exercise.slug),
    }
    return render(request, "learning/exercise_detail.html", context, status=status)


def _exercise_or_404(slug: str) -> Exercise:
    exercise = exercise_get_active(slug=slug)
    if exercise is None:
        raise Http404("No exercise with this name.")
    return exercise


def _source_or_404(exercise: Exercise):
    try:
        return exercise_source(exercise)
    except ExerciseNotFound as error:
        raise Http404("This exercise is no longer available.") from error


def _submission_or_404(request, submission_id: int) -> Submission:
    submission = selectors.submission_get_for_learner(learner=request.user, submission_id=submission_id)
    if submission is None:
        raise Http404("No submission with this number.")
    return submission


@login_required
@require_GET
def dashboard(request):
    context = {
        "progress": selectors.progress_by_topic(learner=request.user),
        "chart": activity_chart(selectors.activity_per_day(learner=request.user)),
    }
    return render(request, "learning/dashboard.html", context)


@login_required
@require_GET
def practice_list(request):
    topic, level = _practice_filters(request.GET)
    topics, levels = selectors.question_filter_choices()
    context = {
        "items": selectors.questions_due_for_learner(learner=request.user, topic=topic, level=level),
        "topics": topics,
        "levels": levels,
        "topic": topic,
        "level": level,
        "filter_query": _filter_query(topic, level),
    }
    return render(request, "learning/practice_list.html", context)


@login_required
@require_GET
def practice_question(request, slug: str):
    question = _question_or_404(slug)
    topic, level = _practice_filters(request.GET)
    context = {
        "question": question,
        "card": selectors.question_card_get(learner=request.user, question=question),
        "revealed": request.GET.get("reveal") == "1",
        "ratings": QuestionReview.Rating.choices,
        "filter_query": _filter_query(topic, level),
    }
    return render(request, "learning/practice_question.html", context)


@login_required
@require_POST
def question_review(request, slug: str):
    question = _question_or_404(slug)
    topic, level = _practice_filters(request.POST)
    try:
        rating = QuestionReview.Rating(int(request.POST.get("rating", "")))
    except ValueError:
        return HttpResponse(messages.REVIEW_RATING_INVALID.text, status=400, content_type="text/plain; charset=utf-8")

    card = question_review_record(learner=request.user, question=question, rating=rating)

    flash.success(request, messages.REVIEW_RECORDED.format(due=f"{card.due:%Y-%m-%d %H:%M} UTC"))
    upcoming = selectors.questions_due_for_learner(learner=request.user, topic=topic, level=level, limit=1)
    query = _filter_query(topic, level)
    if upcoming:
        target = reverse("learning:practice_question", args=[upcoming[0].question.slug])
    else:
        target = reverse("learning:practice_list")
    return redirect(f"{target}?{query}" if query else target)


def _practice_filters(params) -> tuple[str, str]:
    return params.get("topic", "").strip(), params.get("level", "").strip()


def _filter_query(topic: str, level: str) -> str:
    return urlencode({key: value for key, value in (("topic", topic), ("level", level)) if value})


def _question_or_404(slug: str):
    question = question_get(slug=slug)
    if question is None:
        raise Http404("No question with this name.")
    return question
