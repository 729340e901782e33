"""The verdict schema shared by the command line, the Celery task and the web pages.

``Verdict.as_dict()`` is a public contract: ``python -m grader grade --json``
prints it, and the site stores it. The keys ``exercise``, ``version``,
``status``, ``score``, ``checks`` (each ``name``, ``visible``, ``passed``,
``message``), ``diagnosis`` (each ``id``, ``message``) and ``duration_ms`` must
not change; other keys may be added.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any


class Status(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"  # the code ran and some checks failed
    ERROR = "error"  # the code could not be graded; ``reason`` says why


class Reason(str, enum.Enum):
    """Why a verdict is ``error``; the values are stable and stored in the database."""

    SYNTAX_ERROR = "syntax_error"
    IMPORT_FAILED = "import_failed"
    MISSING_DEFINITION = "missing_definition"
    EXCEPTION = "exception"
    FORBIDDEN_CALL = "forbidden_call"
    WALL_TIME_LIMIT = "wall_time_limit"
    CPU_TIME_LIMIT = "cpu_time_limit"
    MEMORY_LIMIT = "memory_limit"
    PROCESS_LIMIT = "process_limit"
    OUTPUT_LIMIT = "output_limit"
    CRASHED = "crashed"
    INVALID_OUTPUT = "invalid_output"
    INVALID_SUBMISSION = "invalid_submission"
    INFRASTRUCTURE = "infrastructure"


class Stage(str, enum.Enum):
    """Grading stages in the order partial credit is given."""

    SHAPE = "shape"
    VALUE = "value"
    GRADIENT = "gradient"
    BEHAVIOUR = "behaviour"


STAGE_ORDER = [Stage.SHAPE, Stage.VALUE, Stage.GRADIENT, Stage.BEHAVIOUR]


@dataclasses.dataclass
class CheckResult:
    name: str
    visible: bool
    passed: bool
    message: str
    stage: Stage
    case_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "visible": self.visible,
            "passed": self.passed,
            "message": self.message,
            "stage": self.stage.value,
        }


@dataclasses.dataclass
class Diagnosis:
    id: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "message": self.message}


@dataclasses.dataclass
class Verdict:
    exercise: str
    version: int
    status: Status
    score: float
    checks: list[CheckResult] = dataclasses.field(default_factory=list)
    diagnosis: list[Diagnosis] = dataclasses.field(default_factory=list)
    duration_ms: float = 0.0
    reason: Reason | None = None
    message: str = ""
    failed_stage: Stage | None = None
    output: str = ""
    artifacts: dict[str, Any] = dataclasses.field(default_factory=dict)
    timings_ms: dict[str, float] = dataclasses.field(default_factory=dict)
    reproducibility: dict[str, Any] = dataclasses.field(default_factory=dict)
    # True for a practice run of the visible checks alone, whose pass covers no hidden check.
    visible_only: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "version": self.version,
            "status": self.status.value,
            "score": round(self.score, 4),
            "checks": [check.as_dict() for check in self.checks],
            "diagnosis": [item.as_dict() for item in self.diagnosis],
            "duration_ms": round(self.duration_ms, 2),
            "reason": self.reason.value if self.reason else None,
            "message": self.message,
            "failed_stage": self.failed_stage.value if self.failed_stage else None,
            "output": self.output,
            "artifacts": self.artifacts,
            "timings_ms": {key: round(value, 2) for key, value in self.timings_ms.items()},
            "reproducibility": self.reproducibility,
            "visible_only": self.visible_only,
        }
