"""The server answers only the host names it was started for (DNS rebinding), refuses framing by
other origins, and `studyapp` will not listen beyond loopback without an explicit flag."""

import http.client
import os
import re
import subprocess
import sys

import pytest
from streamlit.web import cli as stcli

from studyapp import cli
from studyapp.app.hostguard import SHARE_ENV, HostGuard, exposure_refusal, host_name
from studyapp.tools.liveserver import LiveServer, free_port

WEBSOCKET_HEADERS = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}


def get(port: int, path: str, host: str, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("GET", path, skip_host=True)
    conn.putheader("Host", host)
    for name, value in (headers or {}).items():
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read() if response.status != 101 else b""
    conn.close()
    return response, body


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    exe = str(cli.Path(sys.executable).parent / "studyapp")
    live = LiveServer([exe], {"STUDYAPP_DB": str(tmp / "p.db")}, tmp / "app.log")
    yield live
    live.stop()


@pytest.mark.parametrize("path", ["/", "/_stcore/health", "/favicon.png", "/_stcore/host-config"])
def test_page_and_static_files_answer_only_known_hosts(server, path):
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", "LOCALHOST"):
        response, _ = get(server.port, path, host)
        assert response.status == 200, (host, path)
        assert response.getheader("X-Frame-Options") == "SAMEORIGIN"
        assert response.getheader("Content-Security-Policy") == "frame-ancestors 'self'"
    for host in (f"evil.example:{server.port}", "localhost.evil.example", "127.0.0.1.nip.io"):
        response, body = get(server.port, path, host)
        assert response.status == 403, (host, path)
        assert response.getheader("Content-Type").startswith("text/plain")
        assert b"does not answer to the host name" in body


def test_the_pages_scripts_answer_only_known_hosts(server):
    _, page = get(server.port, "/", f"localhost:{server.port}")
    scripts = re.findall(rb'src="\.?(/static/[^"]+\.js)"', page)
    assert scripts
    for host, status in ((f"localhost:{server.port}", 200), (f"evil.example:{server.port}", 403)):
        response, _ = get(server.port, scripts[0].decode(), host)
        assert response.status == status


def test_websocket_answers_only_known_hosts(server):
    response, _ = get(server.port, "/_stcore/stream", f"localhost:{server.port}", WEBSOCKET_HEADERS)
    assert response.status == 101
    response, body = get(
        server.port, "/_stcore/stream", f"evil.example:{server.port}", WEBSOCKET_HEADERS
    )
    assert response.status == 403
    assert b"does not answer to the host name" in body


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost:8501", "localhost"),
        ("LocalHost.", "localhost"),
        ("[::1]:8501", "::1"),
        ("127.0.0.1", "127.0.0.1"),
        ("evil.example:80", "evil.example"),
        ("", None),
        (None, None),
        ("a b", None),
        ("user@localhost", None),
        ("localhost:80x", None),
        ("[::1", None),
        ("[::1]x", None),
    ],
)
def test_host_name(header, name):
    assert host_name(header) == name


def test_allowed_names_follow_address_and_extra_names():
    loopback = HostGuard(None, address="127.0.0.1", extra="")
    assert loopback.allows("localhost:1") and loopback.allows("[::1]:1")
    assert not loopback.allows("192.168.1.5:8501")
    assert not loopback.allows("evil.example")
    assert not loopback.allows(None)
    named = HostGuard(None, address="127.0.0.1", extra="study.lan, Other.Lan:9")
    assert named.allows("study.lan:8501") and named.allows("other.lan")
    assert not named.allows("evil.example")
    # bound to every interface: any IP literal (which no page can rebind), still no foreign names
    wildcard = HostGuard(None, address="0.0.0.0", extra="")
    assert wildcard.allows("192.168.1.5:8501") and wildcard.allows("[fe80::1]:8501")
    assert not wildcard.allows("evil.example:8501")
    lan = HostGuard(None, address="192.168.1.5", extra="")
    assert lan.allows("192.168.1.5:8501") and not lan.allows("10.0.0.1")


@pytest.fixture
def started(monkeypatch):
    seen = {}
    monkeypatch.setattr(stcli, "main", lambda: seen.update(argv=list(sys.argv)) or 0)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    for name in ("STUDYAPP_DB", "STUDYAPP_BANK", "STUDYAPP_ALLOWED_HOSTS", SHARE_ENV):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.delenv("STREAMLIT_SERVER_ADDRESS", raising=False)
    return seen


@pytest.mark.parametrize(
    "args",
    [
        ["--server.address", "0.0.0.0"],
        ["--server.address=192.168.1.5"],
        ["run", "--server.address", "::"],
    ],
)
def test_non_loopback_address_needs_the_explicit_flag(started, capsys, args):
    assert cli.main(args) == 2
    assert "argv" not in started
    assert "no login" in capsys.readouterr().err
    assert cli.main([*args, cli.SHARE_FLAG]) == 0
    assert started["argv"][-2:] == args[-2:] or started["argv"][-1] == args[-1]


def test_non_loopback_address_from_the_environment_needs_the_flag(started, monkeypatch):
    monkeypatch.setenv("STREAMLIT_SERVER_ADDRESS", "0.0.0.0")
    assert cli.main([]) == 2
    monkeypatch.setenv("STREAMLIT_SERVER_ADDRESS", "127.0.0.1")
    assert cli.main([]) == 0


def test_loopback_starts_and_allow_host_reaches_the_guard(started):
    import os

    assert cli.main(["--server.address", "localhost", "--allow-host", "study.lan"]) == 0
    assert started["argv"][:3] == ["streamlit", "run", str(cli.APP_SCRIPT)]
    assert cli.APP_SCRIPT.name == "serve.py"
    assert os.environ["STUDYAPP_ALLOWED_HOSTS"] == "study.lan"


def test_sharing_on_the_network_asks_no_third_party_for_the_external_ip(started, monkeypatch):
    from streamlit import net_util

    def no_requests(*args, **kwargs):
        raise AssertionError("Streamlit asked a third party for the external IP")

    monkeypatch.setattr(net_util, "_make_blocking_http_get", no_requests)
    monkeypatch.setattr(net_util, "_external_ip", None)
    assert cli.main(["--server.address", "0.0.0.0", cli.SHARE_FLAG]) == 0
    assert not net_util.get_external_ip()


def test_serving_beyond_loopback_is_refused_however_the_server_is_started(tmp_path):
    """`streamlit run serve.py --server.address 0.0.0.0`, bypassing `studyapp`, refuses too."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYAPP_SERVE")}
    command = [sys.executable, "-m", "streamlit", "run", str(cli.APP_SCRIPT)]
    command += ["--server.address", "0.0.0.0", "--server.port", str(free_port())]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "STUDYAPP_DB": str(tmp_path / "p.db")},
    )
    assert result.returncode != 0
    assert "refusing to listen on 0.0.0.0: the app has no login" in result.stdout + result.stderr


def test_exposure_refusal():
    assert exposure_refusal("127.0.0.1", False) is None
    assert exposure_refusal("127.0.0.2", False) is None
    assert exposure_refusal("[::1]", False) is None
    assert exposure_refusal("localhost", False) is None
    assert "no login" in exposure_refusal("0.0.0.0", False)
    assert "no login" in exposure_refusal("192.168.1.5", False)
    assert exposure_refusal("0.0.0.0", True) is None
