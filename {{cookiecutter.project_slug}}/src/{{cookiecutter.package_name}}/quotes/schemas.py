"""The quote of the day, as the upstream sends it and as this service returns it."""

from pydantic import BaseModel, Field


class Quote(BaseModel):
    text: str = Field(max_length=2000)
    author: str = Field(max_length=200)
