"""A learner's first session in Chromium, against the live server and a real Celery worker.

Signs up, reads a lesson, practises a question, runs the visible checks of
vae-loss on code with the KL term's sign flipped, submits that code and fails,
then passes. Each step saves a screenshot to test-artifacts/journey/, so a
failure can be looked at afterwards.
"""

from __future__ import annotations

import pathlib
import shutil

import pytest

from grader.exercise import get_exercise

from .solutions import CORRECT_VAE_LOSS, KL_WRONG_SIGN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-9"
VISIBLE_RUN_NOTE = (
    "Only the visible checks run here, and this run does not count as a submission. "
    "Press Submit to grade your code on all the checks."
)
VERDICT_TIMEOUT_MS = 90_000
PHONE_WIDTH_PX = 390
ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts" / "journey"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CONTENT_DIR = pathlib.Path(__file__).resolve().parents[2] / "content"


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def content(db):
    """Lessons and questions loaded from content/ as ``manage.py load_content`` does."""
    from catalogue.services import content_load

    report = content_load(content_dir=CONTENT_DIR)
    assert not report.errors, report.errors


# Requested after the database fixtures, as in test_browser.py: ORM calls made
# while Playwright's event loop runs would leave connections that block the
# test database's teardown.
@pytest.fixture
def browser(monkeypatch):
    playwright_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def ada(django_user_model):
    return django_user_model.objects.create_user(username="ada", password=PASSWORD)


