"""The docker backend: one container per sandbox, started through the docker command line.

Each container runs with no network, a read-only root, a size-capped /tmp,
the unprivileged user 65534, no capabilities, ``no-new-privileges``, the
engine's default seccomp profile, and the memory (without swap), process and
CPU limits of the exercise. The job's input folder is bind-mounted read-only
and its output folder (the size-capped tmpfs that the base class mounts)
read-write. GPU exercises get the GPU through a device request (``--gpus``).

Two kinds of image:

- the production image (``TENSORCRAFT_SANDBOX_IMAGE``, built from
  ``docker/sandbox.Dockerfile``) contains Python, torch and the harness;
- without that variable, the test image that ``docker/build-test-image.sh``
  builds from an empty root file system, into which the host's /usr, the
  Python runtime and the harness are bind-mounted read-only. Its image id
  therefore does not pin the Python packages; the verdict's reproducibility
  record names the torch and Python versions separately.

CPU time, memory and process events are read from the container's cgroup files
on the host; an out-of-memory kill is also read from ``docker inspect``
(``State.OOMKilled``). Runs on the trusted side.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from grader.errors import GraderError, SandboxUnavailable
from grader.harness import protocol
from grader.limits import Limits
from grader.sandbox.base import HARNESS_DIR, READY_TIMEOUT_S, Backend, Sandbox
from grader.sandbox.cgroups import ControlGroup
from grader.sandbox.runtime import (
    ETC_FILES,
    HARNESS_MOUNT,
    SANDBOX_GID,
    SANDBOX_UID,
    WORK_DIR,
    harness_command,
    runtime_dirs,
    sandbox_environment,
)

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "docker" / "build-test-image.sh"
# Keep in step with the default tag in docker/build-test-image.sh.
TEST_IMAGE = "tensorcraft-sandbox-test:2"
CONTAINER_PREFIX = "tensorcraft-sandbox-"
SANDBOX_LABEL = "org.tensorcraft.sandbox"
# "<host name>:<pid>" of the worker that started the container, to find orphans.
WORKER_LABEL = "org.tensorcraft.worker"
# CPU cores per container; torch runs single-threaded inside (TENSORCRAFT_THREADS=1).
CPU_CORES = 1.0
# Seconds a docker command other than "run" may take before the engine counts as unresponsive.
DOCKER_COMMAND_TIMEOUT_S = 60
IMAGE_BUILD_TIMEOUT_S = 300
# How long a resolved image id is trusted before it is looked up again.
IMAGE_CACHE_S = 60.0
# Environment variables the docker command line itself needs; nothing else of the worker's environment is passed.
CLI_ENV_NAMES = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")

# How long a successful engine check is trusted before the engine is asked again.
ENGINE_CHECK_CACHE_S = 60.0

_image_cache: dict[str, tuple[float, str, str]] = {}
_engine_seen_at = -ENGINE_CHECK_CACHE_S
_orphans_reaped = False
_reap_lock = threading.Lock()


def cli_environment() -> dict[str, str]:
    env = {name: os.environ[name] for name in CLI_ENV_NAMES if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    return env


def run_docker(docker: str, *args: str, timeout_s: float = DOCKER_COMMAND_TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run one docker command and capture its output; raise ``GraderError`` when the engine does not respond in time."""
    try:
        return subprocess.run(
            [docker, *args], capture_output=True, text=True, timeout=timeout_s, env=cli_environment(), stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as error:
        raise GraderError(f"'docker {args[0]}' did not finish within {timeout_s} s; is the Docker engine overloaded?") from error


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class DockerSandbox(Sandbox):
    backend_name = "docker"

    def __init__(self, limits: Limits, *, docker: str, image_id: str, image_record: str, host_runtime: bool,
                 device: str = "cpu", gpus: str = "all"):
        super().__init__(limits)
        self.docker = docker
        self.image_id = image_id
        self.image_record = image_record
        self.host_runtime = host_runtime
        self.device = device
        self.gpus = gpus
        self.container = CONTAINER_PREFIX + self.id
        self.cgroup: ControlGroup | None = None
        self._last_cpu_ms: float | None = None
        self._memory_hit = False
        self._processes_hit = False
        self._inspected_exit = False

    @property
    def image(self) -> str:
        return self.image_record

    def command(self) -> list[str]:
        """Build the complete ``docker run`` command line of this sandbox."""
        limits = self.limits
        args = [
            self.docker, "run",
            "--interactive",
            "--name", self.container,
            "--label", f"{SANDBOX_LABEL}={self.id}",
            "--label", f"{WORKER_LABEL}={worker_label()}",
            # A small init as process 1 reaps orphans; when the harness exits, the container ends.
            "--init",
            "--network", "none",
            "--read-only",
            "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges",
            "--user", f"{SANDBOX_UID}:{SANDBOX_GID}",
            "--pids-limit", str(limits.max_processes),
            "--memory", f"{limits.memory_mib}m",
            "--memory-swap", f"{limits.memory_mib}m",
            "--cpus", str(CPU_CORES),
            "--ulimit", "core=0",
            "--tmpfs", f"{WORK_DIR}:rw,nosuid,nodev,size={limits.tmpfs_mib}m,mode=1777",
            "--shm-size", f"{limits.tmpfs_mib}m",
            # No log file on the host: a flood of output must not fill the engine's disk.
            "--log-driver", "none",
            "--hostname", "sandbox",
            "--workdir", WORK_DIR,
            "--mount", f"type=bind,source={self.in_dir},target={protocol.JOB_DIR}/{protocol.IN_DIR},readonly",
            "--mount", f"type=bind,source={self.out_dir},target={protocol.JOB_DIR}/{protocol.OUT_DIR}",
        ]  # fmt: skip
        if self.host_runtime:
            sources = ["/usr", *runtime_dirs()] + [path for path in ETC_FILES if os.path.exists(path)]
            for path in sources:
                args += ["--mount", f"type=bind,source={path},target={path},readonly"]
            args += ["--mount", f"type=bind,source={HARNESS_DIR},target={HARNESS_MOUNT},readonly"]
        for name, value in sandbox_environment(self.device).items():
            # The production image's PATH leads to its own Python.
            if name == "PATH" and not self.host_runtime:
                continue
            args += ["--env", f"{name}={value}"]
        if self.device == "gpu":
            args += ["--gpus", self.gpus]
        python = sys.executable if self.host_runtime else "python"
        return args + [self.image_id, *harness_command(python)]

    def _launch(self) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=cli_environment(),
            start_new_session=True,
            close_fds=True,
        )

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        was_ready = self.ready
        super().wait_ready(timeout_s)
        if not was_ready:
            self._observe_cgroup()

    def _observe_cgroup(self) -> None:
        """Find the container's cgroup folders on the host, for CPU time and the memory and process events."""
        result = run_docker(self.docker, "inspect", "--format", "{{.State.Pid}}", self.container)
        try:
            self.cgroup = ControlGroup.of_process(int(result.stdout.strip()))
        except (ValueError, OSError) as error:
            # NOTE: without the cgroup, CPU time is not limited and only the
            # wall-time limit and docker inspect's OOMKilled remain.
            logger.error("cannot read the cgroup of container %s: %s %s", self.container, error, result.stderr.strip())

    def _apply_backend_limits(self, limits: Limits) -> None:
        if (limits.memory_mib, limits.max_processes) == (self.limits.memory_mib, self.limits.max_processes):
            return
        result = run_docker(
            self.docker, "update",
            "--memory", f"{limits.memory_mib}m",
            "--memory-swap", f"{limits.memory_mib}m",
            "--pids-limit", str(limits.max_processes),
            self.container,
        )  # fmt: skip
        if result.returncode != 0:
            raise GraderError(f"cannot change the limits of container {self.container}: {result.stderr.strip()}")

    def _cpu_ms(self) -> float | None:
        # The cgroup disappears with the container; the last reading is then the total.
        if self.cgroup is not None:
            value = self.cgroup.cpu_ms()
            if value is not None:
                self._last_cpu_ms = value
        return self._last_cpu_ms

    def _limit_hit(self) -> str | None:
        if self.cgroup is not None:
            self._memory_hit = self._memory_hit or self.cgroup.memory_exceeded()
            self._processes_hit = self._processes_hit or self.cgroup.processes_exceeded()
        if not self._memory_hit and not self._inspected_exit and self.process is not None and self.process.poll() is not None:
            self._inspected_exit = True
            result = run_docker(self.docker, "inspect", "--format", "{{json .State.OOMKilled}}", self.container)
            self._memory_hit = result.returncode == 0 and json.loads(result.stdout or "false") is True
        if self._memory_hit:
            return "memory_mib"
        if self._processes_hit:
            return "max_processes"
        return None

    def _kill(self) -> None:
        result = run_docker(self.docker, "kill", "--signal", "KILL", self.container)
        if result.returncode != 0 and "is not running" not in result.stderr and "No such container" not in result.stderr:
            logger.error("docker kill %s failed: %s", self.container, result.stderr.strip())

    def _release(self) -> None:
        result = run_docker(self.docker, "rm", "--force", self.container)
        if result.returncode != 0 and "No such container" not in result.stderr:
            logger.error("docker rm %s failed: %s", self.container, result.stderr.strip())
        if self.process is not None and self.process.poll() is None:
            # The command line outlived its container (the engine went away); end it too.
            try:
                os.killpg(self.process.pid, 9)
            except ProcessLookupError:
                pass


