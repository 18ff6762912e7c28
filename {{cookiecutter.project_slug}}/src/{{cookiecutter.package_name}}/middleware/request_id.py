"""The id a request is handled under: the caller's `X-Request-ID` when it is sane, a new one
otherwise, echoed on the response."""

import re
import uuid

from starlette.types import Scope

from {{ cookiecutter.package_name }}.request_id import HEADER

HEADER_KEY = HEADER.lower().encode("latin-1")
# Short, printable and free of separators: an id that ends up in logs must not forge lines.
_VALID_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def request_id_for(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == HEADER_KEY:
            if _VALID_ID.fullmatch(value):
                incoming: str = value.decode("latin-1")
                return incoming
            break
    return uuid.uuid4().hex
