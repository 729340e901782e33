"""Hostile submissions end in ``failed`` or ``error`` with the expected reason, leak nothing hidden, and leave the worker healthy.

Each attack of ``catalogue.ATTACKS`` is graded in a warm sandbox of the pool
(on both backends, see ``conftest.py``). Every grading also checks that the
sandbox's folder, cgroups and container are gone afterwards, and that no
hidden case's beta appears in any text the learner reads.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import time
from pathlib import Path

import pytest

from grader.grading import default_variant_seed, prepare_cases
from grader.sandbox import get_backend
from grader.sandbox.runtime import runtime_dirs

from .catalogue import ATTACKS, ATTACKS_BY_ID, CORRECT, Attack
from .conftest import SLUG

# Attacks that need something of the test around them (a listener, a second sandbox, a secret, a marker).
SPECIAL = {
    "walk-file-system",
    "environment-secrets",
    "other-sandbox-folder",
    "connect-to-loopback-listener",
    "daemon-outlives-run",
}
VISIBLE_JOB_FILES = {"job.json", "inputs.safetensors", "submission.py", "probe.py"}


def hidden_betas(source: str) -> list[str]:
    prepared = prepare_cases(SLUG, 1, default_variant_seed(source))
    return [repr(case.params["beta"]) for case in prepared.cases if not case.visible]


def assert_contained(graded, attack: Attack, source: str) -> None:
    verdict = graded.verdict

    assert verdict.status.value == attack.status, (verdict.status, verdict.reason, verdict.message, verdict.output[-2000:])
    assert (verdict.reason.value if verdict.reason else None) == attack.reason, (verdict.reason, verdict.message)
    if attack.message is not None:
        assert attack.message in verdict.message
    assert verdict.score < 1.0

    texts = graded.learner_texts()
    for beta in hidden_betas(source):
        assert not [text for text in texts if beta in text], f"the hidden beta {beta} reached the learner"
    assert not [text for text in texts if "LEAK" in text or "hidden-1" in text or "hidden-2" in text]


def printed(graded, prefix: str) -> list[str]:
    return [line for line in graded.verdict.output.splitlines() if line.startswith(prefix)]


def check_stack_walk(graded) -> None:
    assert printed(graded, "FRAME")
    assert printed(graded, "FOUND") == []


def check_hidden_inputs_at_import(graded) -> None:
    listed = printed(graded, "KEYS")
    assert len(listed) == 1
    assert listed[0].startswith("KEYS inputs.safetensors")
    assert {line.split()[1] for line in printed(graded, "FILE")} == VISIBLE_JOB_FILES - {"inputs.safetensors"}


def check_uid_on_host(graded) -> None:
    assert printed(graded, "HOSTUID") == ["HOSTUID 65534"]


def check_proc_1(graded) -> None:
    (init,) = printed(graded, "INIT")
    # PID 1 is the sandbox's own: bwrap's init, Docker's, or (fork server) the forked harness itself.
    assert "bwrap" in init or "docker-init" in init or repr(sys.executable.encode()) in init


def check_job_inputs_read_only(graded) -> None:
    assert len(printed(graded, "WRITE BLOCKED")) == 3
    assert printed(graded, "WRITTEN") == []


def check_output_truncated(graded) -> None:
    assert graded.verdict.output.endswith("[output truncated]")


def check_keyring_blocked(graded) -> None:
    assert len(printed(graded, "ADD_KEY")) == 2
    assert [line for line in printed(graded, "ADD_KEY") if "BLOCKED" not in line] == []
    assert [line for line in printed(graded, "SEARCH") if "FOUND" in line] == []


POST_CHECKS = {
    "keyring-stash": check_keyring_blocked,
    "walk-stack-frames": check_stack_walk,
    "read-hidden-inputs-at-import": check_hidden_inputs_at_import,
    "uid-on-host": check_uid_on_host,
    "reach-parent-through-proc-1": check_proc_1,
    "write-job-inputs": check_job_inputs_read_only,
    "stdout-flood": check_output_truncated,
    "stderr-flood": check_output_truncated,
}


@pytest.mark.parametrize("attack", [pytest.param(attack, id=attack.id) for attack in ATTACKS if attack.id not in SPECIAL])
def test_attack_is_contained(grade_submission, assert_next_grading_passes, attack):
    graded = grade_submission(attack.source)

    assert_contained(graded, attack, attack.source)
    if attack.id in POST_CHECKS:
        POST_CHECKS[attack.id](graded)
    if attack.follow_up:
        assert_next_grading_passes()


def _allowed_path(path: str) -> bool:
    """Whether a path that the sandbox lists belongs to the runtime, the harness, the job or the engine's own files."""
    mounts = runtime_dirs() + ["/harness", "/job/in", "/job/out", "/usr"]
    if path in mounts or any(mount.startswith(path + "/") for mount in mounts):
        return True  # a mount point or one of its parent folders
    if path.startswith(("/job/in/", "/job/out/", "/harness/", "/tmp/")):
        return True
    engine_files = {"/.dockerenv", "/sbin/docker-init", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc/mtab",
                    "/etc/passwd", "/etc/group"}  # fmt: skip
    system = {"/bin", "/lib", "/lib32", "/lib64", "/sbin", "/etc", "/tmp", "/etc/ld.so.cache", "/etc/localtime"}
    return path in engine_files | system


