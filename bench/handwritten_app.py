"""The yardstick for the data path: FastAPI + SQLAlchemy asyncio as most people write it.

The same `items` table as the generated service (its migrations made it), read the obvious way:
an engine with SQLAlchemy's default pool, a session per request from a `yield` dependency,
`session.get` for one item, `select(Item)` ordered by id for a page of 20 without a count, and
a pydantic response model built from the ORM object. `BENCH_DATABASE_URL` names the database.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict
from sqlalchemy import DateTime, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

engine = create_async_engine(os.environ["BENCH_DATABASE_URL"])
sessions = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime


async def get_session() -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/items/{item_id}")
async def read_item(item_id: int, session: SessionDep) -> ItemRead:
    item = await session.get(Item, item_id)
    if item is None:
        raise HTTPException(status_code=404)
    return ItemRead.model_validate(item)


@app.get("/items")
async def list_items(session: SessionDep, limit: int = 20, offset: int = 0) -> list[ItemRead]:
    rows = await session.scalars(select(Item).order_by(Item.id).offset(offset).limit(limit))
    return [ItemRead.model_validate(item) for item in rows]
