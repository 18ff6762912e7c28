"""The consumer example: the catalog service announces that an item was withdrawn from sale,
and this service deletes its item of that name.

Handling is idempotent: the message id is stored with the effect, in one transaction, so a
redelivered message (at-least-once delivery) changes nothing the second time.
"""

import logging
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.package_name }}.infra.database import Database
from {{ cookiecutter.package_name }}.infra.orm import Base
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.items.schemas import Name

logger = logging.getLogger(__name__)


class WithdrawnItem(BaseModel):
    name: Name


class ItemWithdrawn(BaseModel):
    """The catalog service's event; the fields this service reads, the rest ignored."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=100)
    type: Literal["items.withdrawn"]
    data: WithdrawnItem


class ProcessedMessage(Base):
    """The ids of the messages already handled."""

    __tablename__ = "processed_messages"

    message_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    processed_at: Mapped[datetime]


async def handle_item_withdrawn(database: Database, event: ItemWithdrawn) -> int | None:
    """The id of the item this delivery deleted, once committed; None when there was none."""
    async with database.sessions() as session:
        if await session.get(ProcessedMessage, event.id) is not None:
            logger.info("Message %s already handled", event.id)
            return None
        item = await session.scalar(select(Item).where(Item.name == event.data.name))
        if item is not None:
            await session.delete(item)
        session.add(ProcessedMessage(message_id=event.id, processed_at=datetime.now(UTC)))
        try:
            await session.commit()
        except IntegrityError:
            # Another delivery of the same message committed first: its effect stands.
            await session.rollback()
            return None
        return None if item is None else item.id
