"""Who a request comes from, for rate limiting: the authenticated subject when there is one,
else the client's address, read through the proxies the service trusts."""

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.types import Scope

{% if cookiecutter.auth == "jwt" -%}
# auth/caller.py, which runs before the rate limiter (earlier in features.py's list), stores the
# verified subject here, in the request's state.
{% else -%}
# An authentication layer that runs before the rate limiter (earlier in features.py's list)
# stores the verified subject here, in the request's state: `request.state.auth_subject`.
{% endif -%}
SUBJECT = "auth_subject"

Network = IPv4Network | IPv6Network


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(scope: Scope, proxies: Sequence[Network]) -> str | None:
    """The peer's address; when the peer is a trusted proxy, the nearest address in
    X-Forwarded-For that is not one. A client can write anything into the header, so only
    entries added by trusted proxies, read from the right, are believed."""
    client = scope.get("client")
    if not client:
        return None
    address: str = client[0]
    if not proxies or not _trusted(address, proxies):
        return address
    forwarded = [
        hop.strip()
        for name, value in scope["headers"]
        if name == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
    ]
    for hop in reversed(forwarded):
        if not _trusted(address, proxies):
            break
        address = hop
    return address


def client_identity(scope: Scope, proxies: Sequence[Network]) -> str | None:
    """`subject:<sub>` or `address:<ip>`; None when neither is known."""
    subject = scope.get("state", {}).get(SUBJECT)
    if subject:
        return f"subject:{subject}"
    address = client_address(scope, proxies)
    return None if address is None else f"address:{address}"
