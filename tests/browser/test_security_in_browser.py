"""In Chromium: a foreign name rebound to 127.0.0.1 gets refused, and with every other name
unresolvable (the network unplugged) no page of the app requests anything from another origin."""

import pytest

from studyapp.tools.liveserver import CHROMIUM, CHROMIUM_ARGS
from tests.bankfixtures import VALID, write_question
from tests.browser.conftest import RunningApp, wait_idle

pytestmark = pytest.mark.browser

# evil.example plays the attacker's name after rebinding; everything else is unplugged.
RESOLVER = "--host-resolver-rules=MAP evil.example 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE localhost"
PAGES = ["/", "/quiz", "/review", "/browse", "/demos", "/stats", "/settings"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    bank = tmp_path_factory.mktemp("bank")
    write_question(bank, VALID)
    server = RunningApp(bank, tmp_path_factory.mktemp("data"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def unplugged(browser):
    b = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, RESOLVER])
    yield b
    b.close()


def test_a_rebound_foreign_name_is_refused(app, unplugged):
    context = unplugged.new_context()
    page = context.new_page()
    try:
        response = page.goto(f"http://evil.example:{app.port}/")
        assert response.status == 403
        assert "does not answer to the host name" in page.inner_text("body")
        assert page.locator("[data-testid=stApp]").count() == 0
        response = page.goto(f"http://localhost:{app.port}/")
        assert response.status == 200
        wait_idle(page)
        assert page.locator("[data-testid=stApp]").count() == 1
    finally:
        context.close()


def test_no_page_requests_another_origin(app, unplugged):
    context = unplugged.new_context()
    page = context.new_page()
    origin = f"http://localhost:{app.port}"
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        for path in PAGES:
            page.goto(origin + path)
            wait_idle(page, 1000)
    finally:
        context.close()
    assert len(requested) > len(PAGES)
    foreign = sorted(
        {url for url in requested if not url.startswith((origin + "/", "data:", "blob:"))}
    )
    assert foreign == []


@pytest.fixture(scope="module")
def broken_app(tmp_path_factory):
    bank = tmp_path_factory.mktemp("bank")
    write_question(bank, VALID)
    data = tmp_path_factory.mktemp("data")
    (data / "progress.db").write_bytes(b"not a database at all, " * 100)
    server = RunningApp(bank, data)
    yield server
    server.stop()


def test_an_unusable_database_is_one_plain_page_on_every_page(broken_app, page):
    # The server's first visit is not to /: every page still goes through main.py.
    for path in ["/stats", *PAGES]:
        page.goto(broken_app.url + path)
        wait_idle(page)
        assert page.get_by_text("Your progress cannot be used").count() == 1, path
        assert "is not a SQLite database" in page.locator("[data-testid=stCode]").inner_text()
        assert page.locator("[data-testid=stException]").count() == 0, path


def test_another_origin_cannot_frame_the_app(app, page):
    page.set_content(f'<iframe id="app" src="http://localhost:{app.port}/"></iframe>')
    page.wait_for_timeout(3000)
    [framed] = [f for f in page.frames if f != page.main_frame]
    assert framed.url == "chrome-error://chromewebdata/"  # Chromium refused to show it
    # the same page opened directly works
    page.goto(f"http://localhost:{app.port}/")
    wait_idle(page)
    assert page.locator("[data-testid=stApp]").count() == 1
