"""Fixtures for the site's tests: exercises loaded from the grader, and learners."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Django 5.2's PBKDF2 runs a million iterations per password by design; these tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def exercises(db):
    """The Exercise table filled from exercises/ as load_exercises does; returns slug -> Exercise."""
    from catalogue.models import Exercise
    from catalogue.services import exercise_sync
    from grader.exercise import all_exercises

    exercise_sync(exercises=all_exercises())
    return {exercise.slug: exercise for exercise in Exercise.objects.all()}


@pytest.fixture
def vae_loss(exercises):
    return exercises["vae-loss"]


@pytest.fixture
def learner(db, django_user_model):
    return django_user_model.objects.create_user(username="ada", password="correct-horse-battery-9")


@pytest.fixture
def other_learner(db, django_user_model):
    return django_user_model.objects.create_user(username="grace", password="correct-horse-battery-9")


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture(scope="session")
def live_server(django_db_setup):
    """pytest-django's live server on 127.0.0.1, stopped before the test database is dropped.

    pytest-django's own fixture binds to localhost and does not depend on the
    test database, so the database could be dropped while the server thread
    still has a connection open.
    """
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("127.0.0.1")
    yield server
    server.stop()
