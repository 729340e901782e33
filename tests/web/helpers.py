"""Helpers that drive the HTTP views as the exercise page's JavaScript does."""

from __future__ import annotations

import time

from django.urls import reverse

VERDICT_TIMEOUT_S = 90
POLL_INTERVAL_S = 0.4


def submit_code(client, slug: str, source: str) -> dict:
    """Post code as the exercise page's JavaScript does and return the 202 response's JSON."""
    response = client.post(
        reverse("learning:submission_submit", args=[slug]), {"source": source}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 202, response.content.decode()
    return response.json()


def run_visible_checks(client, slug: str, source: str) -> dict:
    """Post code to the visible-checks run view as the exercise page's JavaScript does, and return the 202 JSON."""
    response = client.post(
        reverse("learning:submission_run_visible", args=[slug]), {"source": source}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 202, response.content.decode()
    return response.json()


def wait_for_status(client, submission_id: int, status: str, timeout_s: float = VERDICT_TIMEOUT_S) -> dict:
    """Poll the status endpoint until the submission has ``status``; return its JSON."""
    url = reverse("learning:submission_status", args=[submission_id])
    deadline = time.monotonic() + timeout_s
    payload: dict = {}
    while time.monotonic() < deadline:
        payload = client.get(url, HTTP_ACCEPT="application/json").json()
        if payload["status"] == status:
            return payload
        time.sleep(POLL_INTERVAL_S / 4)
    raise AssertionError(f"submission {submission_id} never became {status}; last status {payload.get('status')}")


def wait_for_verdict(client, submission_id: int, worker=None, timeout_s: float = VERDICT_TIMEOUT_S) -> dict:
    """Poll the status endpoint, as the page does, until the status is final; return its JSON."""
    url = reverse("learning:submission_status", args=[submission_id])
    deadline = time.monotonic() + timeout_s
    payload: dict = {}
    while time.monotonic() < deadline:
        response = client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200, response.content.decode()
        payload = response.json()
        if payload["final"]:
            return payload
        if worker is not None:
            worker.assert_alive()
        time.sleep(POLL_INTERVAL_S)
    tail = worker.log_tail() if worker is not None else ""
    raise AssertionError(
        f"submission {submission_id} was still {payload.get('status')} after {timeout_s} s; worker log:\n{tail}"
    )
