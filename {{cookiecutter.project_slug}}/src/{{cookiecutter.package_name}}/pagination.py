"""Keyset pagination: each page starts after the last row of the one before, found through the
primary key's index however deep the page is, where an offset makes the database step over every
row before it. Clients see an opaque cursor, in the body and in a `Link: <…>; rel="next"` header.
"""

import base64
from typing import Annotated

from fastapi import Query, Request

from {{ cookiecutter.package_name }}.errors import Responses

# Today a cursor holds the last id of the page before, as 8 bytes in base64url; clients must
# not rely on that. Every string of this pattern decodes, so none that the schema allows fails.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{11}$"

Cursor = Annotated[
    str | None,
    Query(
        pattern=CURSOR_PATTERN,
        description="Where the page starts: the `next_cursor` of the page before. "
        "Leave it out for the first page.",
    ),
]
IncludeTotal = Annotated[
    bool,
    Query(description="Also count every row (`total`): one more query, over the whole table."),
]

# The `Link` header, as documented in the OpenAPI schema of a paginated operation.
NEXT_LINK: Responses = {
    200: {
        "headers": {
            "Link": {
                "description": 'The next page, `<URL>; rel="next"`; absent on the last page.',
                "schema": {"type": "string"},
            }
        }
    }
}


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(last_id.to_bytes(8, "big")).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(cursor + "="), "big")


def next_link(request: Request, cursor: str) -> str:
    """The `Link` header to the page after this one: the same request, from `cursor` on."""
    return f'<{request.url.include_query_params(cursor=cursor)}>; rel="next"'
