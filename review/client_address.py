"""The address of the person behind a request, believing ``X-Forwarded-For`` only from our proxies.

`yuqing serve` runs uvicorn without proxy-header rewriting, so ``request.client`` is the
TCP peer. When that peer is in ``review.trusted_proxies``, the client is the right-most
address in ``X-Forwarded-For`` that is not itself a trusted proxy (the left part of the
header is whatever the client chose to send, so it is never believed).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: Request, proxies: tuple[Network, ...]) -> str:
    peer = request.client.host if request.client else "unknown"
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if _trusted(hop, proxies):
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return peer  # garbage where the proxy should have written an address: key by the proxy
    return peer