def test_file_system_holds_only_runtime_harness_and_job(grade_submission):
    attack = ATTACKS_BY_ID["walk-file-system"]
    source = attack.source.format(runtime_dirs=runtime_dirs())

    graded = grade_submission(source)

    assert_contained(graded, attack, source)
    paths = [line.split(" ", 1)[1] for line in printed(graded, "PATH")]
    assert "/job/in/submission.py" in paths
    assert [path for path in paths if not _allowed_path(path)] == []
    assert {Path(path).name for path in paths if path.startswith("/job/in/")} == VISIBLE_JOB_FILES


def test_environment_secret_of_worker_stays_outside(grade_submission, monkeypatch):
    attack = ATTACKS_BY_ID["environment-secrets"]
    canary = "tc-secret-" + secrets.token_hex(8)
    monkeypatch.setenv("TENSORCRAFT_TEST_SECRET", canary)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", canary)

    # A fresh sandbox: the pool's sandboxes were started before the variables were set.
    graded = grade_submission(attack.source, fresh_sandbox=True)

    assert_contained(graded, attack, attack.source)
    assert printed(graded, "ENV")
    assert canary not in graded.verdict.output


def test_other_sandbox_folder_is_unreachable(grade_submission, backend_name, attack_exercise):
    attack = ATTACKS_BY_ID["other-sandbox-folder"]
    other = get_backend(backend_name).start(attack_exercise.limits)
    try:
        canary = "tc-other-submission-" + secrets.token_hex(8)
        (other.in_dir / "canary.txt").write_text(canary)
        os.chmod(other.in_dir / "canary.txt", 0o644)
        source = attack.source.format(other_in_dir=str(other.in_dir), other_id=other.id)

        graded = grade_submission(source)
    finally:
        other.destroy()

    assert_contained(graded, attack, source)
    assert len(printed(graded, "BLOCKED")) == 3
    assert canary not in graded.verdict.output


def test_loopback_listener_receives_no_connection(grade_submission):
    attack = ATTACKS_BY_ID["connect-to-loopback-listener"]
    with socket.create_server(("127.0.0.1", 0)) as listener:
        source = attack.source.format(port=listener.getsockname()[1])

        graded = grade_submission(source)

        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert_contained(graded, attack, source)
    assert len(printed(graded, "NETWORK BLOCKED")) == 1


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_double_forked_daemon_dies_with_sandbox(grade_submission, assert_next_grading_passes):
    attack = ATTACKS_BY_ID["daemon-outlives-run"]
    marker = f"4321.{secrets.randbelow(10**6):06d}"
    source = attack.source.format(marker=marker)

    graded = grade_submission(source)

    assert_contained(graded, attack, source)
    deadline = time.monotonic() + 2
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(marker) == []
    assert_next_grading_passes()


def test_correct_solution_passes_after_the_attacks(grade_submission):
    graded = grade_submission(CORRECT)

    assert graded.verdict.status.value == "passed", (graded.verdict.reason, graded.verdict.message)
    assert graded.verdict.score == 1.0
