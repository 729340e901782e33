"""Entry point of the sandbox: import torch, wait for the job, run the probe over the learner's code.

Runs inside the sandbox only. Everything it writes is untrusted on the other
side: the trusted side re-validates names, shapes, dtypes and sizes, and
decides the verdict from the tensors alone. The harness exists to make honest
submissions gradable, not to defend the grader; the sandbox and the trusted
side do that.

The protocol (see ``protocol``) runs the visible cases first and the hidden
cases second. The hidden cases' inputs appear in ``/job/in`` only after the
trusted side has stopped recording standard output, so nothing the learner's
code prints can carry them back to the learner.
"""

from __future__ import annotations

import errno
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
MAX_CONTROL_LINE_BYTES = 64


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
    try:
        trace = _learner_traceback(error)
    except BaseException:  # the same, raised again while formatting the traceback
        trace = ""
    return {
        "kind": kind,
        "type": type(error).__name__[:200],
        "message": text[:MAX_MESSAGE_CHARS],
        "traceback": trace,
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


def silence_output(keep: int) -> None:
    """Send fds 1 and 2 to /dev/null and close every other copy of the output pipe but ``keep``.

    ``keep`` is the harness's private copy, which carries only the end-of-job line.

    This only spares the trusted side from reading output it discards: learner
    code can still reach the pipe (through another process of the sandbox, for
    one), which is why the trusted side stops recording before any hidden input
    exists.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # the learner may have replaced or closed the stream
            pass
    stdout_copies = set(_pipe_fds(1)) | set(_pipe_fds(2))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    for fd in stdout_copies - {1, 2, keep}:
        try:
            os.close(fd)
        except OSError:
            pass


def read_control_line(fd: int) -> bytes:
    """Read one line of the protocol from ``fd``, byte by byte so that nothing after it is consumed."""
    line = b""
    while not line.endswith(b"\n") and len(line) < MAX_CONTROL_LINE_BYTES:
        try:
            byte = os.read(fd, 1)
        except OSError:
            return b""
        if not byte:
            break
        line += byte
    return line


def seed_generators(seed: int) -> None:
    """Seed the case's generators, CUDA's included in a GPU sandbox."""
    protocol.seed_generators(seed, cuda=os.environ.get("TENSORCRAFT_DEVICE") == "gpu")


def _write_progress(out_dir: str, text: str) -> None:
    with open(os.path.join(out_dir, protocol.PROGRESS_FILE), "a") as handle:
        handle.write(text + "\n")


class Job:
    """The job's state across both phases: the learner's module, the probe and what is written out."""

    def __init__(self, job_dir: str):
        from safetensors.torch import save

        self.in_dir = os.path.join(job_dir, protocol.IN_DIR)
        self.out_dir = os.path.join(job_dir, protocol.OUT_DIR)
        self.save_tensors = save
        self.learner = None
        self.probe = None
        self.violations: list = []
        self.manifest: dict = {"cases": {}, "load": None, "forbidden": []}
        self.tensors: dict = {}

    def load(self) -> None:
        """Import the learner's module and the probe; record a load failure in the manifest."""
        with open(os.path.join(self.in_dir, protocol.JOB_FILE)) as handle:
            self.job = json.load(handle)
        install_guards(self.job.get("forbidden_calls", []), self.violations)

        started = time.perf_counter()
        try:
            learner = _load_module("submission", os.path.join(self.in_dir, protocol.SUBMISSION_FILE))
        except SyntaxError as error:
            self.manifest["load"] = {
                "kind": "syntax_error",
                "type": type(error).__name__,
                "message": str(error.msg)[:MAX_MESSAGE_CHARS],
                "line": error.lineno,
                "offset": error.offset,
                "text": (error.text or "")[:200],
            }
            return
        except BaseException as error:  # the learner's module raised while importing, SystemExit included
            self.manifest["load"] = dict(_describe(error), kind="import_failed")
            return
        self.manifest["load_ms"] = (time.perf_counter() - started) * 1000

        missing = [name for name in self.job["entry_points"] if not hasattr(learner, name)]
        if missing:
            self.manifest["load"] = {"kind": "missing_definition", "missing": missing}
            return
        self.learner = learner
        self.probe = _load_module("probe", os.path.join(self.in_dir, protocol.PROBE_FILE))
        # Long-running probes (the projects) call probe.report_progress("...") to show progress.
        out_dir = self.out_dir
        self.probe.report_progress = lambda text: _write_progress(out_dir, "progress " + str(text)[:200])

    def run_cases(self, cases: list, inputs_file: str) -> None:
        """Run the probe on each case; start a fresh manifest and tensor set for this phase."""
        import torch
        from safetensors.torch import load_file

        self.manifest["cases"] = {}
        self.tensors = {}
        if self.learner is None or not cases:
            return
        inputs = load_file(os.path.join(self.in_dir, inputs_file))
        for case in cases:
            case_id = case["id"]
            case_inputs = {name: inputs[protocol.tensor_key(case_id, name)].clone() for name in case["inputs"]}
            _write_progress(self.out_dir, "case " + case_id)
            seed_generators(case["seed"])
            case_started = time.perf_counter()
            try:
                raw = self.probe.run(self.learner, case_inputs, case["params"])
                case_tensors, values = protocol.normalize_outputs(raw)
                # Copying to the CPU can raise too (a tensor on the meta device has no data).
                copies = {name: value.detach().to("cpu").contiguous().clone() for name, value in case_tensors.items()}
            except BaseException as error:  # every failure of learner code is reported per case
                self.manifest["cases"][case_id] = {"error": _describe(error)}
                continue
            for name, value in copies.items():
                self.tensors[protocol.tensor_key(case_id, name)] = value
            self.manifest["cases"][case_id] = {
                "values": values,
                "duration_ms": (time.perf_counter() - case_started) * 1000,
            }

    def write_results(self) -> None:
        """Write the tensors, then the manifest; leave ``OUTPUT_FULL_FILE`` behind when they do not fit."""
        self.manifest["forbidden"] = sorted(set(self.violations))
        tensor_bytes = self.save_tensors(self.tensors)
        try:
            outputs_path = os.path.join(self.out_dir, protocol.OUTPUTS_FILE)
            with open(outputs_path + ".tmp", "wb") as handle:
                handle.write(tensor_bytes)
            os.replace(outputs_path + ".tmp", outputs_path)
            manifest_path = os.path.join(self.out_dir, protocol.MANIFEST_FILE)
            with open(manifest_path + ".tmp", "w") as handle:
                json.dump(self.manifest, handle, default=str)
            os.replace(manifest_path + ".tmp", manifest_path)
        except OSError as error:
            if error.errno == errno.ENOSPC:
                _mark_output_full(self.out_dir)
            raise


def _mark_output_full(out_dir: str) -> None:
    """Tell the supervisor that the results did not fit, freeing the partial tensor file to make room."""
    for name in (protocol.OUTPUTS_FILE + ".tmp", protocol.MANIFEST_FILE + ".tmp"):
        try:
            os.unlink(os.path.join(out_dir, name))
        except OSError:
            pass
    try:
        os.close(os.open(os.path.join(out_dir, protocol.OUTPUT_FULL_FILE), os.O_WRONLY | os.O_CREAT, 0o644))
    except OSError:
        pass


def _flush_learner_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # the learner may have replaced or closed the stream
            pass


def warm_up() -> None:
    """Run what every job's first case would otherwise pay for: autograd's set-up and a safetensors round trip.

    A sandbox for GPU exercises (``TENSORCRAFT_DEVICE=gpu``) also creates its
    CUDA context here, which takes seconds, and exits with a message when no
    GPU is visible, so that the trusted side reports it before any job arrives.
    """
    import torch
    import torch.nn.functional as F
    from safetensors.torch import load, save

    seed_generators(0)
    # The first call of each operator pays for its dispatch set-up; these are ones most exercises use.
    for dtype in (torch.float32, torch.float64):
        weights = torch.rand(4, 3, dtype=dtype).requires_grad_()
        value = (
            F.binary_cross_entropy(torch.sigmoid(weights), torch.rand(4, 3, dtype=dtype), reduction="sum")
            + F.mse_loss(weights, torch.randn_like(weights))
            + torch.exp(weights).mean()
            + torch.log1p(weights.abs()).sum()
            + torch.logsumexp(weights @ weights.T, dim=-1).sum()
            + torch.softmax(weights, dim=-1).pow(2).sum()
        )
        torch.autograd.grad(value, [weights])
    load(save({"warm-up": weights.detach()}))
    if os.environ.get("TENSORCRAFT_DEVICE") == "gpu":
        if not torch.cuda.is_available():
            os.write(2, b"the sandbox has no usable GPU: torch.cuda.is_available() is False\n")
            os._exit(4)
        on_gpu = weights.detach().to("cuda")
        torch.autograd.grad((on_gpu.requires_grad_() * on_gpu).sum(), [on_gpu])
        torch.cuda.synchronize()


def main() -> None:
    threads = int(os.environ.get("TENSORCRAFT_THREADS", "1"))
    import torch  # noqa: F401  (imported before the job arrives: this is the warm-up)
    import safetensors.torch  # noqa: F401

    torch.set_num_threads(threads)
    warm_up()
    serve()


def serve() -> None:
    """Report ready, then run the one job in two phases as the trusted side hands them in, and exit."""
    # Private copies of the control channel, made before any learner code runs,
    # so that learner code that closes or redirects fds 0 and 1 does not stall the protocol.
    control_in = os.dup(0)
    control_out = os.dup(1)
    os.write(control_out, protocol.READY_LINE)
    if read_control_line(control_in) != protocol.GO_LINE:
        os._exit(3)

    job = Job(protocol.JOB_DIR)
    job.load()
    job.run_cases(job.job["cases"], protocol.INPUTS_FILE)
    job.write_results()
    _flush_learner_streams()
    # The newline first puts the marker at the start of a line even after a partial line of learner output.
    os.write(control_out, b"\n" + protocol.VISIBLE_DONE_LINE)
    if read_control_line(control_in) != protocol.HIDDEN_GO_LINE:
        os._exit(3)

    silence_output(keep=control_out)
    hidden_cases: list = []
    if job.learner is not None:
        with open(os.path.join(job.in_dir, protocol.HIDDEN_JOB_FILE)) as handle:
            hidden_cases = json.load(handle)["cases"]
    job.run_cases(hidden_cases, protocol.HIDDEN_INPUTS_FILE)
    job.write_results()
    os.write(control_out, b"\n" + protocol.HIDDEN_DONE_LINE)
    # Wait until the trusted side closes the control channel or kills the sandbox, which it
    # does after storing the verdict. A process with torch loaded takes tens of milliseconds
    # to tear down, so exiting now would spend them while the verdict is being computed.
    read_control_line(control_in)
    # Then leave at once: threads the learner started must not keep the sandbox alive.
    os._exit(0)


if __name__ == "__main__":
    main()
