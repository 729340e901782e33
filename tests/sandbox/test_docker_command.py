"""The docker backend's command line and its readings of the engine, checked without starting a container."""

from __future__ import annotations

import subprocess
import sys

import pytest

from grader.limits import Limits
from grader.sandbox import docker as docker_backend
from grader.sandbox import get_backend
from grader.sandbox.docker import DockerBackend, DockerSandbox

LIMITS = Limits(wall_time_s=5, cpu_time_s=7, memory_mib=768, max_processes=40, output_bytes=4 * 1024 * 1024, tmpfs_mib=24)


def sandbox(*, device: str = "cpu", host_runtime: bool = True) -> DockerSandbox:
    return DockerSandbox(
        LIMITS, docker="docker", image_id="sha256:abc", image_record="img@sha256:abc", host_runtime=host_runtime,
        device=device, gpus="device=0",
    )  # fmt: skip


def option_values(command: list[str], option: str) -> list[str]:
    return [command[index + 1] for index, word in enumerate(command) if word == option]


def test_command_applies_the_sandbox_contract():
    command = sandbox().command()

    assert command[:3] == ["docker", "run", "--interactive"]
    assert option_values(command, "--network") == ["none"]
    assert "--read-only" in command
    assert "--init" in command
    assert option_values(command, "--cap-drop") == ["ALL"]
    assert option_values(command, "--security-opt") == ["no-new-privileges"]
    assert option_values(command, "--user") == ["65534:65534"]
    assert option_values(command, "--pids-limit") == ["40"]
    assert option_values(command, "--memory") == ["768m"]
    assert option_values(command, "--memory-swap") == ["768m"]
    assert option_values(command, "--cpus") == ["1.0"]
    assert option_values(command, "--tmpfs") == ["/tmp:rw,nosuid,nodev,size=24m,mode=1777"]
    assert option_values(command, "--log-driver") == ["none"]
    assert option_values(command, "--ulimit") == ["core=0"]


def test_command_mounts_input_read_only_and_output_read_write():
    box = sandbox()

    mounts = option_values(box.command(), "--mount")

    assert f"type=bind,source={box.in_dir},target=/job/in,readonly" in mounts
    assert f"type=bind,source={box.out_dir},target=/job/out" in mounts
    assert not [mount for mount in mounts if "held" in mount]


def test_command_passes_no_worker_environment(monkeypatch):
    monkeypatch.setenv("TENSORCRAFT_TEST_SECRET", "do-not-pass")

    command = sandbox().command()

    assert "do-not-pass" not in " ".join(command)
    assert all("=" in value for value in option_values(command, "--env"))
    assert "TENSORCRAFT_THREADS=1" in option_values(command, "--env")


def test_host_runtime_is_mounted_read_only():
    command = sandbox(host_runtime=True).command()

    mounts = option_values(command, "--mount")
    assert "type=bind,source=/usr,target=/usr,readonly" in mounts
    assert f"type=bind,source={sys.base_prefix},target={sys.base_prefix},readonly" in mounts
    assert command[-5:] == [sys.executable, "-E", "-s", "-B", "/harness/harness.py"]
    assert command[-6] == "sha256:abc"


def test_production_image_brings_its_own_runtime():
    command = sandbox(host_runtime=False).command()

    assert not [mount for mount in option_values(command, "--mount") if "/usr" in mount or "/harness" in mount]
    assert not [value for value in option_values(command, "--env") if value.startswith("PATH=")]
    assert command[-5:] == ["python", "-E", "-s", "-B", "/harness/harness.py"]


def test_gpu_exercise_gets_a_device_request():
    assert option_values(sandbox(device="gpu").command(), "--gpus") == ["device=0"]
    assert option_values(sandbox(device="cpu").command(), "--gpus") == []


def test_gpu_sandbox_is_told_to_warm_cuda():
    assert "TENSORCRAFT_DEVICE=gpu" in option_values(sandbox(device="gpu").command(), "--env")
    assert "TENSORCRAFT_DEVICE=cpu" in option_values(sandbox(device="cpu").command(), "--env")


def test_gpu_request_defaults_to_all_gpus(monkeypatch):
    monkeypatch.delenv("TENSORCRAFT_SANDBOX_GPUS", raising=False)

    assert DockerBackend().gpus == "all"


def completed(stdout: str, returncode: int = 0) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess([], returncode, stdout=stdout, stderr="")


class ExitedProcess:
    pid = 1

    def poll(self):
        return 137


def test_out_of_memory_kill_is_read_from_inspect(monkeypatch):
    calls = []
    monkeypatch.setattr(docker_backend, "run_docker", lambda *args, **kwargs: calls.append(args) or completed("true\n"))
    box = sandbox()
    box.process = ExitedProcess()

    assert box._limit_hit() == "memory_mib"
    assert calls == [("docker", "inspect", "--format", "{{json .State.OOMKilled}}", box.container)]


def test_exit_without_out_of_memory_names_no_limit(monkeypatch):
    monkeypatch.setattr(docker_backend, "run_docker", lambda *args, **kwargs: completed("false\n"))
    box = sandbox()
    box.process = ExitedProcess()

    assert box._limit_hit() is None


def test_changed_limits_are_applied_with_docker_update(monkeypatch):
    calls = []
    monkeypatch.setattr(docker_backend, "run_docker", lambda *args, **kwargs: calls.append(args) or completed(""))
    box = sandbox()

    box._apply_backend_limits(Limits(memory_mib=1024, max_processes=50, tmpfs_mib=24))

    assert calls == [("docker", "update", "--memory", "1024m", "--memory-swap", "1024m", "--pids-limit", "50", box.container)]


def test_environment_variable_selects_docker(monkeypatch):
    monkeypatch.setenv("TENSORCRAFT_SANDBOX", "docker")
    monkeypatch.setattr(DockerBackend, "unavailable_reason", lambda self: None)

    assert isinstance(get_backend(), DockerBackend)


def test_unreachable_engine_is_explained(monkeypatch):
    monkeypatch.setattr(docker_backend, "_engine_seen_at", -docker_backend.ENGINE_CHECK_CACHE_S)
    monkeypatch.setattr(docker_backend, "run_docker", lambda *args, **kwargs: completed("", returncode=1))
    backend = DockerBackend()
    backend.docker = "docker"

    assert backend.unavailable_reason().startswith("no Docker engine answers")


@pytest.mark.parametrize("digests", [[], ["registry.example/sandbox@sha256:def"]])
def test_verdict_records_the_image(monkeypatch, digests):
    import json

    monkeypatch.setattr(docker_backend, "_image_cache", {})
    monkeypatch.setattr(
        docker_backend, "run_docker", lambda *args, **kwargs: completed(f'"sha256:abc" {json.dumps(digests)}\n')
    )
    backend = DockerBackend()
    backend.docker = "docker"

    image_id, record = backend.resolve_image()

    assert image_id == "sha256:abc"
    assert record == (digests[0] if digests else f"{backend.image_ref}@sha256:abc")
