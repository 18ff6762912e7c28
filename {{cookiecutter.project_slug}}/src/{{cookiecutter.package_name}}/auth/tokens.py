"""Access-token verification: the signature with the identity provider's key, the algorithm
from the allow-list only, then the claims (issuer, audience, lifetime with leeway)."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwt import ClaimsOption, JWTClaimsRegistry

from {{ cookiecutter.package_name }}.auth.keys import KeySource, UnknownKeyError

# Where the verified caller is kept for the rest of the request, in `scope["state"]`: read by
# what runs after the check (the access log line, a rate limiter keyed on the subject).
SUBJECT_KEY = "auth_subject"
PRINCIPAL_KEY = "auth_principal"


class InvalidTokenError(Exception):
    """The token is not one this service accepts; the message says why (never the token)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who called, as the identity provider vouches."""

    subject: str
    scopes: frozenset[str]
    claims: Mapping[str, Any]


def granted_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """OAuth 2's `scope` is one space-separated string; Entra ID sends `scp`, a string or a list."""
    value = claims.get("scope", claims.get("scp", ""))
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(scope for scope in value if isinstance(scope, str))
    return frozenset()


class TokenVerifier:
    """Checks tokens against the keys of `keys`. Verifying costs a fraction of a millisecond of
    CPU (figures in the README), less than handing it to a worker thread: it runs on the loop."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        algorithms: Collection[str],
        leeway: int,
    ) -> None:
        self._keys = keys
        self._algorithms = frozenset(algorithms)
        # Present in every token the service accepts; iss and aud also with these values.
        required: ClaimsOption = {"essential": True}
        self._claims = JWTClaimsRegistry(
            leeway=leeway,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            sub=required,
            exp=required,
            iat=required,
        )

    async def verify(self, token: str) -> Principal:
        """The principal the token speaks for; raises InvalidTokenError, or KeysUnavailableError
        when no key can be had to check it with."""
        try:
            header = jws.extract_compact(token.encode("ascii")).headers()
        except (JoseError, ValueError) as error:
            raise InvalidTokenError("the token is not a signed JWT") from error
        # Decided here, before any key is looked at: the token does not choose how it is checked.
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise InvalidTokenError(f"the algorithm {algorithm!r} is not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidTokenError("the token names no key (kid)")
        try:
            key = await self._keys.key(kid)
        except UnknownKeyError as error:
            raise InvalidTokenError(str(error)) from error
        if key.get("alg") not in (None, algorithm):
            raise InvalidTokenError(f"the key {kid!r} is not for {algorithm}")
        try:
            claims = jwt.decode(token, key, algorithms=[algorithm]).claims
            self._claims.validate(claims)
        except ExpiredTokenError as error:
            raise InvalidTokenError("the token has expired") from error
        except JoseError as error:
            raise InvalidTokenError(f"the token was refused: {error}") from error
        return Principal(claims["sub"], granted_scopes(claims), claims)
