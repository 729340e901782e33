"""SECURITY.md's tables of attacks and limits match the attack catalogue and grader/limits.py."""

from __future__ import annotations

import re
from pathlib import Path

from grader.limits import LIMIT_SPECS

from .catalogue import ATTACKS

SECURITY_MD = Path(__file__).resolve().parents[2] / "SECURITY.md"


def table_rows(heading: str) -> list[list[str]]:
    """The body rows of the first table after ``heading``, as lists of stripped cells."""
    text = SECURITY_MD.read_text()
    section = text[text.index(heading) :]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("## "):
            break
        if line.startswith("|") and not set(line) <= set("|- "):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]  # without the header row


def test_attack_table_matches_catalogue():
    documented = {
        row[1].strip("`"): (row[0], row[3], None if row[4] == "—" else row[4])
        for row in table_rows("## Attacks the tests run")
    }

    expected = {attack.id: (attack.group, attack.status, attack.reason) for attack in ATTACKS}
    assert documented == expected


def test_limit_table_matches_limit_specs():
    documented = {row[0].strip("`"): (row[1], row[2]) for row in table_rows("## Limits")}

    expected = {
        name: (str(spec.default), f"{spec.minimum} to {spec.maximum}") for name, spec in LIMIT_SPECS.items()
    }
    assert documented == expected


def test_tested_limits_match_the_test_exercise(attack_exercise):
    limits = attack_exercise.limits
    summary = re.search(r"\(limits: (.*?)\)", SECURITY_MD.read_text(), re.S).group(1).replace("\n", " ")

    assert summary == (
        f"{limits.wall_time_s} s wall time, {limits.cpu_time_s} s CPU time, {limits.memory_mib} MiB, "
        f"{limits.max_processes} processes, {limits.output_bytes // 2**20} MiB of output, {limits.tmpfs_mib} MiB of `/tmp`"
    )
