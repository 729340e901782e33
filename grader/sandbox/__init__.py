"""Sandbox backends behind one interface: ``bwrap`` (bubblewrap with cgroup limits), ``docker``, and
``forkserver`` (the bwrap backend's isolation, with sandboxes forked from a zygote that imported torch once)."""

from __future__ import annotations

import os

from grader.errors import SandboxUnavailable
from grader.sandbox.base import Backend, RunResult, Sandbox

# Without a name, the first available of the first two is used; the fork server is chosen by name.
BACKEND_NAMES = ("bwrap", "docker", "forkserver")
AUTOMATIC_BACKENDS = ("bwrap", "docker")


def get_backend(name: str | None = None) -> Backend:
    """Return the backend called ``name``; with no name, the one ``TENSORCRAFT_SANDBOX`` names, else the first available."""
    name = name or os.environ.get("TENSORCRAFT_SANDBOX") or None
    if name is not None and name not in BACKEND_NAMES:
        raise SandboxUnavailable(f"unknown sandbox backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")

    candidates = [name] if name else list(AUTOMATIC_BACKENDS)
    reasons = []
    for candidate in candidates:
        backend = _construct(candidate)
        problem = backend.unavailable_reason()
        if problem is None:
            return backend
        reasons.append(f"{candidate}: {problem}")
    raise SandboxUnavailable("no sandbox backend can run here (" + "; ".join(reasons) + ")")


def pool_backend_name(name: str | None = None) -> str:
    """Name the backend for warm pools: the fork server where the sandbox backend resolves to bwrap and it can run.

    Both use the same namespaces, mounts, cgroups and user; the fork server's
    sandboxes start in milliseconds instead of paying a torch import each.
    """
    resolved = get_backend(name).name
    if resolved == "bwrap" and _construct("forkserver").unavailable_reason() is None:
        return "forkserver"
    return resolved


def _construct(name: str) -> Backend:
    if name == "bwrap":
        from grader.sandbox.bwrap import BwrapBackend

        return BwrapBackend()
    if name == "forkserver":
        from grader.sandbox.forkserver import ForkServerBackend

        return ForkServerBackend()
    from grader.sandbox.docker import DockerBackend

    return DockerBackend()


__all__ = ["Backend", "RunResult", "Sandbox", "get_backend", "pool_backend_name", "BACKEND_NAMES"]
