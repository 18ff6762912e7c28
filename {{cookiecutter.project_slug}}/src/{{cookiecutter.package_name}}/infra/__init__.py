"""The await-only I/O layer: every public function here is `async def` and must be awaited."""