def log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next=/exercises/vae-loss/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/exercises/vae-loss/")


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def horizontal_overflow_px(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def submit_and_wait(page, source: str, button: str = "Submit") -> str:
    """Type ``source`` in the plain text box, press ``button`` and return the verdict heading's text."""
    previous_id = page.evaluate("document.querySelector('#verdict [data-submission-id]')?.dataset.submissionId ?? ''")
    if page.locator("#id_source").is_hidden():
        page.get_by_role("button", name="Use a plain text box").click()
    page.locator("#id_source").fill(source)
    page.get_by_role("button", name=button, exact=True).click()
    # The verdict region still shows the previous attempt until the new one is accepted.
    page.wait_for_function(
        """previousId => {
            const verdict = document.querySelector('#verdict [data-submission-id]');
            return verdict && verdict.dataset.submissionId !== previousId && verdict.querySelector('.verdict-heading');
        }""",
        arg=previous_id,
        timeout=VERDICT_TIMEOUT_MS,
    )
    return page.locator(".verdict-heading").inner_text()


def test_first_session_journey(grading_worker, live_server, exercises, content, browser):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill("lin")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    screenshot(page, "01-signup")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Log out").count() == 1

    page.goto(f"{live_server.url}/lessons/")
    page.get_by_role("link", name="The evidence lower bound", exact=True).click()
    page.wait_for_url(f"{live_server.url}/lessons/elbo/")
    assert page.locator("article.lesson math").count() > 0
    assert page.locator('.lesson-exercises a[href="/exercises/vae-loss/"]').count() == 1
    screenshot(page, "02-lesson")

    page.goto(f"{live_server.url}/practice/?topic=vae")
    page.locator(".practice-list a").first.click()
    page.get_by_role("button", name="Reveal").click()
    page.wait_for_selector("#answer")
    assert page.get_by_role("heading", name="Key points").count() == 1
    screenshot(page, "03-question-revealed")
    page.get_by_role("button", name="Good").click()
    page.wait_for_load_state()
    assert "Rating saved. This question comes back on" in page.locator(".flash").inner_text()
    screenshot(page, "04-question-rated")

    page.goto(f"{live_server.url}/exercises/vae-loss/")
    run = submit_and_wait(page, KL_WRONG_SIGN, button="Run visible checks")
    screenshot(page, "05-visible-run-wrong-sign")
    assert run.startswith("Visible-checks run #1: Failed"), page.locator("#verdict").inner_text()
    assert page.locator('#verdict [data-visible-only="true"]').count() == 1
    assert page.locator("#verdict .visible-run-note").inner_text() == VISIBLE_RUN_NOTE
    assert page.locator('#verdict [data-diagnosis-id="kl-wrong-sign"]').count() == 1
    assert page.locator("#verdict .checks li").count() > 0
    assert page.locator("#verdict .hidden-check").count() == 0
    assert page.locator("#verdict .score").count() == 0
    assert page.locator("#submissions tr[data-submission-id]").count() == 0
    assert page.locator("#no-submissions").is_visible()

    failed = submit_and_wait(page, KL_WRONG_SIGN)
    assert failed.startswith("Attempt #1: Failed"), page.locator("#verdict").inner_text()
    assert page.locator('#verdict [data-visible-only="false"]').count() == 1
    assert page.locator("#verdict .visible-run-note").count() == 0
    assert page.locator('#verdict [data-diagnosis-id="kl-wrong-sign"]').count() == 1
    assert page.locator("#verdict .hidden-check").count() > 0
    assert page.locator("#verdict").get_attribute("aria-live") == "polite"
    assert page.locator("#submissions tr[data-submission-id]").count() == 1
    screenshot(page, "06-wrong-sign-diagnosis")

    passed = submit_and_wait(page, CORRECT_VAE_LOSS)
    assert passed.startswith("Attempt #2: Passed"), page.locator("#verdict").inner_text()
    assert page.locator('#submissions tr[data-submission-id] .badge').first.inner_text() == "Passed"
    screenshot(page, "07-passed")


def test_exercise_page_keyboard_and_labels(live_server, vae_loss, ada, browser):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, live_server)
    page.get_by_role("button", name="Use a plain text box").click()

    page.locator("#id_source").focus()
    reached_submit = False
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Submit":
            reached_submit = True
            break
    screenshot(page, "08-keyboard-submit-focused")

    assert reached_submit
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
            .filter(el => !el.hidden && !el.labels?.length && !el.getAttribute('aria-label'))
            .map(el => el.id || el.name)"""
    )
    assert unlabelled == []


def test_exercise_page_fits_phone_width(live_server, vae_loss, ada, browser):
    page = browser.new_context(viewport={"width": PHONE_WIDTH_PX, "height": 844}).new_page()
    log_in(page, live_server)
    page.wait_for_selector(".ace_editor")
    screenshot(page, "09-phone-exercise")
    run_button = page.get_by_role("button", name="Run visible checks", exact=True).bounding_box()

    assert horizontal_overflow_px(page) == 0
    assert run_button["x"] >= 0
    assert run_button["x"] + run_button["width"] <= PHONE_WIDTH_PX


def test_draft_survives_reload_and_starter_restores(live_server, vae_loss, ada, browser):
    starter = get_exercise("vae-loss").starter
    draft = "def vae_loss(x, x_hat, mu, log_var, beta=1.0):\n    return 0  # my draft\n"
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, live_server)
    page.wait_for_selector(".ace_editor")
    page.get_by_role("button", name="Use a plain text box").click()
    page.locator("#id_source").fill(draft)
    # The draft is written 500 ms after the last change.
    page.wait_for_function("key => localStorage.getItem(key) !== null", arg=f"tensorcraft-draft:vae-loss:v{vae_loss.version}")

    page.reload()
    page.wait_for_selector(".ace_editor")
    restored = page.locator("#id_source").input_value()
    status = page.locator("#draft-status").inner_text()
    screenshot(page, "10-draft-restored")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Restore the starter code").click()

    assert restored == draft
    assert status == "Restored your draft from this browser."
    assert page.locator("#id_source").input_value() == starter
    assert page.evaluate("ace.edit(document.querySelector('.ace-editor')).getValue()") == starter
    assert page.locator("#draft-status").inner_text() == "Restored the starter code."


def test_shortcut_runs_visible_checks(live_server, vae_loss, ada, browser):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, live_server)
    page.wait_for_selector(".ace_editor")

    page.locator(".ace_editor").click()
    page.keyboard.press("Control+Enter")
    page.wait_for_function("document.querySelector('#verdict')?.innerText.includes('Visible-checks run #1')")
    page.get_by_role("button", name="Use a plain text box").click()
    page.locator("#id_source").focus()
    page.keyboard.press("Control+Enter")
    page.wait_for_function("document.querySelector('#verdict')?.innerText.includes('Visible-checks run #2')")
    screenshot(page, "11-shortcut-visible-run")

    assert page.locator('#verdict [data-visible-only="true"]').count() == 1
    assert page.locator("#submissions tr[data-submission-id]").count() == 0
    assert page.locator("#run-visible-shortcut").is_visible()
    assert page.locator("#run-visible").get_attribute("aria-keyshortcuts") == "Control+Enter Meta+Enter"
