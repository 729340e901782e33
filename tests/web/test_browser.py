"""The exercise page in Chromium: the ACE editor, submitting without a reload, and the verdict appearing."""

from __future__ import annotations

import shutil

import pytest

from .solutions import CORRECT_VAE_LOSS, KL_WRONG_SIGN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-9"
VERDICT_TIMEOUT_MS = 90_000


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def ada(django_user_model):
    return django_user_model.objects.create_user(username="ada", password=PASSWORD)


# Tests request ``page`` after their database fixtures: ORM calls made while
# Playwright's event loop runs open connections that the test database's
# teardown does not see, and PostgreSQL then refuses to drop the database.
@pytest.fixture
def page(monkeypatch):
    """A Chromium page; Playwright's own browser is used when no system Chromium is installed."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread, and Django
    # rejects ORM calls from a thread with a running loop unless
    # DJANGO_ALLOW_ASYNC_UNSAFE is set.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path())
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone's width
        yield context.new_page()
        browser.close()


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next=/exercises/vae-loss/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/exercises/vae-loss/")


def test_editor_submit_shows_verdict(grading_worker, live_server, vae_loss, ada, page):
    log_in(page, live_server, "ada")
    page.evaluate("window.loadMarker = 'same page'")

    page.wait_for_selector(".ace_editor")
    page.evaluate("code => ace.edit(document.querySelector('.ace-editor')).setValue(code, 1)", CORRECT_VAE_LOSS)
    page.get_by_role("button", name="Submit", exact=True).click()
    heading = page.wait_for_selector(".verdict-heading", timeout=VERDICT_TIMEOUT_MS)

    assert heading.inner_text().startswith("Attempt #1: Passed"), page.locator("#verdict").inner_text()
    assert page.evaluate("window.loadMarker") == "same page"
    assert page.locator("#verdict .checks li.pass").count() > 0
    assert page.locator("#verdict .checks li.fail").count() == 0
    assert page.locator('#submissions tr[data-submission-id] .badge').first.inner_text() == "Passed"
    assert page.evaluate("document.activeElement.classList.contains('verdict-heading')")


def test_plain_textarea_shows_diagnosis(grading_worker, live_server, vae_loss, ada, page):
    log_in(page, live_server, "ada")

    page.get_by_role("button", name="Use a plain text box").click()
    page.locator("#id_source").fill(KL_WRONG_SIGN)
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_selector(".verdict-heading", timeout=VERDICT_TIMEOUT_MS)

    assert page.locator(".verdict-heading").inner_text().startswith("Attempt #1: Failed"), page.locator("#verdict").inner_text()
    assert page.locator('#verdict [data-diagnosis-id="kl-wrong-sign"]').count() == 1


def test_rejection_is_announced(live_server, vae_loss, ada, page):
    log_in(page, live_server, "ada")

    page.get_by_role("button", name="Use a plain text box").click()
    page.locator("#id_source").fill("   ")
    page.get_by_role("button", name="Submit", exact=True).click()
    alert = page.get_by_role("alert")
    alert.wait_for()

    assert alert.inner_text() == "Your submission is empty. Write your code in the editor, or choose a file to upload."
    assert alert.get_attribute("data-message-id") == "source-empty"


def test_statement_math_renders_as_mathml(live_server, vae_loss, page):
    page.goto(f"{live_server.url}/exercises/vae-loss/")

    box = page.locator('math[display="block"]').first.bounding_box()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")

    assert box is not None and box["height"] > 10
    assert overflow == 0
