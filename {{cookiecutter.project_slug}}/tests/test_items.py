import asyncio
from typing import Any

import httpx2
import pytest

ITEMS = "/api/v1/items"


async def create(client: httpx2.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post(ITEMS, json={"name": "widget", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def next_link(response: httpx2.Response) -> str | None:
    """The URL of the `Link` header's rel="next", if it has one."""
    header = response.headers.get("link")
    if header is None:
        return None
    target, relation = header.split("; ")
    assert relation == 'rel="next"'
    return target.removeprefix("<").removesuffix(">")


async def test_create_then_read(client: httpx2.AsyncClient) -> None:
    created = await create(client, description="A small part")
    response = await client.get(f"{ITEMS}/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert created["name"] == "widget"
    assert created["description"] == "A small part"
    assert created["created_at"].endswith("Z") or created["created_at"].endswith("+00:00")


async def test_read_missing_is_404(client: httpx2.AsyncClient) -> None:
    response = await client.get(f"{ITEMS}/999", headers={"X-Request-ID": "read-999"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Item 999 does not exist.",
        "instance": f"{ITEMS}/999",
        "request_id": "read-999",
    }


async def test_duplicate_name_is_409(client: httpx2.AsyncClient) -> None:
    await create(client)
    response = await client.post(ITEMS, json={"name": "widget"})
    assert response.status_code == 409
    assert response.json()["detail"] == "An item named 'widget' already exists."


async def test_racing_duplicates_give_one_201_and_409s(client: httpx2.AsyncClient) -> None:
    responses = await asyncio.gather(
        *(client.post(ITEMS, json={"name": "contested"}) for _ in range(5))
    )
    assert sorted(response.status_code for response in responses) == [201, 409, 409, 409, 409]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x" * 101},
        {"name": "ok", "description": "x" * 1001},
        {"name": "ok", "unknown": 1},
        {"name": 12},
        {"name": " padded"},
        {"name": "padded "},
        {"name": "nul\u0000byte"},
        {"name": "line\nbreak"},
        {"name": "ok", "description": "nul\u0000byte"},
    ],
)
async def test_invalid_body_is_422(client: httpx2.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post(ITEMS, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]


async def test_malformed_json_is_422(client: httpx2.AsyncClient) -> None:
    response = await client.post(
        ITEMS, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


async def test_list_pages_follow_the_next_link_to_the_end(client: httpx2.AsyncClient) -> None:
    for index in range(5):
        await create(client, name=f"item-{index}")
    names: list[str] = []
    pages: list[dict[str, Any]] = []
    url: str | None = f"{ITEMS}?limit=2"
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200
        pages.append(page := response.json())
        names += [item["name"] for item in page["items"]]
        url = next_link(response)
        assert (url is None) is (page["next_cursor"] is None)
        assert url is None or f"cursor={page['next_cursor']}" in url
    assert names == [f"item-{index}" for index in range(5)]
    assert [len(page["items"]) for page in pages] == [2, 2, 1]
    assert {page["total"] for page in pages} == {None}


async def test_the_last_full_page_has_no_next_cursor(client: httpx2.AsyncClient) -> None:
    for index in range(2):
        await create(client, name=f"item-{index}")
    response = await client.get(ITEMS, params={"limit": 2})
    assert response.json()["next_cursor"] is None
    assert "link" not in response.headers


async def test_the_next_link_keeps_the_other_parameters(client: httpx2.AsyncClient) -> None:
    for index in range(3):
        await create(client, name=f"item-{index}")
    first = await client.get(ITEMS, params={"limit": 1, "include_total": "true"})
    url = next_link(first)
    assert url is not None
    following = await client.get(url)
    assert [item["name"] for item in following.json()["items"]] == ["item-1"]
    assert following.json()["total"] == 3


async def test_the_total_is_counted_only_when_asked_for(client: httpx2.AsyncClient) -> None:
    for index in range(3):
        await create(client, name=f"item-{index}")
    assert (await client.get(ITEMS)).json()["total"] is None
    page = (await client.get(ITEMS, params={"limit": 1, "include_total": True})).json()
    assert (len(page["items"]), page["total"]) == (1, 3)


async def test_a_page_is_not_moved_by_rows_deleted_before_it(client: httpx2.AsyncClient) -> None:
    """What an offset gets wrong: deleting a row already seen would skip one not yet seen."""
    ids = [(await create(client, name=f"item-{index}"))["id"] for index in range(4)]
    first = (await client.get(ITEMS, params={"limit": 2})).json()
    await client.delete(f"{ITEMS}/{ids[0]}")
    second = (await client.get(ITEMS, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [item["id"] for item in second["items"]] == ids[2:]


@pytest.mark.parametrize("cursor", ["AAAAAAAAAAA", "__________-", "zzzzzzzzzzz"])
async def test_any_well_formed_cursor_gives_a_page(client: httpx2.AsyncClient, cursor: str) -> None:
    """Every cursor the schema allows is answered: one past the last id gives an empty page."""
    await create(client)
    response = await client.get(ITEMS, params={"cursor": cursor})
    assert response.status_code == 200
    assert response.json()["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"cursor": ""},
        {"cursor": "short"},
        {"cursor": "AAAAAAAAAAAA"},
        {"cursor": "AAAAAAAAAA="},
        {"include_total": "maybe"},
    ],
)
async def test_page_parameters_are_checked(
    client: httpx2.AsyncClient, params: dict[str, Any]
) -> None:
    response = await client.get(ITEMS, params=params)
    assert response.status_code == 422


async def test_names_may_hold_inner_spaces_and_any_script(client: httpx2.AsyncClient) -> None:
    created = await create(client, name="Zahnrad für Öl 歯車", description="two\n\tlines")
    assert created["name"] == "Zahnrad für Öl 歯車"


@pytest.mark.parametrize("item_id", [0, 2**31, 2**63])
async def test_ids_outside_the_database_range_are_422(
    client: httpx2.AsyncClient, item_id: int
) -> None:
    """Past 2**31 - 1 PostgreSQL's integer column would fail the query: a 500, not a 404."""
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(method, f"{ITEMS}/{item_id}", json={"description": "x"})
        assert response.status_code == 422


async def test_update_changes_only_the_fields_sent(client: httpx2.AsyncClient) -> None:
    created = await create(client, description="before")
    response = await client.patch(f"{ITEMS}/{created['id']}", json={"description": "after"})
    assert response.status_code == 200
    updated = response.json()
    assert (updated["name"], updated["description"]) == ("widget", "after")
    assert updated["updated_at"] >= created["updated_at"]


async def test_update_to_a_taken_name_is_409(client: httpx2.AsyncClient) -> None:
    await create(client, name="first")
    second = await create(client, name="second")
    response = await client.patch(f"{ITEMS}/{second['id']}", json={"name": "first"})
    assert response.status_code == 409


async def test_update_name_to_null_is_422(client: httpx2.AsyncClient) -> None:
    created = await create(client)
    response = await client.patch(f"{ITEMS}/{created['id']}", json={"name": None})
    assert response.status_code == 422


async def test_update_missing_is_404(client: httpx2.AsyncClient) -> None:
    response = await client.patch(f"{ITEMS}/999", json={"description": "x"})
    assert response.status_code == 404


async def test_delete(client: httpx2.AsyncClient) -> None:
    created = await create(client)
    response = await client.delete(f"{ITEMS}/{created['id']}")
    assert response.status_code == 204
    assert (await client.get(f"{ITEMS}/{created['id']}")).status_code == 404
    assert (await client.delete(f"{ITEMS}/{created['id']}")).status_code == 404


async def test_tests_are_isolated(client: httpx2.AsyncClient) -> None:
    assert (await client.get(ITEMS, params={"include_total": True})).json()["total"] == 0
