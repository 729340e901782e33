"""Entry point of the sandbox: import torch, wait for one job, run the probe over the learner's code.

Runs inside the sandbox only. Everything it writes is untrusted on the other
side: the trusted side re-validates names, shapes, dtypes and sizes, and
decides the verdict from the tensors alone. The harness exists to make honest
submissions gradable, not to defend the grader; the sandbox and the trusted
side do that.

Protocol: the harness prints ``READY_LINE`` once torch is imported, then
reads one line from standard input. On ``GO_LINE`` it reads the job from
``/job/in``, writes ``/job/out/outputs.safetensors`` and
``/job/out/manifest.json``, and exits. Whatever the learner's code prints
during visible cases goes to standard output; during hidden cases it goes to
/dev/null.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import sys
import time
import traceback

import protocol

MAX_MESSAGE_CHARS = 2000
MAX_TRACEBACK_CHARS = 4000


class ForbiddenCall(Exception):
    """Raised when learner code calls a function that its exercise forbids."""


def _learner_traceback(error: BaseException) -> str:
    """Format the traceback, keeping only frames from the learner's file."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.endswith(protocol.SUBMISSION_FILE)
    ]
    lines = traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines)[-MAX_TRACEBACK_CHARS:]


def _describe(error: BaseException) -> dict:
    kind = "forbidden_call" if isinstance(error, ForbiddenCall) else "exception"
    try:
        text = str(error)
    except BaseException:  # a learner's exception whose __str__ raises
        text = "<unprintable>"
    return {
        "kind": kind,
        "type": type(error).__name__,
        "message": text[:MAX_MESSAGE_CHARS],
        "traceback": _learner_traceback(error),
    }


def _guard(owner, attribute: str, label: str, violations: list) -> None:
    original = getattr(owner, attribute, None)
    if original is None:
        return

    def forbidden(*args, **kwargs):
        violations.append(label)
        raise ForbiddenCall(f"{label} is not allowed in this exercise")

    try:
        setattr(owner, attribute, forbidden)
    except (AttributeError, TypeError):
        pass


def install_guards(forbidden_calls: list[str], violations: list) -> None:
    """Replace each forbidden callable, named as a dotted path such as ``torch.logsumexp``."""
    for dotted in forbidden_calls:
        module_name, _, attribute = dotted.rpartition(".")
        parts = module_name.split(".")
        try:
            owner = importlib.import_module(parts[0])
            for part in parts[1:]:
                owner = getattr(owner, part)
        except (ImportError, AttributeError):
            continue
        _guard(owner, attribute, dotted, violations)


def _load_module(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _pipe_fds(reference_fd: int) -> list[int]:
    """List this process's descriptors that point at the same pipe as ``reference_fd``."""
    try:
        target = os.fstat(reference_fd)
    except OSError:
        return []
    if not stat.S_ISFIFO(target.st_mode):
        return []
    found = []
    for entry in os.listdir("/proc/self/fd"):
        fd = int(entry)
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) == (target.st_dev, target.st_ino):
            found.append(fd)
    return found


def silence_output() -> None:
    """Send fds 1 and 2 to /dev/null and close every other copy of the output pipe."""
    sys.stdout.flush()
    sys.stderr.flush()
    stdout_copies = set(_pipe_fds(1)) | set(_pipe_fds(2))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    for fd in stdout_copies - {1, 2}:
        try:
            os.close(fd)
        except OSError:
            pass


def _write_progress(out_dir: str, text: str) -> None:
    with open(os.path.join(out_dir, protocol.PROGRESS_FILE), "a") as handle:
        handle.write(text + "\n")


