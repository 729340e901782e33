"""Sign-up, log-in and log-out."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


def test_sign_up_logs_in(client):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "ada", "email": "ada@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("learning:exercise_list")
    user = get_user_model().objects.get(username="ada")
    assert user.email == "ada@example.com"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_up_continues_to_next_page(client):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "ada", "password1": PASSWORD, "password2": PASSWORD, "next": "/exercises/vae-loss/"},
    )

    assert response.status_code == 302
    assert response.url == "/exercises/vae-loss/"


def test_sign_up_ignores_next_on_another_site(client):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "ada", "password1": PASSWORD, "password2": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.url == reverse("learning:exercise_list")


def test_sign_up_password_mismatch(client):
    response = client.post(
        reverse("accounts:signup"), {"username": "ada", "password1": PASSWORD, "password2": PASSWORD + "x"}
    )

    assert response.status_code == 200
    assert "The two password fields didn’t match." in response.content.decode()
    assert not get_user_model().objects.filter(username="ada").exists()


def test_sign_up_page_labels_every_field(client):
    page = client.get(reverse("accounts:signup")).content.decode()

    for field in ("id_username", "id_email", "id_password1", "id_password2"):
        assert f'<label for="{field}">' in page


def test_log_in_and_log_out(client, learner):
    logged_in = client.post(reverse("accounts:login"), {"username": "ada", "password": PASSWORD})
    session_user = client.session.get("_auth_user_id")
    logged_out = client.post(reverse("accounts:logout"))

    assert logged_in.status_code == 302
    assert logged_in.url == reverse("learning:exercise_list")
    assert session_user == str(learner.pk)
    assert logged_out.status_code == 302
    assert "_auth_user_id" not in client.session


def test_log_in_wrong_password(client, learner):
    response = client.post(reverse("accounts:login"), {"username": "ada", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
    assert "_auth_user_id" not in client.session
