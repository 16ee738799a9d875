"""The server's guard against DNS rebinding and framing (installed by `serve.py`).

DNS rebinding: a web page the learner visits can point its own name at 127.0.0.1 and then read and change progress through the learner's browser, because the browser treats the
app as that page's own origin. Such requests still carry the page's name in `Host`, so the server
answers only requests whose `Host` is one it was started for: localhost, 127.0.0.1, [::1], the
configured `server.address`, any IP address when that address is a wildcard (an IP literal cannot
be rebound), and the names listed in `$STUDYAPP_ALLOWED_HOSTS` (`studyapp --allow-host NAME`).
Every other request, the page as well as the websocket, gets a plain-text 403. Every response
also forbids framing by other origins.
"""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module: Streamlit and Starlette load only to serve
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_HOSTS_ENV = "STUDYAPP_ALLOWED_HOSTS"
# Set by `studyapp --serve-network-without-auth`: the user knows the app has no login.
SHARE_ENV = "STUDYAPP_SERVE_NETWORK_WITHOUT_AUTH"
SHARE_FLAG = "--serve-network-without-auth"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", ""})
FRAME_HEADERS = {
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
}
_RAW_FRAME_HEADERS = [(k.lower().encode(), v.encode()) for k, v in FRAME_HEADERS.items()]


def is_loopback(address: str) -> bool:
    address = address.strip().strip("[]").lower()
    return address in LOOPBACK_NAMES or address.startswith("127.")


def exposure_refusal(address: str, acknowledged: bool) -> str | None:
    """Why the server must not listen on `address`, or None: with no login, anyone who reaches
    a non-loopback address could read and change every profile."""
    if is_loopback(address) or acknowledged:
        return None
    return (
        f"refusing to listen on {address}: the app has no login, so anyone who can reach that "
        f"address could read and change every profile's progress. Pass {SHARE_FLAG} to "
        "`studyapp` if that is what you want (see README, Security)."
    )


def host_name(header: str | None) -> str | None:
    """The name in a `Host` header, lower case, without port or IPv6 brackets; None if malformed."""
    if not header or any(c.isspace() or c in "/@\\?#" for c in header):
        return None
    if header.startswith("["):
        inside, bracket, rest = header[1:].partition("]")
        if not bracket or (rest and not rest[1:].isdigit()) or (rest and rest[0] != ":"):
            return None
        name = inside
    else:
        name, _, port = header.partition(":")
        if port and not port.isdigit():
            return None
    return name.lower().rstrip(".") or None


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostGuard:
    """ASGI middleware: 403 for a `Host` the server was not started for; no framing by others."""

    def __init__(self, app: ASGIApp, address: str | None = None, extra: str | None = None):
        self.app = app
        if address is None:
            from streamlit import config

            address = config.get_option("server.address") or ""
        if extra is None:
            extra = os.environ.get(ALLOWED_HOSTS_ENV, "")
        address = address.strip().strip("[]").lower()
        self.any_ip = address in WILDCARD_ADDRESSES
        self.names = LOOPBACK_NAMES | {address} - {""}
        self.names |= {n for n in (host_name(x.strip()) for x in extra.split(",")) if n}

    def allows(self, header: str | None) -> bool:
        name = host_name(header)
        return name is not None and (name in self.names or self.any_ip and is_ip_address(name))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        if not self.allows(header):
            refusal = (
                f"403: this server does not answer to the host name {header!r}. "
                "Open it at http://localhost, or start it with `studyapp --allow-host NAME`.\n"
            )
            from starlette.responses import PlainTextResponse

            if scope["type"] == "websocket" and "websocket.http.response" not in scope.get(
                "extensions", {}
            ):
                await send({"type": "websocket.close", "code": 1008})  # the server answers 403
                return
            await PlainTextResponse(refusal, status_code=403, headers=FRAME_HEADERS)(
                scope, receive, send
            )
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_with_frame_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *_RAW_FRAME_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_frame_headers)
