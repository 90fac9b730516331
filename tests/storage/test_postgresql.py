"""What only the PostgreSQL backend must do: survive broken connections, refuse unsafe
settings, keep its schema under migrations."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from ipledger.log import TreeAppender
from ipledger.storage.base import StorageError
from ipledger.storage.postgresql import PostgreSQLStore
from tests.storage.test_conformance import batch_of, state_of


@pytest.fixture
def store(postgres_dsn: str) -> Iterator[PostgreSQLStore]:
    opened = PostgreSQLStore(postgres_dsn)
    yield opened
    opened.close()


def admin(dsn: str, sql: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def terminate_other_backends(dsn: str) -> int:
    """Kill every ipledger connection to the test database (as a server restart would)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'ipledger'"
        ).fetchall()
    return len(rows)


def test_reads_and_writes_survive_killed_connections(store: PostgreSQLStore,
                                                     postgres_dsn: str) -> None:
    tree = TreeAppender()
    store.append(batch_of(tree, 0, 10))
    assert store.tree_size() == 10  # opens this thread's reader
    assert terminate_other_backends(postgres_dsn) >= 2  # the writer and the reader
    assert store.tree_size() == 10  # the reader reconnects
    store.append(batch_of(tree, 10, 5))  # the writer reconnects; the batch lands once
    assert store.tree_size() == 15
    assert store.read_entries(10, 15) == [b"entry-%d" % i for i in range(10, 15)]


def test_a_connection_killed_mid_batch_loses_nothing_and_heals(store: PostgreSQLStore,
                                                              postgres_dsn: str) -> None:
    tree = TreeAppender()
    store.append(batch_of(tree, 0, 3, state=state_of({"a/1": b"1"}, root=b"1" * 32)))
    # The server kills the writer's own connection in the middle of the batch's
    # transaction (after the entries, at the state root), every time.
    admin(postgres_dsn, """
        CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$;
        CREATE TRIGGER die BEFORE INSERT ON state_roots FOR EACH ROW EXECUTE FUNCTION die();
    """)
    doomed = batch_of(tree.clone(), 3, 4, state=state_of({"a/2": b"2"}, root=b"2" * 32))
    with pytest.raises(StorageError, match="append failed"):
        store.append(doomed)
    assert store.tree_size() == 3  # reads go on, and nothing of the batch is there
    assert store.record_ids("a/") == ["a/1"]
    with pytest.raises(StorageError):
        store.read_entries(3, 4)
    admin(postgres_dsn, "DROP TRIGGER die ON state_roots")  # the fault clears
    store.append(doomed)
    assert store.tree_size() == 7
    assert store.record_ids("a/") == ["a/1", "a/2"]


def test_asynchronous_commit_is_refused(postgres_dsn: str) -> None:
    name = postgres_dsn.rsplit("/", 1)[1]
    admin(postgres_dsn, f"ALTER DATABASE {name} SET synchronous_commit = off")
    with pytest.raises(StorageError, match="synchronous_commit=off"):
        PostgreSQLStore(postgres_dsn)


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(StorageError, match="cannot open PostgreSQL store"):
        PostgreSQLStore("postgresql://nobody@127.0.0.1:1/none", connect_timeout=2)


def test_migrations_run_once_and_concurrently_safe(postgres_dsn: str) -> None:
    stores = [PostgreSQLStore(postgres_dsn) for _ in range(3)]
    assert {s.schema_version for s in stores} == {PostgreSQLStore.MIGRATIONS[-1][0]}
    with psycopg.connect(postgres_dsn) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        collation = conn.execute(
            "SELECT collation_name FROM information_schema.columns "
            "WHERE table_name = 'records' AND column_name = 'id'").fetchone()
    assert {"entries", "tiles", "records", "record_versions", "state_nodes"} <= tables
    assert collation == ("C",)
    for s in stores:
        s.close()
