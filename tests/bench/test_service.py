"""The benchmark's service measurements: what they need from a fresh clone."""

from __future__ import annotations

from bench import service


def test_worker_log_path_creates_var_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(service, "REPO_ROOT", tmp_path)

    path = service.worker_log_path()

    assert path == tmp_path / "var" / "bench-worker.log"
    assert path.parent.is_dir()
