"""An upstream that answers every request after a fixed delay, on 127.0.0.1.

It speaks just enough HTTP/1.1 (keep-alive, GET without a body) for the generated service's
quotes client, so the benchmark measures how well the service overlaps its waiting and not how
fast the stub is. Usage: python upstream_stub.py --port PORT [--delay SECONDS]
"""

import argparse
import asyncio
import contextlib
import json

try:  # the same event loop as the servers under test, when it is installed
    from uvloop import run as run_loop
except ImportError:
    from asyncio import run as run_loop

BODY = json.dumps({"text": "Simple is better than complex.", "author": "Tim Peters"}).encode()
RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    + f"content-length: {len(BODY)}\r\n\r\n".encode()
    + BODY
)


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Answer each request on one connection after `delay`, until the client hangs up."""
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
        while True:
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(delay)
            writer.write(RESPONSE)
            await writer.drain()
    writer.close()


async def serve(port: int, delay: float) -> None:
    server = await asyncio.start_server(
        lambda reader, writer: answer(reader, writer, delay), "127.0.0.1", port, backlog=1024
    )
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds before each answer")
    arguments = parser.parse_args()
    run_loop(serve(arguments.port, arguments.delay))


if __name__ == "__main__":
    main()
