"""What clients send and receive for items; the limits here are the API's contract."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

MAX_PAGE_SIZE = 100
# Ids fit the database's 32-bit integer: a larger one is a 422, not a driver error.
MAX_ID = 2**31 - 1

# Printable text only: no control characters (PostgreSQL cannot even store NUL in text), and
# a name neither starts nor ends with a space, so "gear" and "gear " are never two items.
# Explicit ranges rather than \s, whose meaning differs between regex engines.
NAME_PATTERN = r"^[^\x00-\x20\x7f-\xa0](?:[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0])?$"
# A description may run over several lines and hold tabs; no other control character.
DESCRIPTION_PATTERN = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"

Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NAME_PATTERN)]
Description = Annotated[str, StringConstraints(max_length=1000, pattern=DESCRIPTION_PATTERN)]


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description | None = None


class ItemUpdate(BaseModel):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    # Optional, but not nullable: the schema must not offer a null the validator refuses.
    name: Name | SkipJsonSchema[None] = None
    description: Description | None = None

    @field_validator("name")
    @classmethod
    def name_is_not_null(cls, name: str | None) -> str:
        if name is None:
            raise ValueError("name cannot be null")
        return name


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
{%- if cookiecutter.jobs == "taskiq" %}
    # The quote of the day when the item was created; null until the worker has stored it.
    quote: str | None
{%- endif %}
    created_at: datetime
    updated_at: datetime


class ItemPage(BaseModel):
    """A page of items in id order."""

    items: list[ItemRead]
    next_cursor: str | None = Field(
        description="Pass it as `cursor` for the next page (the `Link` header holds that URL); "
        "null on the last page."
    )
    total: int | None = Field(description="How many items there are, with `include_total=true`.")
