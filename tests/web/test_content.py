"""Lessons and questions parsed from content files and loaded by ``manage.py load_content``."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalogue.content import ContentFormatError, parse_lesson, parse_question
from catalogue.models import Lesson, Question

LESSON = textwrap.dedent(
    """\
    +++
    slug = "elbo"
    title = "The evidence lower bound"
    topic = "vae"
    order = 2
    summary = "Derive the ELBO."
    exercises = ["vae-loss", "not-written-yet"]
    +++

    ## The bound

    For any $q$, $\\log p(x) \\ge \\mathrm{ELBO}$.
    """
)

QUESTION = textwrap.dedent(
    """\
    +++
    slug = "kl-sign"
    title = "Why is the KL never negative?"
    topic = "vae"
    level = "junior"
    tags = ["kl", "vae"]
    +++

    ## Question

    Show that $\\mathrm{KL}(q \\| p) \\ge 0$.

    ## Answer strategy

    Use Jensen's inequality.

    ## Key points

    - $\\log$ is concave.

    ## Weak answers

    "Because it is a distance."

    ## Follow-ups

    When is it zero?
    """
)


def write(folder: Path, kind: str, slug: str, text: str) -> Path:
    path = folder / kind / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_lesson_is_parsed(tmp_path):
    lesson = parse_lesson(write(tmp_path, "lessons", "elbo", LESSON))

    assert lesson.slug == "elbo"
    assert lesson.title == "The evidence lower bound"
    assert lesson.topic == "vae"
    assert lesson.order == 2
    assert lesson.summary == "Derive the ELBO."
    assert lesson.exercise_slugs == ["vae-loss", "not-written-yet"]
    assert lesson.body == "## The bound\n\nFor any $q$, $\\log p(x) \\ge \\mathrm{ELBO}$.\n"


def test_question_is_split_into_sections(tmp_path):
    question = parse_question(write(tmp_path, "questions", "kl-sign", QUESTION))

    assert question.level == "junior"
    assert question.tags == ["kl", "vae"]
    assert question.question == "Show that $\\mathrm{KL}(q \\| p) \\ge 0$.\n"
    assert question.answer_strategy == "Use Jensen's inequality.\n"
    assert question.key_points == "- $\\log$ is concave.\n"
    assert question.weak_answers == '"Because it is a distance."\n'
    assert question.follow_ups == "When is it zero?\n"


def test_heading_in_code_is_not_section(tmp_path):
    text = QUESTION.replace("Use Jensen's inequality.", "Use Jensen's inequality.\n\n```markdown\n## Not a section\n```")

    question = parse_question(write(tmp_path, "questions", "kl-sign", text))

    assert question.answer_strategy == "Use Jensen's inequality.\n\n```markdown\n## Not a section\n```\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            LESSON.replace("+++\n", "", 1),
            "the file must start with a line containing only +++ (TOML front matter)",
            id="no-front-matter",
        ),
        pytest.param(
            LESSON.replace('summary = "Derive the ELBO."\nexercises = ["vae-loss", "not-written-yet"]\n+++\n', ""),
            "the front matter is not closed by a line containing only +++",
            id="front-matter-not-closed",
        ),
        pytest.param(
            LESSON.replace('topic = "vae"', "topic = vae"),
            "invalid TOML in the front matter: Invalid value (at line 4, column 9)",
            id="invalid-toml",
        ),
        pytest.param(
            LESSON.replace('title = "The evidence lower bound"\n', ""),
            "the front matter is missing the required key 'title'",
            id="missing-key",
        ),
        pytest.param(LESSON.replace("order = 2", 'order = "2"'), "order must be an integer, got '2'", id="wrong-type"),
        pytest.param(
            LESSON.replace("order = 2", "ordre = 2"),
            "unknown front matter key 'ordre'; the known keys are exercises, order, slug, summary, title, topic",
            id="unknown-key",
        ),
        pytest.param(
            LESSON.replace('slug = "elbo"', 'slug = "evidence"'),
            "slug 'evidence' must equal the file name without .md ('elbo')",
            id="slug-mismatch",
        ),
        pytest.param(
            LESSON.replace('exercises = ["vae-loss", "not-written-yet"]', "exercises = [1]"),
            "exercises must be a list of str values, got [1]",
            id="exercise-not-string",
        ),
        pytest.param(LESSON.split("## The bound")[0], "the lesson has no Markdown body after the front matter", id="empty-body"),
        pytest.param(
            LESSON.replace("$q$", "$\\frac{q}{$"),
            "cannot convert the formula '\\\\frac{q}{' in the body to MathML (NoAvailableTokensError)",
            id="bad-math",
        ),
    ],
)
def test_malformed_lesson_is_rejected(tmp_path, text, problem):
    path = write(tmp_path, "lessons", "elbo", text)

    with pytest.raises(ContentFormatError) as error:
        parse_lesson(path)

    assert error.value.problem == problem
    assert str(error.value) == f"{path}: {problem}"


EXPECTED_SECTIONS = "'## Question', '## Answer strategy', '## Key points', '## Weak answers', '## Follow-ups'"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            QUESTION.replace("## Weak answers", "## Weak replies"),
            "the sections are '## Question', '## Answer strategy', '## Key points', '## Weak replies', "
            f"'## Follow-ups'; a question has exactly {EXPECTED_SECTIONS}, in that order",
            id="misnamed-section",
        ),
        pytest.param(
            QUESTION.replace("## Follow-ups\n\nWhen is it zero?\n", ""),
            "the sections are '## Question', '## Answer strategy', '## Key points', '## Weak answers'; "
            f"a question has exactly {EXPECTED_SECTIONS}, in that order",
            id="missing-section",
        ),
        pytest.param(
            QUESTION.replace("Use Jensen's inequality.", ""),
            "section '## Answer strategy' is empty",
            id="empty-section",
        ),
        pytest.param(
            QUESTION.replace("+++\n\n## Question", "+++\n\nIntro.\n\n## Question"),
            "text before '## Question'; a question's body starts with that heading",
            id="text-before-question",
        ),
        pytest.param(
            QUESTION.replace('level = "junior"\n', ""),
            "the front matter is missing the required key 'level'",
            id="missing-level",
        ),
        pytest.param(
            QUESTION.replace('tags = ["kl", "vae"]', 'tags = "kl"'),
            "tags must be a list, got 'kl'",
            id="tags-not-list",
        ),
    ],
)
def test_malformed_question_is_rejected(tmp_path, text, problem):
    path = write(tmp_path, "questions", "kl-sign", text)

    with pytest.raises(ContentFormatError) as error:
        parse_question(path)

    assert error.value.problem == problem


@pytest.mark.django_db
def test_load_content_stores_rows(tmp_path):
    write(tmp_path, "lessons", "elbo", LESSON)
    write(tmp_path, "questions", "kl-sign", QUESTION)
    output = io.StringIO()

    call_command("load_content", content_dir=tmp_path, stdout=output)

    assert output.getvalue() == "Content: 1 lessons and 1 questions loaded, 0 removed\n"
    lesson = Lesson.objects.get(slug="elbo")
    assert lesson.title == "The evidence lower bound"
    assert lesson.exercise_slugs == ["vae-loss", "not-written-yet"]
    question = Question.objects.get(slug="kl-sign")
    assert question.follow_ups == "When is it zero?\n"


@pytest.mark.django_db
def test_malformed_file_keeps_stored_row(tmp_path):
    path = write(tmp_path, "lessons", "elbo", LESSON)
    call_command("load_content", content_dir=tmp_path, stdout=io.StringIO())
    path.write_text(LESSON.replace('title = "The evidence lower bound"', 'title = "Changed"').replace("+++\n", "", 1))
    write(tmp_path, "lessons", "reparameterization", LESSON.replace('slug = "elbo"', 'slug = "reparameterization"'))
    errors = io.StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("load_content", content_dir=tmp_path, stdout=io.StringIO(), stderr=errors)

    assert str(failure.value) == "1 content files were rejected; fix them and run load_content again"
    assert errors.getvalue() == (
        f"rejected {path}: the file must start with a line containing only +++ (TOML front matter)\n"
    )
    assert Lesson.objects.get(slug="elbo").title == "The evidence lower bound"
    assert Lesson.objects.filter(slug="reparameterization").exists()


@pytest.mark.django_db
def test_load_content_deletes_missing(tmp_path):
    path = write(tmp_path, "lessons", "elbo", LESSON)
    call_command("load_content", content_dir=tmp_path, stdout=io.StringIO())
    path.unlink()
    output = io.StringIO()

    call_command("load_content", content_dir=tmp_path, stdout=output)

    assert output.getvalue() == "Content: 0 lessons and 0 questions loaded, 1 removed\n"
    assert Lesson.objects.count() == 0


@pytest.mark.django_db
def test_repository_content_loads():
    output = io.StringIO()

    call_command("load_content", stdout=output, stderr=io.StringIO())

    assert Lesson.objects.exists()
    assert output.getvalue().startswith("Content: ")
