"""Load exercises from ``exercises/<slug>/``: metadata, limits, misconceptions and the checks module.

Runs on the trusted side. An exercise folder holds ``exercise.toml``,
``statement.md``, ``starter.py``, ``probe.py`` (runs inside the sandbox),
``checks.py`` (builds the cases and the reference on the trusted side),
``misconceptions/<id>.py`` (buggy solutions used for diagnosis) and
``variants/*.py`` (other correct solutions).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import os
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

from grader.errors import ExerciseConfigError, ExerciseNotFound
from grader.limits import Limits

REPO_ROOT = Path(__file__).resolve().parent.parent
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DEVICES = ("cpu", "gpu")
DIFFICULTIES = ("easy", "medium", "hard")
REQUIRED_FILES = ("exercise.toml", "statement.md", "starter.py", "probe.py", "checks.py")


def exercises_root() -> Path:
    return Path(os.environ.get("TENSORCRAFT_EXERCISES_DIR") or REPO_ROOT / "exercises")


@dataclasses.dataclass(frozen=True)
class Misconception:
    id: str
    message: str
    path: Path


@dataclasses.dataclass(frozen=True)
class Exercise:
    slug: str
    title: str
    topic: str
    difficulty: str
    points: int
    device: str
    version: int
    entry_points: tuple[str, ...]
    forbidden_calls: tuple[str, ...]
    limits: Limits
    misconceptions: tuple[Misconception, ...]
    folder: Path
    summary: str = ""
    project: bool = False

    @property
    def statement(self) -> str:
        return (self.folder / "statement.md").read_text()

    @property
    def starter(self) -> str:
        return (self.folder / "starter.py").read_text()

    @property
    def probe_path(self) -> Path:
        return self.folder / "probe.py"

    @property
    def starter_notebook_path(self) -> Path:
        return self.folder / "starter.ipynb"

    def variant_paths(self) -> list[Path]:
        folder = self.folder / "variants"
        return sorted(folder.glob("*.py")) if folder.is_dir() else []

    def checks(self) -> ModuleType:
        return load_checks(self.slug, self.version, str(self.folder))

    def misconception(self, misconception_id: str) -> Misconception:
        for item in self.misconceptions:
            if item.id == misconception_id:
                return item
        raise KeyError(misconception_id)


def _require(table: dict, key: str, kind: type, source: str):
    if key not in table:
        raise ExerciseConfigError(f"{source}: missing required key {key!r}")
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ExerciseConfigError(f"{source}: {key} must be {kind.__name__}, got {value!r}")
    return value


def load_exercise_folder(folder: Path) -> Exercise:
    source = str(folder / "exercise.toml")
    for name in REQUIRED_FILES:
        if not (folder / name).is_file():
            raise ExerciseConfigError(f"{folder}: missing {name}")
    try:
        table = tomllib.loads((folder / "exercise.toml").read_text())
    except tomllib.TOMLDecodeError as error:
        raise ExerciseConfigError(f"{source}: invalid TOML: {error}") from error

    slug = _require(table, "slug", str, source)
    if slug != folder.name or not SLUG_PATTERN.match(slug):
        raise ExerciseConfigError(f"{source}: slug {slug!r} must match the folder name and be lowercase-with-dashes")
    device = _require(table, "device", str, source)
    if device not in DEVICES:
        raise ExerciseConfigError(f"{source}: device {device!r} is not one of {DEVICES}")
    difficulty = _require(table, "difficulty", str, source)
    if difficulty not in DIFFICULTIES:
        raise ExerciseConfigError(f"{source}: difficulty {difficulty!r} is not one of {DIFFICULTIES}")
    version = _require(table, "version", int, source)
    if version < 1:
        raise ExerciseConfigError(f"{source}: version must be at least 1, got {version}")
    entry_points = tuple(_require(table, "entry_points", list, source))
    if not entry_points or not all(isinstance(name, str) and name.isidentifier() for name in entry_points):
        raise ExerciseConfigError(f"{source}: entry_points must list Python identifiers, got {entry_points!r}")

    misconceptions = []
    for item in table.get("misconceptions", []):
        misconception_id = _require(item, "id", str, source)
        path = folder / "misconceptions" / f"{misconception_id}.py"
        if not path.is_file():
            raise ExerciseConfigError(f"{source}: misconception {misconception_id!r} has no file {path}")
        misconceptions.append(Misconception(misconception_id, _require(item, "message", str, source), path))

    return Exercise(
        slug=slug,
        title=_require(table, "title", str, source),
        topic=_require(table, "topic", str, source),
        difficulty=difficulty,
        points=_require(table, "points", int, source),
        device=device,
        version=version,
        entry_points=entry_points,
        forbidden_calls=tuple(table.get("forbidden_calls", [])),
        limits=Limits.from_table(table.get("limits", {}), source=source),
        misconceptions=tuple(misconceptions),
        folder=folder,
        summary=table.get("summary", ""),
        project=bool(table.get("project", False)),
    )


@functools.lru_cache(maxsize=None)
def _all_exercises(root: str) -> dict[str, Exercise]:
    found = {}
    for folder in sorted(Path(root).iterdir()):
        if folder.is_dir() and (folder / "exercise.toml").is_file():
            exercise = load_exercise_folder(folder)
            found[exercise.slug] = exercise
    return found


def all_exercises() -> dict[str, Exercise]:
    return _all_exercises(str(exercises_root()))


def list_slugs() -> list[str]:
    return sorted(all_exercises())


def get_exercise(slug: str) -> Exercise:
    exercises = all_exercises()
    if slug not in exercises:
        raise ExerciseNotFound(slug, sorted(exercises))
    return exercises[slug]


@functools.lru_cache(maxsize=None)
def load_checks(slug: str, version: int, folder: str) -> ModuleType:
    """Import an exercise's ``checks.py`` once per exercise version."""
    name = f"tensorcraft_checks_{slug.replace('-', '_')}_v{version}"
    spec = importlib.util.spec_from_file_location(name, Path(folder) / "checks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_module_from_path(path: Path, name: str) -> ModuleType:
    """Import a trusted Python file (a probe, a misconception, a variant) under a private name."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
