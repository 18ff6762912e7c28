"""The transactional outbox: every change to an item writes its event into the `outbox` table in
the same transaction, so an event exists exactly when its change was committed. The relay
publishes the rows later; nothing here waits on the broker.

The rows are written by SQLAlchemy mapper events on `Item`, so every code path that changes an
item records its event, and the items package knows nothing of events.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

{% if cookiecutter.tracing -%}
from opentelemetry import propagate
{% endif -%}
from sqlalchemy import JSON, Connection, String, event, insert
from sqlalchemy.orm import Mapped, Mapper, mapped_column, object_session

from {{ cookiecutter.package_name }}.events.contract import ItemData, ItemEvent, ItemEventType
from {{ cookiecutter.package_name }}.infra.orm import Base
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.request_id import current_request_id


class OutboxMessage(Base):
    """An event waiting to be published (`sent_at` empty) or published (kept until pruned)."""

    __tablename__ = "outbox"

    # Publishing follows this order: the order in which the changes were flushed.
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    headers: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(index=True)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)


def item_event(kind: ItemEventType, item: Item) -> ItemEvent:
    return ItemEvent(
        id=uuid.uuid4().hex,
        type=kind,
        time=datetime.now(UTC),
        request_id=current_request_id(),
        data=ItemData.model_validate(item, from_attributes=True),
    )


def _record(kind: ItemEventType, connection: Connection, item: Item) -> None:
    """Runs inside the flush, on the transaction's own connection."""
    message = item_event(kind, item)
    headers: dict[str, str] = {}
{%- if cookiecutter.tracing %}
    # The W3C trace context of the request, so a subscriber's spans join its trace.
    propagate.inject(headers)
{%- endif %}
    connection.execute(
        insert(OutboxMessage).values(
            message_id=message.id,
            type=kind,
            body=message.model_dump(mode="json"),
            headers=headers,
            created_at=message.time,
        )
    )


@event.listens_for(Item, "after_insert")
def _created(mapper: Mapper[Item], connection: Connection, item: Item) -> None:
    _record("items.created", connection, item)


@event.listens_for(Item, "after_update")
def _updated(mapper: Mapper[Item], connection: Connection, item: Item) -> None:
    # Called for every dirty item, also one set to the values it had: no change, no event.
    session = object_session(item)
    if session is not None and not session.is_modified(item, include_collections=False):
        return
    _record("items.updated", connection, item)


@event.listens_for(Item, "after_delete")
def _deleted(mapper: Mapper[Item], connection: Connection, item: Item) -> None:
    _record("items.deleted", connection, item)
