"""Hostile submissions to the test-only exercise ``tiny-vae-loss``, each with the verdict it must get.

SECURITY.md's table of attacks lists the same ids, statuses and reasons;
``test_security_doc.py`` fails when the two drift apart. Attack code
recognizes the hidden checks by ``beta > 1.9``: the visible cases use beta 1.0
and 0.5, the hidden ones a beta above 2 (see the exercise's ``checks.py``).
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

CORRECT = (Path(__file__).resolve().parent / "correct_solution.py").read_text()
# The right shape, dtype and gradients, the wrong value.
WRONG_RETURN = "return (x_hat.sum() + mu.sum() + log_var.sum()) * 0.0"
CORRECT_RETURN = textwrap.dedent(
    """
    bce = F.binary_cross_entropy(x_hat, x, reduction="none").sum(dim=1)
    kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp(), dim=1)
    return (bce + beta * kl).mean()
    """
)
HIDDEN_CRASH_MESSAGE = "Your code ended the process during the hidden checks, before grading finished."
HIDDEN_PHASE_REJECTED = (
    "The sandbox's output was rejected: the files written during the hidden checks do not follow the harness's format."
)


def submission(prelude: str, body: str) -> str:
    """A module with ``prelude`` at the top level and ``body`` as the body of ``vae_loss``."""
    header = "import torch\nimport torch.nn.functional as F\n"
    function = "def vae_loss(x, x_hat, mu, log_var, beta=1.0):\n" + textwrap.indent(textwrap.dedent(body).strip() + "\n", "    ")
    return header + textwrap.dedent(prelude).strip() + "\n\n\n" + function


def wrong(prelude: str = "", body: str = "") -> str:
    """A submission that runs ``body`` in every call, then returns a wrong loss."""
    return submission(prelude, textwrap.dedent(body).strip() + "\n" + WRONG_RETURN)


@dataclasses.dataclass(frozen=True)
class Attack:
    id: str
    group: str  # the attack class, as SECURITY.md's table names it
    source: str
    status: str
    reason: str | None  # the verdict's reason; None for "failed"
    message: str | None = None  # a fragment of the verdict's message that the test asserts
    # Grade a correct solution right after this attack, not only once per backend:
    # resource exhaustion is where a worker could be hurt.
    follow_up: bool = False


# Replaces os.replace, so the tampering runs right after the harness puts a file in place.
TAMPER_AFTER_REPLACE = """
import os

_replace = os.replace
HIDDEN_PHASE = []

def _tamper(source, destination):
    _replace(source, destination)
    if destination.endswith("/{name}") and ({hidden_only} is False or HIDDEN_PHASE):
        {action}

