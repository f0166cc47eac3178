"""Where a source's crawl may go: its own origin, and public addresses only.

* Origin: a URL is on the site when its host is a start URL's host and its port is that
  start URL's port (default ports count as one, so ``http://x`` → ``https://x`` is fine, but
  ``x:8080`` is another site), or its host is one of the source's ``allowed_domains`` (or a
  subdomain) on a default port.
* Addresses: a host that is, or resolves to, a loopback, private, link-local, multicast,
  reserved or unspecified address is refused, unless the source sets ``allow_private`` or a
  start URL is itself on that kind of address (a local test site, an intranet source).
  Names are resolved once per crawl (in a thread, never blocking the reactor). The
  downloader resolves again when it connects, so a name that changes its answer between
  the two (DNS rebinding) is not caught here.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_kind(ip: Address) -> str:
    """``public`` or the kind of non-public range ``ip`` is in."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind
    return "public" if ip.is_global else "private"


def _host_port(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower().rstrip("."), port or DEFAULT_PORTS[parts.scheme]


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _resolve_now(host: str) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []  # unresolvable: the download fails with its own error
    found: list[Address] = []
    for info in infos:
        literal = _literal(str(info[4][0]).split("%")[0])
        if literal is not None:
            found.append(literal)
    return found


class OriginPolicy:
    def __init__(self, start_urls: Iterable[str], allowed_domains: Iterable[str], *, allow_private: bool) -> None:
        self.origins = {hp[1:] for hp in map(_host_port, start_urls) if hp is not None}
        self.domains = [d.lower().strip(".") for d in allowed_domains if d.strip(".")]
        self.allow_private = allow_private
        self._kinds: dict[str, set[str]] = {}
        self._start_hosts = {host for host, _ in self.origins}
        self._allowed_kinds: set[str] | None = None

    def same_site(self, url: str) -> bool:
        hp = _host_port(url)
        if hp is None:
            return False
        _, host, port = hp
        if (host, port) in self.origins:
            return True
        default = port in DEFAULT_PORTS.values()
        if default and any(h == host and p in DEFAULT_PORTS.values() for h, p in self.origins):
            return True
        return default and any(host == d or host.endswith("." + d) for d in self.domains)

    async def _kinds_of(self, host: str) -> set[str]:
        if host not in self._kinds:
            literal = _literal(host)
            if literal is not None:
                addresses = [literal]
            else:
                addresses = await maybe_deferred_to_future(deferToThread(_resolve_now, host))
            self._kinds[host] = {address_kind(a) for a in addresses}
        return self._kinds[host]

    async def public_enough(self, url: str) -> bool:
        if self.allow_private:
            return True
        hp = _host_port(url)
        if hp is None:
            return False
        if self._allowed_kinds is None:
            allowed = {"public"}
            for host in self._start_hosts:
                allowed |= await self._kinds_of(host)
            self._allowed_kinds = allowed
        return (await self._kinds_of(hp[1])) <= self._allowed_kinds
