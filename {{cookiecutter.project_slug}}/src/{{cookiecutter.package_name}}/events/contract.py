"""The events this service publishes: their names and bodies are a public contract, which other
services subscribe to and the AsyncAPI document describes."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

ItemEventType = Literal["items.created", "items.updated", "items.deleted"]
ITEM_EVENT_TYPES: tuple[ItemEventType, ...] = ("items.created", "items.updated", "items.deleted")


class ItemData(BaseModel):
    """The item as it stood after the change (before it, for a deletion)."""

    id: int
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime


class ItemEvent(BaseModel):
    """One change to one item. Delivery is at least once: a subscriber that sees an `id` twice
    has seen the same event twice."""

    id: str = Field(description="Unique per event; subscribers deduplicate on it.")
    type: ItemEventType
    time: datetime = Field(description="When the change was committed, UTC.")
    request_id: str | None = Field(description="The HTTP request that made the change.")
    data: ItemData
