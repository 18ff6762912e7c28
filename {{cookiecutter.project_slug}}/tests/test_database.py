import pytest
from sqlalchemy.engine.interfaces import DBAPIConnection

from {{ cookiecutter.package_name }}.infra.database import close_database, open_database, ping
from {{ cookiecutter.package_name }}.settings import Settings


async def test_connections_are_tested_before_use_only_where_they_can_go_stale(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server can drop an idle connection, so each one is tested before it is lent out. A
    SQLite file cannot, and there the test is pure cost: four extra hops to aiosqlite's thread
    on every request, which made a read by primary key take half again as long."""
    database = await open_database(settings)
    dialect = database.engine.dialect
    tested = 0
    do_ping = dialect.do_ping

    def counting_ping(dbapi_connection: DBAPIConnection) -> bool:
        nonlocal tested
        tested += 1
        return do_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counting_ping)
    try:
        # The pool skips the test on a connection it has just opened: borrow it twice.
        await ping(database)
        await ping(database)
    finally:
        await close_database(database)
    assert (tested > 0) is (dialect.name == "postgresql"), f"{tested} tests on {dialect.name}"
