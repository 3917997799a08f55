"""The migrations build exactly the schema the models describe, on each backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from dispatch.db import make_engine
from dispatch.migrate import downgrade, upgrade
from dispatch.models import Base, Person, Place, PlaceKind, Role


def test_upgrade_builds_the_models_schema(any_database_url: str) -> None:
    upgrade(any_database_url)
    engine = make_engine(any_database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert set(Base.metadata.tables) <= tables


def test_downgrade_removes_every_table(any_database_url: str) -> None:
    upgrade(any_database_url)
    downgrade(any_database_url, "base")
    engine = make_engine(any_database_url)
    with engine.connect() as conn:
        left = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert left == set()


def test_upgrade_twice_is_harmless(any_database_url: str) -> None:
    upgrade(any_database_url)
    upgrade(any_database_url)


def test_foreign_keys_are_enforced(factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        session.add(Place(name="Nowhere", kind=PlaceKind.HOME, lat=32.0, lon=-86.0, owner_id=999))
        with pytest.raises(IntegrityError):
            session.flush()


def test_check_constraints_guard_coordinates(factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        session.add(Place(name="Off the map", kind=PlaceKind.PICKUP, lat=132.0, lon=-86.0))
        with pytest.raises(IntegrityError):
            session.flush()


def test_usernames_are_unique(factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        session.add(Person(username="mary", name="Mary", role=Role.RIDER))
        session.add(Person(username="mary", name="Mary Two", role=Role.RIDER))
        with pytest.raises(IntegrityError):
            session.flush()


def test_sqlite_runs_with_foreign_keys_wal_and_busy_timeout(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()


def test_plan_statuses_are_checked_after_every_migration(any_database_url: str) -> None:
    from sqlalchemy import text

    upgrade(any_database_url)
    engine = make_engine(any_database_url)
    insert = (
        "INSERT INTO plan (service_date, half, status, requests, served, drive_s, distance_m,"
        " solve_s, created_at) VALUES ('2026-12-04', 'morning', :status, 0, 0, 0, 0, 0,"
        " '2026-12-01 00:00:00')"
    )
    with engine.begin() as conn:
        conn.execute(text(insert), {"status": "draft"})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(insert), {"status": "imaginary"})
    engine.dispose()
