"""Waiting for what another connection brings: messages arriving, a consumer catching up."""

import asyncio
from collections.abc import Awaitable, Callable

# The longest a test waits before it fails.
PATIENCE = 60.0


async def eventually(condition: Callable[[], Awaitable[bool]]) -> bool:
    """Whether `condition` comes to hold within PATIENCE seconds; fails the test otherwise."""
    async with asyncio.timeout(PATIENCE):
        # Polled: the state is filled by callbacks of other clients, which signal nothing.
        while not await condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return True
