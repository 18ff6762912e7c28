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


async def test_list_is_paginated(client: httpx2.AsyncClient) -> None:
    for index in range(5):
        await create(client, name=f"item-{index}")
    response = await client.get(ITEMS, params={"limit": 2, "offset": 1})
    assert response.status_code == 200
    page = response.json()
    assert [item["name"] for item in page["items"]] == ["item-1", "item-2"]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"offset": 2**31}]
)
async def test_page_bounds_are_enforced(client: httpx2.AsyncClient, params: dict[str, int]) -> None:
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
    assert (await client.get(ITEMS)).json()["total"] == 0
