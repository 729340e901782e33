"""Reads from the catalogue, and from the grader's exercise folders for statements and starter code."""

from __future__ import annotations

from django.db.models import QuerySet

from catalogue.models import Exercise, Lesson, Question

# Display names of topic slugs; a slug missing here is shown capitalized.
TOPIC_TITLES = {
    "foundations": "Foundations",
    "core-ml": "Core machine learning",
    "linear-algebra": "Linear algebra",
    "probability": "Probability",
    "vae": "Variational autoencoders",
    "gan": "Generative adversarial networks",
    "diffusion": "Diffusion models",
    "transformers": "Autoregressive transformers",
    "fine-tuning": "Fine-tuning",
}
DIFFICULTY_ORDER = {"easy": 0, "medium": 1, "hard": 2}


def topic_title(topic: str) -> str:
    return TOPIC_TITLES.get(topic) or topic.replace("-", " ").capitalize()


def exercise_list_active() -> QuerySet[Exercise]:
    return Exercise.objects.filter(is_active=True).order_by("topic", "title")


def exercise_get_active(*, slug: str) -> Exercise | None:
    return Exercise.objects.filter(slug=slug, is_active=True).first()


def exercise_source(exercise: Exercise):
    """Return the grader's ``Exercise`` for a catalogue row, which contains the statement and the starter code.

    Raises ``grader.errors.ExerciseNotFound`` when the folder is gone but
    ``load_exercises`` has not run since.
    """
    from grader.exercise import get_exercise

    return get_exercise(exercise.slug)


def exercise_list_for_slugs(slugs: list[str]) -> list[Exercise]:
    """Return the active exercises named in ``slugs``, in the order of ``slugs``; unknown slugs are skipped."""
    by_slug = {exercise.slug: exercise for exercise in Exercise.objects.filter(slug__in=slugs, is_active=True)}
    return [by_slug[slug] for slug in slugs if slug in by_slug]


def lesson_list_for_exercise(*, slug: str) -> list[Lesson]:
    """Return the lessons whose front matter lists the exercise ``slug``, in the lesson list's order."""
    # Filtered in Python because JSONField containment lookups do not work on
    # SQLite; there are tens of lessons, so reading them all is cheap.
    return [lesson for lesson in lesson_list() if slug in lesson.exercise_slugs]


def lesson_list() -> QuerySet[Lesson]:
    return Lesson.objects.order_by("topic", "order", "title")


def lesson_get(*, slug: str) -> Lesson | None:
    return Lesson.objects.filter(slug=slug).first()


def question_list() -> QuerySet[Question]:
    return Question.objects.order_by("topic", "title")


def question_get(*, slug: str) -> Question | None:
    return Question.objects.filter(slug=slug).first()


def group_by_topic(items) -> list[tuple[str, list]]:
    """Group objects with a ``topic`` attribute as ``[(topic title, items), ...]``, keeping their order."""
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(item.topic, []).append(item)
    return [(topic_title(topic), members) for topic, members in groups.items()]
