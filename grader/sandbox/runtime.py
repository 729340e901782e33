"""What a sandbox can read of the host: the system folders, the Python runtime, the environment and the command.

Both backends build their sandboxes from these lists, so the two agree on what
learner code can read: the system libraries, the Python runtime with its
installed packages, the harness and the job's own folders. Nothing of this
repository besides the harness is mounted (no reference models, exercises or
other submissions), and no variable of the worker's environment is passed on.
Runs on the trusted side.
"""

from __future__ import annotations

import os
import sys

# The unprivileged user that learner code runs as, on the host as well ("nobody" on Debian).
SANDBOX_UID = 65534
SANDBOX_GID = 65534
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime")
HARNESS_MOUNT = "/harness"
WORK_DIR = "/tmp"


def runtime_dirs() -> list[str]:
    """Return the folders of the Python runtime and its packages that lie outside the system folders."""
    dirs = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    return sorted(d for d in dirs if not any(d == s or d.startswith(s + "/") for s in SYSTEM_DIRS))


def sandbox_environment(device: str = "cpu") -> dict[str, str]:
    """Return the whole environment of learner code, in which no variable of the worker's environment appears.

    ``TENSORCRAFT_DEVICE`` names the device that the harness warms up before it reports ready.
    """
    return {
        "TENSORCRAFT_DEVICE": device,
        "PATH": "/usr/bin:/bin",
        "HOME": WORK_DIR,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "TENSORCRAFT_THREADS": "1",
    }


def harness_command(python: str) -> list[str]:
    """Start the harness with ``python``, ignoring PYTHON* variables and the user's site folder."""
    return [python, "-E", "-s", "-B", f"{HARNESS_MOUNT}/harness.py"]