os.replace = _tamper
"""


def tamper(name: str, action: str, *, hidden_only: bool = False) -> str:
    prelude = TAMPER_AFTER_REPLACE.format(name=name, hidden_only=hidden_only, action=action)
    return wrong(prelude, "if beta > 1.9:\n    HIDDEN_PHASE.append(True)")


ATTACKS = [
    # Early exit.
    Attack("sys-exit-at-import", "early exit", "import sys\nsys.exit(0)\n",
           "error", "import_failed", "Importing your file raised SystemExit"),
    Attack("os-exit-at-import", "early exit", "import os\nos._exit(0)\n",
           "error", "crashed", "exit status 0"),
    Attack("system-exit-in-call", "early exit", submission("", "raise SystemExit(0)"),
           "error", "exception", "SystemExit"),
    Attack("keyboard-interrupt-in-call", "early exit", submission("", "raise KeyboardInterrupt"),
           "error", "exception", "KeyboardInterrupt"),
    Attack("os-exit-in-visible-call", "early exit", submission("import os", "os._exit(0)"),
           "error", "crashed", "exit status 0) while checking 'small'"),
    Attack("os-exit-in-hidden-call", "early exit",
           submission("import os", "if beta > 1.9:\n    os._exit(int(beta * 10))\n" + CORRECT_RETURN),
           "error", "crashed", HIDDEN_CRASH_MESSAGE),
    # Fake success markers.
    Attack("verdict-json-on-stdout", "fake success markers",
           wrong("import json", "print(json.dumps({'status': 'passed', 'score': 1.0, 'checks': []}), flush=True)"),
           "failed", None),
    Attack("verdict-json-on-stderr", "fake success markers",
           wrong("import json, sys", "print(json.dumps({'status': 'passed', 'score': 1.0}), file=sys.stderr, flush=True)"),
           "failed", None),
    Attack("protocol-lines-printed-early", "fake success markers",
           wrong("print('tensorcraft-harness-ready')\nprint('tensorcraft-visible-cases-done', flush=True)"),
           "error", "invalid_output", "reported before their results were written"),
    Attack("fake-manifest-then-exit", "fake success markers",
           submission(
               """
               import json, os
               with open("/job/out/manifest.json", "w") as handle:
                   json.dump({"cases": {"small": {"values": {}}, "half-beta": {"values": {}}}, "status": "passed"}, handle)
               os._exit(0)
               """,
               CORRECT_RETURN,
           ),
           "error", "crashed", "exit status 0"),
    Attack("verdict-fields-in-manifest", "fake success markers",
           wrong(
               """
               import json
               _dump = json.dump
               def _forged(manifest, handle, **options):
                   manifest.update(status="passed", score=1.0, passed=True)
                   for entry in manifest.get("cases", {}).values():
                       entry["passed"] = True
                   _dump(manifest, handle, **options)
               json.dump = _forged
               """
           ),
           "failed", None),
    # Patching torch, builtins and the harness inside the sandbox.
    Attack("patch-torch-allclose", "patching torch, builtins or the harness",
           wrong("torch.allclose = lambda *args, **kwargs: True\ntorch.testing.assert_close = lambda *args, **kwargs: None"),
           "failed", None),
    Attack("patch-tensor-eq", "patching torch, builtins or the harness",
           wrong("torch.Tensor.__eq__ = lambda self, other: True\ntorch.equal = lambda *args: True"),
           "failed", None),
    Attack("patch-builtins", "patching torch, builtins or the harness",
           wrong("import builtins\nbuiltins.isinstance = lambda value, kind: True\nbuiltins.len = lambda value: 0"),
           "error", "crashed", "exit status 1"),
    Attack("patch-harness-write", "patching torch, builtins or the harness",
           wrong(
               """
               import sys
               _job_class = sys.modules["__main__"].Job
               _write = _job_class.write_results
               def _forged(self):
                   for entry in self.manifest["cases"].values():
                       entry.clear()
                       entry["values"] = {"verdict": "passed"}
                   self.tensors = {}
                   _write(self)
               _job_class.write_results = _forged
               """
           ),
           "failed", None),
    Attack("patch-protocol-module", "patching torch, builtins or the harness",
           wrong("import protocol\nprotocol.normalize_outputs = lambda raw: ({}, {'verdict': 'passed'})"),
           "failed", None),
    # Odd return values.
    Attack("tensor-subclass-always-equal", "odd return values",
           submission(
               """
               class AlwaysEqual(torch.Tensor):
                   def __eq__(self, other):
                       return True
                   def allclose(self, *args, **kwargs):
                       return True
               """,
               "return ((x_hat.sum() + mu.sum() + log_var.sum()) * 0.0).as_subclass(AlwaysEqual)",
           ),
           "failed", None),
    Attack("object-always-equal", "odd return values",
           submission("class AlwaysEqual:\n    def __eq__(self, other):\n        return True", "return AlwaysEqual()"),
           "failed", None),
    Attack("nan-loss", "odd return values", submission("", "return (x_hat.sum() * 0.0) * float('nan')"),
           "failed", None),
    Attack("infinite-loss", "odd return values", submission("", "return (x_hat.sum() * 0.0) + float('inf')"),
           "failed", None),
    Attack("wrong-dtype-loss", "odd return values",
           submission("", CORRECT_RETURN.replace("return (bce + beta * kl).mean()", "return (bce + beta * kl).mean().half()")),
           "failed", None),
    Attack("meta-device-loss", "odd return values", submission("", "return torch.empty((), device='meta')"),
           "error", "exception", "NotImplementedError"),
    Attack("huge-tensor-loss", "odd return values", submission("", "return torch.zeros(4 * 1024 * 1024)"),
           "error", "output_limit", "output limit of 2097152 bytes"),
    # Reading what the sandbox must not see.
    Attack("walk-file-system", "reading files, inputs or secrets",
           wrong(
               """
               import os
               SKIP = ("/proc", "/sys", "/dev", "/usr") + tuple({runtime_dirs!r})
               for folder, subfolders, files in os.walk("/"):
                   subfolders[:] = [name for name in subfolders if os.path.join(folder, name) not in SKIP]
                   for name in files + subfolders:
                       print("PATH", os.path.join(folder, name))
               """
           ),
           "failed", None),
    Attack("read-hidden-inputs-at-import", "reading files, inputs or secrets",
           wrong(
               """
               import os
               from safetensors import safe_open
               for name in sorted(os.listdir("/job/in")):
                   path = os.path.join("/job/in", name)
                   if name.endswith(".safetensors"):
                       with safe_open(path, "pt") as handle:
                           print("KEYS", name, sorted(handle.keys()))
                   else:
                       print("FILE", name, open(path).read())
               """
           ),
           "failed", None),
    Attack("read-hidden-inputs-from-thread", "reading files, inputs or secrets",
           wrong(
               """
               import os, threading, time
               COPY = os.dup(1)

               def _leak():
                   while not os.path.exists("/job/in/hidden-job.json"):
                       time.sleep(0.001)
                   text = ("LEAK " + open("/job/in/hidden-job.json").read() + "\\n").encode()
                   for path in ["/proc/1/fd/1", "/proc/self/fd/1", "/proc/self/fd/%d" % COPY]:
                       try:
                           fd = os.open(path, os.O_WRONLY)
                           os.write(fd, text)
                       except OSError:
                           pass
                   for fd in (1, 2, COPY):
                       try:
                           os.write(fd, text)
                       except OSError:
                           pass

               threading.Thread(target=_leak).start()
               """
           ),
           "failed", None),
    Attack("hidden-inputs-in-exception", "reading files, inputs or secrets",
           submission("", "if beta > 1.9:\n    raise ValueError('LEAK beta=%r shape=%r' % (beta, tuple(x.shape)))\n" + CORRECT_RETURN),
           "failed", None),
    Attack("hidden-inputs-in-manifest", "reading files, inputs or secrets",
           wrong(
               "import gc",
               """
               if beta > 1.9:
                   for job in [item for item in gc.get_objects() if type(item).__name__ == "Job"]:
                       job.manifest["load"] = {"kind": "import_failed", "type": "LEAK", "message": repr(beta)}
                       job.violations.append("LEAK %r" % beta)
               """,
           ),
           "failed", None),
    Attack("hidden-inputs-in-progress", "reading files, inputs or secrets",
           wrong("import sys", "sys.modules['probe'].report_progress('LEAK %r' % beta)"),
           "failed", None),
    Attack("environment-secrets", "reading files, inputs or secrets",
           wrong(
               """
               import os
               print("ENV", dict(os.environ))
               for path in ("/proc/self/environ", "/proc/1/environ"):
                   try:
                       print("ENVFILE", path, open(path, "rb").read())
                   except OSError as error:
                       print("ENVFILE", path, "BLOCKED", error.errno)
               """
           ),
           "failed", None),
    Attack("other-sandbox-folder", "reading files, inputs or secrets",
           wrong(
               """
               import os
               for path in ({other_in_dir!r}, {other_in_dir!r} + "/canary.txt", "/job/in/../../" + {other_id!r}):
                   try:
                       print("READ", path, os.listdir(path) if os.path.isdir(path) else open(path).read())
                   except OSError as error:
                       print("BLOCKED", path, error.errno)
               """
           ),
           "failed", None),
    Attack("walk-garbage-collector", "reading files, inputs or secrets",
           submission(
               "import gc",
               """
               found = [item for item in gc.get_objects() if isinstance(item, torch.Tensor) and item.dim() == 0]
               print("SCALARS", len(found))
               return found[-1] if found else x_hat.sum() * 0.0
               """,
           ),
           "failed", None),
    Attack("walk-stack-frames", "reading files, inputs or secrets",
           wrong(
               "import sys",
               """
               frame = sys._getframe()
               while frame is not None:
                   names = sorted(frame.f_locals)
                   print("FRAME", frame.f_code.co_name, names)
                   for name in names:
                       if "expect" in name or "reference" in name:
                           print("FOUND", name)
                   frame = frame.f_back
               """,
           ),
           "failed", None),
    Attack("uid-on-host", "reading files, inputs or secrets",
           wrong(
               """
               import os
               uid = os.getuid()
               for line in open("/proc/self/uid_map"):
                   inside, outside, count = map(int, line.split())
                   if inside <= uid < inside + count:
                       print("HOSTUID", outside + uid - inside)
               """
           ),
           "failed", None),
    Attack("reach-parent-through-proc-1", "reading files, inputs or secrets",
           wrong(
               """
               import os, signal
               print("INIT", open("/proc/1/cmdline", "rb").read().split(b"\\0")[0])
               for path in ("/proc/1/root/work", "/proc/1/root/root", "/proc/1/cwd", "/proc/1/fd"):
                   try:
                       print("LISTED", path, os.listdir(path))
                   except OSError as error:
                       print("BLOCKED", path, error.errno)
               for target in (1, -1):
                   try:
                       os.kill(target, signal.SIGKILL)
                       print("SENT", target)
                   except OSError as error:
                       print("KILL BLOCKED", target, error.errno)
               """
           ),
           "failed", None),
    Attack("keyring-stash", "reading files, inputs or secrets",
           wrong(
               """
               import ctypes
               libc = ctypes.CDLL(None, use_errno=True)
               # add_key into the user (-4) and user-session (-5) keyrings, which outlive a sandbox,
               # then keyctl(KEYCTL_SEARCH) for a key that an earlier submission would have left.
               calls = {"x86_64": (248, 250), "aarch64": (217, 219)}
               import platform
               add_key, keyctl = calls[platform.machine()]
               for ring in (-4, -5):
                   data = b"stash for a later submission"
                   result = libc.syscall(add_key, b"user", b"tc-stash", data, len(data), ring)
                   print("ADD_KEY", ring, "STORED" if result >= 0 else "BLOCKED", ctypes.get_errno())
                   found = libc.syscall(keyctl, 10, ring, b"user", b"tc-stash", 0)
                   print("SEARCH", ring, "FOUND" if found >= 0 else "BLOCKED", ctypes.get_errno())
               """
           ),
           "failed", None),
    Attack("write-job-inputs", "reading files, inputs or secrets",
           wrong(
               """
               import os
               for path, mode in (("/job/in/inputs.safetensors", "r+b"), ("/job/in/hidden-inputs.safetensors", "wb"),
                                  ("/job/in/job.json", "w")):
                   try:
                       open(path, mode).write(b"" if "b" in mode else "{}")
                       print("WRITTEN", path)
                   except OSError as error:
                       print("WRITE BLOCKED", path, error.errno)
               """
           ),
           "failed", None),
    # Network.
    Attack("connect-to-loopback-listener", "network",
           wrong(
               """
               import socket
               try:
                   socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"LEAK")
                   print("CONNECTED")
               except OSError as error:
                   print("NETWORK BLOCKED", error.errno)
               """
           ),
           "failed", None),
    # Resource exhaustion.
    Attack("fork-bomb", "resource exhaustion",
           "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
           "error", "process_limit", "limit of 32 processes", follow_up=True),
    Attack("thread-bomb", "resource exhaustion",
           wrong(
               """
               import threading, time
               _threads = []
               try:
                   while True:
                       _threads.append(threading.Thread(target=time.sleep, args=(60,)))
                       _threads[-1].start()
               except RuntimeError:
                   while True:
                       pass
               """
           ),
           "error", "process_limit", "limit of 32 processes", follow_up=True),
    Attack("memory-bomb-one-tensor", "resource exhaustion",
           submission("", "return torch.ones(2 * 1024**3, dtype=torch.uint8).float().sum()"),
           "error", "memory_limit", "memory limit of 512 MiB", follow_up=True),
    Attack("memory-bomb-gradual", "resource exhaustion",
           wrong("_chunks = []\nwhile True:\n    _chunks.append(b'x' * (16 << 20))"),
           "error", "memory_limit", "memory limit of 512 MiB", follow_up=True),
    Attack("fill-tmp", "resource exhaustion",
           wrong("", "with open('/tmp/filler', 'wb') as handle:\n    while True:\n        handle.write(b'x' * (1 << 20))"),
           "error", "exception", "No space left on device", follow_up=True),
    Attack("fill-output-folder", "resource exhaustion",
           submission(
               "",
               textwrap.dedent(
                   """
                   try:
                       with open('/job/out/filler', 'ab') as handle:
                           while True:
                               handle.write(b'x' * (1 << 16))
                   except OSError:
                       pass
                   """
               ) + CORRECT_RETURN,
           ),
           "error", "output_limit", "output limit of 2097152 bytes", follow_up=True),
    Attack("busy-loop-ignoring-sigterm", "resource exhaustion",
           wrong("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)", "while True:\n    pass"),
           "error", "wall_time_limit", "wall-time limit of 6 s", follow_up=True),
    Attack("stdout-flood", "resource exhaustion",
           wrong("import sys", "for _ in range(80):\n    sys.stdout.write('A' * 65536)"),
           "failed", None, follow_up=True),
    Attack("stderr-flood", "resource exhaustion",
           wrong("import sys", "for _ in range(80):\n    sys.stderr.write('E' * 65536)"),
           "failed", None, follow_up=True),
    Attack("thread-outlives-call", "resource exhaustion",
           wrong(
               "import threading, time",
               """
               def _linger():
                   while True:
                       time.sleep(0.01)
               threading.Thread(target=_linger).start()
               """,
           ),
           "failed", None, follow_up=True),
    Attack("daemon-outlives-run", "resource exhaustion",
           wrong(
               "import os",
               """
               if os.fork() == 0:
                   os.setsid()
                   if os.fork() == 0:
                       os.execv("/usr/bin/sleep", ["sleep", {marker!r}])
                   os._exit(0)
               """,
           ),
           "failed", None, follow_up=True),
    Attack("segfault-through-ctypes", "resource exhaustion",
           submission("import ctypes", "ctypes.string_at(0)"),
           "error", "crashed", "signal 11 (SIGSEGV) while checking 'small'", follow_up=True),
    # Tampering with the output folder.
    Attack("manifest-symlink-to-etc-passwd", "output folder tampering",
           tamper("manifest.json", "os.remove(destination)\n        os.symlink('/etc/passwd', destination)"),
           "error", "invalid_output", "links are not accepted"),
    Attack("manifest-symlink-outside-output", "output folder tampering",
           tamper("manifest.json", "os.remove(destination)\n        os.symlink('/job/in/job.json', destination)"),
           "error", "invalid_output", "links are not accepted"),
    Attack("outputs-as-fifo", "output folder tampering",
           tamper("outputs.safetensors", "os.remove(destination)\n        os.mkfifo(destination)"),
           "error", "invalid_output", "outputs.safetensors is not a regular file"),
    Attack("manifest-as-directory", "output folder tampering",
           tamper("manifest.json", "os.remove(destination)\n        os.mkdir(destination)"),
           "error", "invalid_output", "manifest.json is not a regular file"),
    Attack("manifest-deleted", "output folder tampering",
           tamper("manifest.json", "os.remove(destination)"),
           "error", "invalid_output", "reported before their results were written"),
    Attack("manifest-deeply-nested", "output folder tampering",
           tamper("manifest.json", "open(destination, 'w').write('[' * 100000 + ']' * 100000)"),
           "error", "invalid_output", "the manifest is not valid JSON"),
    Attack("manifest-wrong-types", "output folder tampering",
           tamper("manifest.json",
                  "open(destination, 'w').write('{\"cases\": {}, \"load\": {\"kind\": \"missing_definition\", \"missing\": 5}}')"),
           "error", "invalid_output", "missing definitions is not a list of names"),
    Attack("hidden-manifest-symlink", "output folder tampering",
           tamper("manifest.json", "os.remove(destination)\n        os.symlink('/etc/passwd', destination)", hidden_only=True),
           "error", "invalid_output", HIDDEN_PHASE_REJECTED),
]

ATTACKS_BY_ID = {attack.id: attack for attack in ATTACKS}
assert len(ATTACKS_BY_ID) == len(ATTACKS), "attack ids must be unique"
