"""A trained demo survives a server restart, in a real browser: trained once on one server, it is
drawn at once by the next server on the same cache folder, with when it was trained and a
"Train again" button that starts a fresh run.

An entry is keyed by the source of `minimodels`: edited between the two servers (by someone
working in the same checkout), the second server rightly sees a first visit and this test fails."""

import json
import re
import shutil
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from studyapp.tools.liveserver import LiveServer
from tests.bankfixtures import VALID, write_question
from tests.browser.conftest import screenshot, wait_idle

pytestmark = pytest.mark.browser
DEMO = "dpo-loss"  # trains a tiny policy for a few seconds
RECENT_EN = re.compile(r"^Trained (just now|\d+ minutes? ago)$")
RECENT_ZH = re.compile(r"^(刚刚训练完成|\d+ 分钟前训练)$")


def start(bank: Path, data: Path, cache: Path) -> LiveServer:
    exe = shutil.which("studyapp", path=str(Path(sys.executable).parent)) or "studyapp"
    env = {
        "STUDYAPP_BANK": str(bank),
        "STUDYAPP_DB": str(data / "progress.db"),
        "STUDYAPP_CACHE_DIR": str(cache),
    }
    return LiveServer([exe], env, data / "app.log")


def trained_at(cache: Path) -> float:
    [entry] = (cache / "demos").glob("*.json")
    return json.loads(entry.read_text())["trained_at"]


def test_a_trained_demo_is_drawn_by_the_restarted_server_and_can_train_again(
    page, tmp_path_factory
):
    bank = tmp_path_factory.mktemp("bank")
    write_question(bank, VALID)
    cache = tmp_path_factory.mktemp("cache")
    url = f"/demos?demo={DEMO}"

    first = start(bank, tmp_path_factory.mktemp("first"), cache)
    try:
        page.goto(first.url + url)
        wait_idle(page)
        expect(page.get_by_role("button", name="Train again")).to_have_count(0)
        page.get_by_role("button", name="Run", exact=True).click()
        expect(page.get_by_role("button", name="Train again")).to_be_visible(timeout=300_000)
        expect(page.get_by_text(RECENT_EN)).to_be_visible()
        wait_idle(page)
        checks = page.locator("[data-testid=stAlertContentSuccess]").all_inner_texts()
        assert checks
    finally:
        first.stop()
    stored = trained_at(cache)  # the finished run was stored, once

    second = start(bank, tmp_path_factory.mktemp("second"), cache)  # a restart
    try:
        page.goto(second.url + url)
        expect(page.get_by_role("button", name="Train again")).to_be_visible(timeout=60_000)
        wait_idle(page)
        expect(page.get_by_text(RECENT_EN)).to_be_visible()
        expect(page.locator("[data-testid=stProgress]")).to_have_count(0)  # nothing trains
        assert page.locator("[data-testid=stAlertContentSuccess]").all_inner_texts() == checks
        screenshot(page, "demo-cached-en")

        page.get_by_role("radio", name="中文").click()
        expect(page.get_by_role("button", name="重新训练")).to_be_visible()
        expect(page.get_by_text(RECENT_ZH)).to_be_visible()
        assert trained_at(cache) == stored  # drawing it trained nothing
        page.get_by_role("button", name="重新训练").click()
        deadline = time.monotonic() + 300
        while trained_at(cache) == stored:  # a fresh run replaces the stored one
            assert time.monotonic() < deadline, "Train again stored no new run"
            time.sleep(0.5)
        expect(page.get_by_role("button", name="重新训练")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("刚刚训练完成")).to_be_visible()
        screenshot(page, "demo-train-again-zh")
    finally:
        second.stop()
