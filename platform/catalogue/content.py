"""Parse lesson and question files from ``content/``.

A file starts with TOML front matter between two lines that contain only
``+++``, followed by Markdown. A lesson's Markdown is free-form. A question's
Markdown is made of exactly these level-2 sections, in this order:
``## Question``, ``## Answer strategy``, ``## Key points``, ``## Weak answers``
and ``## Follow-ups``.

Parsing never touches the database. Every problem raises ``ContentFormatError``
with the file's path and what is wrong, so an author can fix it from the
message alone.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from catalogue.rendering import find_math_errors

FRONT_MATTER_DELIMITER = "+++"
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
QUESTION_SECTIONS = (
    ("Question", "question"),
    ("Answer strategy", "answer_strategy"),
    ("Key points", "key_points"),
    ("Weak answers", "weak_answers"),
    ("Follow-ups", "follow_ups"),
)
_LEVEL_2_HEADING = re.compile(r"^##[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


class ContentFormatError(ValueError):
    """A content file does not follow the format; the message names the file and the problem."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class LessonDocument:
    slug: str
    title: str
    topic: str
    order: int
    summary: str
    body: str
    exercise_slugs: list[str]


@dataclasses.dataclass(frozen=True)
class QuestionDocument:
    slug: str
    title: str
    topic: str
    level: str
    tags: list[str]
    question: str
    answer_strategy: str
    key_points: str
    weak_answers: str
    follow_ups: str


@dataclasses.dataclass(frozen=True)
class _Key:
    name: str
    kind: type
    required: bool = True
    item_kind: type | None = None  # for lists: the type of every item


LESSON_KEYS = (
    _Key("slug", str),
    _Key("title", str),
    _Key("topic", str),
    _Key("order", int),
    _Key("summary", str),
    _Key("exercises", list, required=False, item_kind=str),
)
QUESTION_KEYS = (
    _Key("slug", str),
    _Key("title", str),
    _Key("topic", str),
    _Key("level", str),
    _Key("tags", list, required=False, item_kind=str),
)


def parse_lesson(path: Path) -> LessonDocument:
    """Read and check one lesson file."""
    table, body = _read_document(path, LESSON_KEYS)
    if not body.strip():
        raise ContentFormatError(path, "the lesson has no Markdown body after the front matter")
    _check_math(path, body, where="the body")
    return LessonDocument(
        slug=table["slug"],
        title=table["title"],
        topic=table["topic"],
        order=table["order"],
        summary=table["summary"],
        body=body.strip() + "\n",
        exercise_slugs=list(table.get("exercises", [])),
    )


def parse_question(path: Path) -> QuestionDocument:
    """Read and check one question file, splitting its body into the five sections."""
    table, body = _read_document(path, QUESTION_KEYS)
    sections = _split_sections(path, body)
    for heading, field in QUESTION_SECTIONS:
        _check_math(path, sections[field], where=f"section '## {heading}'")
    return QuestionDocument(
        slug=table["slug"],
        title=table["title"],
        topic=table["topic"],
        level=table["level"],
        tags=list(table.get("tags", [])),
        **sections,
    )


def _read_document(path: Path, keys: tuple[_Key, ...]) -> tuple[dict, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ContentFormatError(path, f"the file is not valid UTF-8 (byte {error.start})") from error
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)

    if not lines or lines[0].strip() != FRONT_MATTER_DELIMITER:
        raise ContentFormatError(path, "the file must start with a line containing only +++ (TOML front matter)")
    closing = next((index for index, line in enumerate(lines[1:], 1) if line.strip() == FRONT_MATTER_DELIMITER), None)
    if closing is None:
        raise ContentFormatError(path, "the front matter is not closed by a line containing only +++")
    try:
        table = tomllib.loads("".join(lines[1:closing]))
    except tomllib.TOMLDecodeError as error:
        # tomllib counts lines from the start of the front matter; the file has the +++ line above it.
        detail = re.sub(r"at line (\d+)", lambda match: f"at line {int(match.group(1)) + 1}", str(error))
        raise ContentFormatError(path, f"invalid TOML in the front matter: {detail}") from error

    _check_keys(path, table, keys)
    if table["slug"] != path.stem:
        raise ContentFormatError(path, f"slug {table['slug']!r} must equal the file name without .md ({path.stem!r})")
    if not SLUG_PATTERN.match(table["slug"]):
        raise ContentFormatError(path, f"slug {table['slug']!r} must be lowercase letters and digits joined by dashes")
    return table, "".join(lines[closing + 1 :])


def _check_keys(path: Path, table: dict, keys: tuple[_Key, ...]) -> None:
    known = {key.name for key in keys}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ContentFormatError(
            path, f"unknown front matter key {unknown[0]!r}; the known keys are {', '.join(sorted(known))}"
        )
    for key in keys:
        if key.name not in table:
            if key.required:
                raise ContentFormatError(path, f"the front matter is missing the required key {key.name!r}")
            continue
        value = table[key.name]
        if not isinstance(value, key.kind) or (key.kind is int and isinstance(value, bool)):
            raise ContentFormatError(path, f"{key.name} must be {_type_phrase(key.kind)}, got {value!r}")
        if key.kind is str and not value.strip():
            raise ContentFormatError(path, f"{key.name} must not be empty")
        if key.item_kind is not None and not all(isinstance(item, key.item_kind) for item in value):
            raise ContentFormatError(path, f"{key.name} must be a list of {key.item_kind.__name__} values, got {value!r}")


def _type_phrase(kind: type) -> str:
    return {str: "a string", int: "an integer", list: "a list"}.get(kind, kind.__name__)


def _split_sections(path: Path, body: str) -> dict[str, str]:
    """Split a question's body at its level-2 headings, ignoring lines inside fenced code."""
    expected = [heading for heading, _ in QUESTION_SECTIONS]
    found: list[tuple[str, list[str]]] = []
    preamble: list[str] = []
    fence: str | None = None
    for line in body.splitlines(keepends=True):
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker
            elif marker.startswith(fence):
                fence = None
        heading = _LEVEL_2_HEADING.match(line) if fence is None else None
        if heading:
            found.append((heading.group("title"), []))
        elif found:
            found[-1][1].append(line)
        else:
            preamble.append(line)

    if "".join(preamble).strip():
        raise ContentFormatError(path, "text before '## Question'; a question's body starts with that heading")
    titles = [title for title, _ in found]
    if titles != expected:
        raise ContentFormatError(
            path,
            f"the sections are {', '.join(repr('## ' + t) for t in titles) or 'missing'}; "
            f"a question has exactly {', '.join(repr('## ' + t) for t in expected)}, in that order",
        )
    sections = {}
    for (title, lines), (_, field) in zip(found, QUESTION_SECTIONS):
        text = "".join(lines).strip()
        if not text:
            raise ContentFormatError(path, f"section '## {title}' is empty")
        sections[field] = text + "\n"
    return sections


def _check_math(path: Path, text: str, *, where: str) -> None:
    errors = find_math_errors(text)
    if errors:
        first = errors[0]
        raise ContentFormatError(path, f"cannot convert the formula {first.tex!r} in {where} to MathML ({first.error})")
