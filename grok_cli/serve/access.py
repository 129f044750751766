"""Who may talk to `grok serve`: the Host names it answers to, the CORS origin, the access key.

A page in a browser can reach a loopback server through a DNS name it controls (DNS rebinding);
the Host check refuses any name but the address listened on and localhost. Browsers get CORS
headers only for ``--cors-origin``. Every other request needs ``Authorization: Bearer KEY``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from grok_cli.serve import wire
from grok_cli.serve.keys import AccessKey

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class Access:
    """Who may talk to the server: the key, the Host names it answers to, the CORS origin."""

    key: AccessKey
    host: str
    port: int
    cors_origin: str | None = None

    def host_allowed(self, header: str | None) -> bool:
        """``Host`` names the bound address or localhost: a DNS-rebinding page's host does not."""
        if not header:
            return False
        name, port = split_host(header)
        if port is not None and port != self.port:
            return False
        if name == "localhost" or name == self.host.lower().strip("[]"):
            return True
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return False  # a name other than localhost: what a rebinding attack uses
        if is_ip(self.host) and ipaddress.ip_address(self.host.strip("[]")).is_unspecified:
            return True  # bound to every address: any of this machine's addresses, as a literal
        return is_loopback(self.host) and address.is_loopback


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_host(header: str) -> tuple[str, int | None]:
    """``Host`` as (lower-case name, port or None); ``[::1]:8765`` -> ("::1", 8765)."""
    header = header.strip().lower()
    if header.startswith("["):
        name, _, rest = header[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif header.count(":") == 1:
        name, _, port_text = header.partition(":")
    else:
        name, port_text = header, ""
    try:
        return name, int(port_text) if port_text else None
    except ValueError:
        return name, -1


def host_checked(access: Access) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not access.host_allowed(request.headers.get("Host")):
            raise wire.BadRequest(
                "The Host header names neither this server's address nor localhost.", status=403, code="bad_host"
            )
        return await handler(request)

    return middleware


def cors_headers(access: Access, request: web.Request) -> dict[str, str]:
    origin = request.headers.get("Origin")
    if access.cors_origin is None or origin is None or access.cors_origin not in ("*", origin):
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def cors_preflight(access: Access) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """A browser's preflight, answered before the key is asked for (browsers send none)."""
        headers = cors_headers(access, request)
        if request.method != "OPTIONS" or not headers:
            return await handler(request)
        headers |= {
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": request.headers.get(
                "Access-Control-Request-Headers", "Authorization, Content-Type"
            ),
            "Access-Control-Max-Age": "600",
        }
        return web.Response(status=204, headers=headers)

    return middleware


def authorized(access: Access, public_prefix: str) -> Any:
    """The access key on every request but those under ``public_prefix`` (URLs that are their
    own credential)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(public_prefix) and not access.key.matches(request.headers.get("Authorization")):
            raise wire.BadRequest(
                "Incorrect or missing API key: send Authorization: Bearer KEY (grok serve --show-key prints it).",
                status=401,
                code="invalid_api_key",
            )
        return await handler(request)

    return middleware