def run_job(job_dir: str) -> dict:
    import torch
    from safetensors.torch import load_file, save_file

    in_dir = os.path.join(job_dir, protocol.IN_DIR)
    out_dir = os.path.join(job_dir, protocol.OUT_DIR)
    with open(os.path.join(in_dir, protocol.JOB_FILE)) as handle:
        job = json.load(handle)
    inputs = load_file(os.path.join(in_dir, protocol.INPUTS_FILE))

    manifest: dict = {"cases": {}, "load": None, "forbidden": []}
    tensors: dict = {}
    violations: list = []
    install_guards(job.get("forbidden_calls", []), violations)

    started = time.perf_counter()
    try:
        learner = _load_module("submission", os.path.join(in_dir, protocol.SUBMISSION_FILE))
    except SyntaxError as error:
        manifest["load"] = {
            "kind": "syntax_error",
            "type": type(error).__name__,
            "message": str(error.msg)[:MAX_MESSAGE_CHARS],
            "line": error.lineno,
            "offset": error.offset,
            "text": (error.text or "")[:200],
        }
        return {"manifest": manifest, "tensors": tensors, "save": save_file, "out_dir": out_dir}
    except BaseException as error:  # the learner's module raised while importing, SystemExit included
        manifest["load"] = dict(_describe(error), kind="import_failed")
        return {"manifest": manifest, "tensors": tensors, "save": save_file, "out_dir": out_dir}
    manifest["load_ms"] = (time.perf_counter() - started) * 1000

    missing = [name for name in job["entry_points"] if not hasattr(learner, name)]
    if missing:
        manifest["load"] = {"kind": "missing_definition", "missing": missing}
        return {"manifest": manifest, "tensors": tensors, "save": save_file, "out_dir": out_dir}

    probe = _load_module("probe", os.path.join(in_dir, protocol.PROBE_FILE))
    # Long-running probes (the projects) call probe.report_progress("...") to show progress.
    probe.report_progress = lambda text: _write_progress(out_dir, "progress " + str(text)[:200])
    silenced = False
    for case in job["cases"]:
        case_id = case["id"]
        if not case["visible"] and not silenced:
            silence_output()
            silenced = True
        case_inputs = {
            name: inputs[protocol.tensor_key(case_id, name)].clone() for name in case["inputs"]
        }
        _write_progress(out_dir, "case " + case_id)
        torch.manual_seed(case["seed"])
        case_started = time.perf_counter()
        try:
            raw = probe.run(learner, case_inputs, case["params"])
            case_tensors, values = protocol.normalize_outputs(raw)
        except BaseException as error:  # every failure of learner code is reported per case
            manifest["cases"][case_id] = {"error": _describe(error)}
            continue
        for name, value in case_tensors.items():
            tensors[protocol.tensor_key(case_id, name)] = value.detach().to("cpu").contiguous().clone()
        manifest["cases"][case_id] = {
            "values": values,
            "duration_ms": (time.perf_counter() - case_started) * 1000,
        }
    manifest["forbidden"] = sorted(set(violations))
    return {"manifest": manifest, "tensors": tensors, "save": save_file, "out_dir": out_dir}


def write_results(result: dict) -> None:
    out_dir = result["out_dir"]
    outputs_path = os.path.join(out_dir, protocol.OUTPUTS_FILE)
    result["save"](result["tensors"], outputs_path + ".tmp")
    os.replace(outputs_path + ".tmp", outputs_path)
    manifest_path = os.path.join(out_dir, protocol.MANIFEST_FILE)
    with open(manifest_path + ".tmp", "w") as handle:
        json.dump(result["manifest"], handle, default=str)
    os.replace(manifest_path + ".tmp", manifest_path)


def main() -> None:
    threads = int(os.environ.get("TENSORCRAFT_THREADS", "1"))
    import torch  # noqa: F401  (imported before the job arrives: this is the warm-up)
    import safetensors.torch  # noqa: F401

    torch.set_num_threads(threads)
    os.write(1, protocol.READY_LINE)
    line = sys.stdin.buffer.readline()
    if line != protocol.GO_LINE:
        os._exit(3)
    sys.stdin.close()
    result = run_job(protocol.JOB_DIR)
    write_results(result)
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave at once: threads the learner started must not keep the sandbox alive.
    os._exit(0)


if __name__ == "__main__":
    main()
