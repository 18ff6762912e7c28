"""Create or drop the benchmark's own PostgreSQL database. Runs in a baked PostgreSQL service's
environment, which has asyncpg (the template's own environment does not).

    python postgres_admin.py create|drop SERVER_URL NAME

SERVER_URL is a SQLAlchemy URL of a database the server already has (`postgres`).
"""

import asyncio
import sys

import asyncpg


async def main(action: str, server_url: str, name: str) -> None:
    connection = await asyncpg.connect(server_url.replace("+asyncpg", ""), timeout=5)
    try:
        if action == "create":
            await connection.execute(f'CREATE DATABASE "{name}"')
        else:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


if __name__ == "__main__":
    action, server_url, name = sys.argv[1:]
    asyncio.run(main(action, server_url, name))