class DockerBackend(Backend):
    name = "docker"

    def __init__(self) -> None:
        self.docker = shutil.which("docker")
        self.image_ref = os.environ.get("TENSORCRAFT_SANDBOX_IMAGE") or TEST_IMAGE
        self.host_runtime = not os.environ.get("TENSORCRAFT_SANDBOX_IMAGE")
        self.gpus = os.environ.get("TENSORCRAFT_SANDBOX_GPUS") or "all"

    def unavailable_reason(self) -> str | None:
        global _engine_seen_at
        if self.docker is None:
            return "the docker command line is not installed (Debian: apt-get install docker.io)"
        # get_backend() asks on every grading that has no warm sandbox; a recent answer saves a docker call.
        if time.monotonic() - _engine_seen_at < ENGINE_CHECK_CACHE_S:
            return None
        try:
            result = run_docker(self.docker, "version", "--format", "{{.Server.Version}}", timeout_s=15)
        except GraderError as error:
            return str(error)
        if result.returncode != 0:
            detail = (result.stderr.strip().splitlines() or ["no details"])[-1]
            return f"no Docker engine answers ({detail}); start one, for example with .ci/run"
        _engine_seen_at = time.monotonic()
        return None

    def create(self, limits: Limits, device: str = "cpu") -> Sandbox:
        assert self.docker is not None
        self._reap_orphans()
        image_id, record = self.resolve_image()
        return DockerSandbox(
            limits, docker=self.docker, image_id=image_id, image_record=record,
            host_runtime=self.host_runtime, device=device, gpus=self.gpus,
        )  # fmt: skip

    def resolve_image(self) -> tuple[str, str]:
        """Return the image's id and the string recorded in verdicts; build the test image when it is missing."""
        cached = _image_cache.get(self.image_ref)
        if cached is not None and time.monotonic() - cached[0] < IMAGE_CACHE_S:
            return cached[1], cached[2]
        found = self._inspect_image()
        if found is None and self.host_runtime:
            self.build_test_image()
            found = self._inspect_image()
        if found is None:
            raise SandboxUnavailable(
                f"the sandbox image {self.image_ref!r} does not exist; build it with "
                f"'docker build -f docker/sandbox.Dockerfile -t {self.image_ref} .' (see docker/README.md)"
            )
        image_id, digests = found
        # A registry digest pins the image anywhere. A local image has only its id, recorded
        # as "tag@id"; that is not a registry reference and cannot be pulled.
        record = digests[0] if digests else f"{self.image_ref}@{image_id}"
        _image_cache[self.image_ref] = (time.monotonic(), image_id, record)
        return image_id, record

    def _inspect_image(self) -> tuple[str, list[str]] | None:
        assert self.docker is not None
        result = run_docker(self.docker, "image", "inspect", "--format", "{{json .Id}} {{json .RepoDigests}}", self.image_ref)
        if result.returncode != 0:
            return None
        image_id, digests = result.stdout.split(" ", 1)
        return json.loads(image_id), json.loads(digests) or []

    def build_test_image(self) -> None:
        if not BUILD_SCRIPT.is_file():
            raise SandboxUnavailable(f"the test image {self.image_ref!r} is missing and {BUILD_SCRIPT} is not there to build it")
        logger.info("building the docker test image %s", self.image_ref)
        try:
            result = subprocess.run(
                [str(BUILD_SCRIPT), self.image_ref], capture_output=True, text=True, timeout=IMAGE_BUILD_TIMEOUT_S,
                env=cli_environment(),
            )
        except subprocess.TimeoutExpired as error:
            raise SandboxUnavailable(f"building the test image took longer than {IMAGE_BUILD_TIMEOUT_S} s") from error
        if result.returncode != 0:
            raise SandboxUnavailable(f"building the test image failed: {result.stderr.strip()[-500:]}")

    def _reap_orphans(self) -> None:
        """Remove sandbox containers left by workers of this host that are no longer running, once per process."""
        global _orphans_reaped
        with _reap_lock:
            if _orphans_reaped:
                return
            _orphans_reaped = True
        assert self.docker is not None
        host = socket.gethostname()
        result = run_docker(
            self.docker, "ps", "--all", "--filter", f"label={WORKER_LABEL}",
            "--format", f'{{{{.Names}}}} {{{{.Label "{WORKER_LABEL}"}}}}',
        )  # fmt: skip
        for line in result.stdout.splitlines():
            name, _, owner = line.partition(" ")
            owner_host, _, owner_pid = owner.rpartition(":")
            if owner_host != host or not owner_pid.isdigit() or _process_exists(int(owner_pid)):
                continue
            logger.warning("removing container %s, left behind by worker process %s", name, owner_pid)
            run_docker(self.docker, "rm", "--force", name)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
