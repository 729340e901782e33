"""Resource limits of one sandboxed grading run.

Every limit is declared once here, with its unit in its name, a safe default,
and the sentence a learner sees when the run exceeds it. An exercise may set
any of them in the ``[limits]`` table of its ``exercise.toml``; values outside
the allowed range are rejected when the exercise loads.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from grader.errors import ExerciseConfigError


@dataclasses.dataclass(frozen=True)
class LimitSpec:
    default: int
    minimum: int
    maximum: int
    exceeded_message: str


LIMIT_SPECS: dict[str, LimitSpec] = {
    "wall_time_s": LimitSpec(
        default=20,
        minimum=1,
        maximum=900,
        exceeded_message="Your code ran longer than the wall-time limit of {value} s.",
    ),
    "cpu_time_s": LimitSpec(
        default=20,
        minimum=1,
        maximum=900,
        exceeded_message="Your code used more than the CPU-time limit of {value} s.",
    ),
    "memory_mib": LimitSpec(
        default=1536,
        minimum=256,
        maximum=16384,
        exceeded_message="Your code used more than the memory limit of {value} MiB.",
    ),
    "max_processes": LimitSpec(
        default=64,
        minimum=8,
        maximum=512,
        exceeded_message="Your code started more than the limit of {value} processes and threads.",
    ),
    "output_bytes": LimitSpec(
        default=32 * 1024 * 1024,
        minimum=1024 * 1024,
        maximum=512 * 1024 * 1024,
        exceeded_message="Your code wrote more than the output limit of {value} bytes.",
    ),
    "tmpfs_mib": LimitSpec(
        default=64,
        minimum=8,
        maximum=2048,
        exceeded_message="Your code wrote more than the {value} MiB of scratch space in /tmp.",
    ),
}


@dataclasses.dataclass(frozen=True)
class Limits:
    wall_time_s: int = LIMIT_SPECS["wall_time_s"].default
    cpu_time_s: int = LIMIT_SPECS["cpu_time_s"].default
    memory_mib: int = LIMIT_SPECS["memory_mib"].default
    max_processes: int = LIMIT_SPECS["max_processes"].default
    output_bytes: int = LIMIT_SPECS["output_bytes"].default
    tmpfs_mib: int = LIMIT_SPECS["tmpfs_mib"].default

    @classmethod
    def from_table(cls, table: dict[str, Any], *, source: str) -> "Limits":
        """Build limits from an ``exercise.toml`` table, rejecting unknown or out-of-range keys."""
        values: dict[str, int] = {}
        for name, value in table.items():
            spec = LIMIT_SPECS.get(name)
            if spec is None:
                raise ExerciseConfigError(
                    f"{source}: unknown limit {name!r}; known limits are {sorted(LIMIT_SPECS)}"
                )
            if isinstance(value, bool) or not isinstance(value, int):
                raise ExerciseConfigError(f"{source}: limit {name} must be an integer, got {value!r}")
            if not spec.minimum <= value <= spec.maximum:
                raise ExerciseConfigError(
                    f"{source}: limit {name}={value} is outside [{spec.minimum}, {spec.maximum}]"
                )
            values[name] = value
        return cls(**values)

    def exceeded_message(self, name: str) -> str:
        return LIMIT_SPECS[name].exceeded_message.format(value=getattr(self, name))

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)
