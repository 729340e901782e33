"""The trusted side reads the output folder without following links and rejects anything the harness would not write."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
import torch
from safetensors.torch import save

from grader.harness import protocol
from grader.outputs import (
    HIDDEN_PHASE_REJECTED,
    VISIBLE_MANIFEST_MISSING,
    InvalidOutput,
    parse_outputs,
    read_regular_file,
    read_run_outputs,
)
from grader.sandbox.base import PhaseFiles, RunResult

CASES = {"small", "hidden-1"}


def manifest(**fields) -> bytes:
    return json.dumps({"cases": {}, "load": None, "forbidden": [], **fields}).encode()


def run_result(out_dir: Path, visible: PhaseFiles | None) -> RunResult:
    return RunResult(
        exit_code=0, exceeded=None, stdout=b"", stdout_truncated=False, wall_ms=1.0, cpu_ms=1.0, out_dir=out_dir,
        backend="test", visible=visible, hidden_started=visible is not None,
    )  # fmt: skip


def test_regular_file_is_read(tmp_path):
    (tmp_path / "manifest.json").write_bytes(b"{}")

    assert read_regular_file(tmp_path, "manifest.json", 10) == b"{}"
    assert read_regular_file(tmp_path, "absent.json", 10) is None


@pytest.mark.parametrize("target", ["/etc/passwd", "inside.json"])
def test_symlink_is_rejected(tmp_path, target):
    (tmp_path / "inside.json").write_bytes(b"{}")
    (tmp_path / "manifest.json").symlink_to(target)

    with pytest.raises(InvalidOutput, match="links are not accepted"):
        read_regular_file(tmp_path, "manifest.json", 1024)


def test_fifo_is_rejected_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "manifest.json")
    outcome = []

    reader = threading.Thread(target=lambda: outcome.append(_error_of(tmp_path)), daemon=True)
    reader.start()
    reader.join(timeout=5)

    assert outcome == ["manifest.json is not a regular file"]


def _error_of(directory: Path) -> str:
    try:
        read_regular_file(directory, "manifest.json", 1024)
    except InvalidOutput as error:
        return str(error)
    return "read"


def test_directory_is_rejected(tmp_path):
    (tmp_path / "manifest.json").mkdir()

    with pytest.raises(InvalidOutput, match="manifest.json is not a regular file"):
        read_regular_file(tmp_path, "manifest.json", 1024)


def test_oversize_file_is_rejected(tmp_path):
    (tmp_path / "outputs.safetensors").write_bytes(b"x" * 2048)

    with pytest.raises(InvalidOutput, match="outputs.safetensors is 2048 bytes; at most 1024 are accepted"):
        read_regular_file(tmp_path, "outputs.safetensors", 1024)


def test_malformed_safetensors_is_rejected():
    with pytest.raises(InvalidOutput, match="the tensor file is malformed"):
        parse_outputs(manifest(), b"\xff" * 64, expected_cases=CASES)


@pytest.mark.parametrize("key", ["other-case/loss", "small/", "small" + "/x" * 200])
def test_unexpected_tensor_name_is_rejected(key):
    data = save({key: torch.zeros(1)})

    with pytest.raises(InvalidOutput, match="unexpected tensor"):
        parse_outputs(manifest(), data, expected_cases=CASES)


def test_unsupported_dtype_is_rejected():
    data = save({"small/loss": torch.zeros(2, dtype=torch.float8_e4m3fn)})

    with pytest.raises(InvalidOutput, match="unsupported dtype float8_e4m3fn"):
        parse_outputs(manifest(), data, expected_cases=CASES)


def test_tensors_come_back_as_plain_tensors():
    data = save({"small/loss": torch.tensor(1.5), "hidden-1/grad.mu": torch.ones(2, 3, dtype=torch.float64)})

    outputs = parse_outputs(manifest(), data, expected_cases=CASES)

    assert type(outputs.tensors["small"]["loss"]) is torch.Tensor
    torch.testing.assert_close(outputs.tensors["hidden-1"]["grad.mu"], torch.ones(2, 3, dtype=torch.float64), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"[" * 100000 + b"]" * 100000, "not valid JSON: RecursionError", id="deeply-nested"),
        pytest.param(b"\xff\xfe not json", "not valid JSON", id="not-utf8"),
        pytest.param(b"[]", "not a JSON object with a 'cases' object", id="list"),
        pytest.param(manifest(cases={"other": {"values": {}}}), "unexpected case 'other'", id="unknown-case"),
        pytest.param(manifest(cases={"small": []}), "entry for case 'small' is not an object", id="case-not-object"),
        pytest.param(manifest(cases={"small": {"values": {"a": [1]}}}), "not a string, bool or null", id="value-list"),
        pytest.param(manifest(cases={"small": {"error": {"kind": "other"}}}), "not an error description", id="error-kind"),
        pytest.param(manifest(load={"kind": "missing_definition", "missing": 5}), "not a list of names", id="missing-int"),
        pytest.param(manifest(load={"kind": "import_failed", "message": 5}), "load.message is not a string", id="load-type"),
        pytest.param(manifest(load="failed"), "not a load failure", id="load-string"),
        pytest.param(manifest(forbidden=[1]), "forbidden calls are not a list of names", id="forbidden-int"),
        pytest.param(manifest(load_ms="fast"), "load_ms is not a number", id="load-ms-string"),
    ],
)
def test_malformed_manifest_is_rejected(data, message):
    with pytest.raises(InvalidOutput, match=message):
        parse_outputs(data, None, expected_cases=CASES)


def test_manifest_strings_are_cut_and_unknown_fields_dropped():
    error = {"kind": "exception", "type": "E" * 500, "message": "m" * 10000, "traceback": "t" * 10000}
    data = manifest(cases={"small": {"error": error, "passed": True}}, status="passed")

    outputs = parse_outputs(data, None, expected_cases=CASES)

    assert "status" not in outputs.manifest
    assert outputs.manifest["cases"]["small"] == {
        "error": {"kind": "exception", "type": "E" * 200, "message": "m" * 2000, "traceback": "t" * 4000}
    }


def test_forbidden_names_outside_the_exercise_list_are_dropped():
    data = manifest(forbidden=["torch.logsumexp", "LEAK 2.5"])

    outputs = parse_outputs(data, None, expected_cases=CASES, forbidden_calls=("torch.logsumexp",))

    assert outputs.manifest["forbidden"] == ["torch.logsumexp"]


def _write_hidden(out_dir: Path, cases: dict, tensors: dict | None = None) -> None:
    (out_dir / protocol.MANIFEST_FILE).write_bytes(manifest(cases=cases))
    (out_dir / protocol.OUTPUTS_FILE).write_bytes(save(tensors or {}))


def read_run(result: RunResult):
    return read_run_outputs(result, max_bytes=1 << 20, visible_cases={"small"}, hidden_cases={"hidden-1"}, forbidden_calls=())


def test_run_outputs_join_visible_copy_and_hidden_files(tmp_path):
    visible = PhaseFiles(manifest(cases={"small": {"values": {}}}), save({"small/loss": torch.tensor(1.0)}))
    _write_hidden(tmp_path, {"hidden-1": {"values": {}}}, {"hidden-1/loss": torch.tensor(2.0)})

    outputs = read_run(run_result(tmp_path, visible))

    assert sorted(outputs.manifest["cases"]) == ["hidden-1", "small"]
    assert float(outputs.tensors["small"]["loss"]) == 1.0
    assert float(outputs.tensors["hidden-1"]["loss"]) == 2.0


def test_run_outputs_none_without_the_end_of_visible_cases(tmp_path):
    _write_hidden(tmp_path, {"hidden-1": {"values": {}}})

    assert read_run(run_result(tmp_path, None)) is None


def test_run_outputs_none_when_hidden_phase_wrote_no_manifest(tmp_path):
    visible = PhaseFiles(manifest(cases={"small": {"values": {}}}), None)

    assert read_run(run_result(tmp_path, visible)) is None


def test_visible_copy_problem_is_reported(tmp_path):
    visible = PhaseFiles(None, None, problem="manifest.json is not a regular file")

    with pytest.raises(InvalidOutput, match="manifest.json is not a regular file"):
        read_run(run_result(tmp_path, visible))


def test_visible_end_without_manifest_is_rejected(tmp_path):
    with pytest.raises(InvalidOutput, match=VISIBLE_MANIFEST_MISSING):
        read_run(run_result(tmp_path, PhaseFiles(None, None)))


@pytest.mark.parametrize(
    "cases",
    [
        pytest.param({"small": {"error": {"kind": "exception", "message": "LEAK 2.5"}}}, id="visible-case-in-hidden-phase"),
        pytest.param({"LEAK 2.5": {"values": {}}}, id="unknown-case"),
    ],
)
def test_hidden_phase_errors_carry_no_details(tmp_path, cases):
    visible = PhaseFiles(manifest(cases={"small": {"values": {}}}), None)
    _write_hidden(tmp_path, cases)

    with pytest.raises(InvalidOutput) as raised:
        read_run(run_result(tmp_path, visible))

    assert str(raised.value) == HIDDEN_PHASE_REJECTED


def test_hidden_phase_load_entry_is_ignored(tmp_path):
    visible = PhaseFiles(manifest(cases={"small": {"values": {}}}), None)
    (tmp_path / protocol.MANIFEST_FILE).write_bytes(
        manifest(cases={"hidden-1": {"values": {}}}, load={"kind": "import_failed", "type": "X", "message": "LEAK"})
    )

    outputs = read_run(run_result(tmp_path, visible))

    assert outputs.manifest["load"] is None


def test_visible_load_failure_ends_the_reading(tmp_path):
    visible = PhaseFiles(manifest(load={"kind": "import_failed", "type": "ValueError", "message": "boom"}), None)

    outputs = read_run(run_result(tmp_path, visible))

    assert outputs.manifest["load"]["message"] == "boom"
