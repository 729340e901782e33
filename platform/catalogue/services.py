"""Writes to the catalogue: exercises synced from the grader, lessons and questions loaded from files."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db import transaction

from catalogue.content import ContentFormatError, LessonDocument, QuestionDocument, parse_lesson, parse_question
from catalogue.models import Exercise, Lesson, Question

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class SyncReport:
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    deactivated: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ContentLoadReport:
    lessons: list[str] = dataclasses.field(default_factory=list)
    questions: list[str] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)
    errors: list[ContentFormatError] = dataclasses.field(default_factory=list)


@transaction.atomic
def exercise_sync(*, exercises: Mapping[str, Any]) -> SyncReport:
    """Make the Exercise table match ``exercises``, a mapping from slug to ``grader.exercise.Exercise``.

    Exercises missing from the mapping are deactivated, not deleted, since
    submissions refer to them.
    """
    report = SyncReport()
    for slug, source in sorted(exercises.items()):
        fields = {
            "title": source.title,
            "topic": source.topic,
            "difficulty": source.difficulty,
            "points": source.points,
            "device": source.device,
            "version": source.version,
            "summary": source.summary,
            "is_project": source.project,
            "is_active": True,
        }
        _, created = Exercise.objects.update_or_create(slug=slug, defaults=fields)
        (report.created if created else report.updated).append(slug)

    gone = Exercise.objects.filter(is_active=True).exclude(slug__in=list(exercises))
    report.deactivated = sorted(gone.values_list("slug", flat=True))
    gone.update(is_active=False)
    logger.info(
        "synced exercises: %d created, %d updated, %d deactivated",
        len(report.created),
        len(report.updated),
        len(report.deactivated),
    )
    return report


def content_load(*, content_dir: Path) -> ContentLoadReport:
    """Load ``lessons/*.md`` and ``questions/*.md`` under ``content_dir`` into the database.

    A file with a format error is reported in ``errors`` and changes nothing:
    the lesson or question stored from an earlier version of it stays. Rows
    whose file no longer exists are deleted.
    """
    report = ContentLoadReport()
    lesson_paths = sorted((content_dir / "lessons").glob("*.md"))
    question_paths = sorted((content_dir / "questions").glob("*.md"))

    for path in lesson_paths:
        try:
            document = parse_lesson(path)
        except ContentFormatError as error:
            logger.error("rejected content file: %s", error)
            report.errors.append(error)
            continue
        _lesson_store(document)
        report.lessons.append(document.slug)

    for path in question_paths:
        try:
            document = parse_question(path)
        except ContentFormatError as error:
            logger.error("rejected content file: %s", error)
            report.errors.append(error)
            continue
        _question_store(document)
        report.questions.append(document.slug)

    report.removed = _delete_missing(Lesson, lesson_paths, "lesson") + _delete_missing(Question, question_paths, "question")
    return report


def _lesson_store(document: LessonDocument) -> None:
    Lesson.objects.update_or_create(
        slug=document.slug,
        defaults={
            "title": document.title,
            "topic": document.topic,
            "order": document.order,
            "summary": document.summary,
            "body": document.body,
            "exercise_slugs": document.exercise_slugs,
        },
    )


def _question_store(document: QuestionDocument) -> None:
    fields = dataclasses.asdict(document)
    slug = fields.pop("slug")
    Question.objects.update_or_create(slug=slug, defaults=fields)


def _delete_missing(model, paths: list[Path], kind: str) -> list[str]:
    # A file that exists but failed to parse still counts as present, so its
    # row is kept.
    present = {path.stem for path in paths}
    stale = model.objects.exclude(slug__in=present)
    slugs = sorted(stale.values_list("slug", flat=True))
    stale.delete()
    for slug in slugs:
        logger.info("deleted %s %s: its file is gone", kind, slug)
    return [f"{kind}s/{slug}" for slug in slugs]
