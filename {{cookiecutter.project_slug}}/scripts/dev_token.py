"""Mint an access token for local development, signed with a key of your own.

The first run makes an EC key in .dev-auth/ (ignored by git) and the JWK Set that publishes it,
and prints the settings that make the service trust it; put them in .env. Each run prints a
token on stdout, so a shell can keep it:

    TOKEN=$(uv run python scripts/dev_token.py --scope {{ "items:write" if cookiecutter.database != "none" else "reports:write" }})
    curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/api/v1/me

Tokens minted here are worth nothing anywhere else: only a service configured with this
directory's JWK Set accepts them.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import ECKey

PREFIX = "{{ cookiecutter.__env_prefix }}"
DIRECTORY = Path(".dev-auth")
ISSUER = "http://localhost/dev-auth"
AUDIENCE = "{{ cookiecutter.project_slug }}"
KID = "dev-1"


def signing_key(directory: Path) -> ECKey:
    """The key in `directory`, made (with its public JWK Set beside it) on first use."""
    private = directory / "key.json"
    if private.exists():
        return ECKey.import_key(json.loads(private.read_text()))
    key = ECKey.generate_key("P-256", parameters={"kid": KID, "use": "sig", "alg": "ES256"})
    directory.mkdir(exist_ok=True)
    private.write_text(json.dumps(key.as_dict(private=True)))
    private.chmod(0o600)
    jwks = directory / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    print("A new signing key; the service trusts it with these settings (.env):", file=sys.stderr)
    print(f"{PREFIX}AUTH_ISSUER={ISSUER}", file=sys.stderr)
    print(f"{PREFIX}AUTH_AUDIENCE={AUDIENCE}", file=sys.stderr)
    print(f"{PREFIX}AUTH_JWKS_URL={jwks.resolve().as_uri()}", file=sys.stderr)
    return key


def mint(key: ECKey, subject: str, scopes: list[str], lifetime: int) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "iat": now,
        "exp": now + lifetime,
        "scope": " ".join(scopes),
    }
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subject", default="developer", help="the caller's id (sub)")
    parser.add_argument(
        "--scope", action="append", default=[], help="a scope to grant; repeat for more"
    )
    parser.add_argument("--lifetime", type=int, default=3600, help="seconds until it expires")
    parser.add_argument("--directory", type=Path, default=DIRECTORY, help="where the key is")
    arguments = parser.parse_args()
    key = signing_key(arguments.directory)
    print(mint(key, arguments.subject, arguments.scope, arguments.lifetime))
