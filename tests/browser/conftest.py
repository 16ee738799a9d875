"""Start the real app with the `studyapp` command and drive Debian's Chromium through Playwright."""

import os
import shutil
import sys
from pathlib import Path

import pytest

from studyapp.tools.liveserver import CHROMIUM, LiveServer, launch_chromium, wait_idle
from tests.bankfixtures import study_bank

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
__all__ = ["RunningApp", "screenshot", "wait_idle"]


def RunningApp(bank: Path, data_dir: Path) -> LiveServer:  # noqa: N802  (reads like a class)
    exe = shutil.which("studyapp", path=str(Path(sys.executable).parent)) or "studyapp"
    env = {
        "STUDYAPP_BANK": str(bank),
        "STUDYAPP_DB": str(data_dir / "progress.db"),
        # each server its own caches: a demo trained by one test must not show up in another's
        "STUDYAPP_CACHE_DIR": str(data_dir / "cache"),
    }
    return LiveServer([exe], env, data_dir / "app.log")


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs it with apt-get as root")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def study_app(tmp_path_factory):
    """The real app on the small study bank (tests.bankfixtures.study_bank), one per test module."""
    running = RunningApp(
        study_bank(tmp_path_factory.mktemp("bank")), tmp_path_factory.mktemp("data")
    )
    yield running
    running.stop()
