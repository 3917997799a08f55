"""The `carpool` command: run the demo, serve the app, migrate, plan, solve, add users."""

from __future__ import annotations

import datetime as dt
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url
from tqdm import tqdm

from dispatch.errors import DispatchError
from dispatch.settings import Settings, load_config_mapping

DEMO_DATABASE_URL = "sqlite:///var/demo.db"


def _settings(database_url: str | None = None) -> Settings:
    values = load_config_mapping()
    if database_url:
        values["DATABASE_URL"] = database_url
    return Settings.from_mapping(values)


def _engine_with_schema(url: str) -> Any:
    """An engine for ``url``, or a clear error when that database has no carpool tables yet
    (a new user's first `carpool plan` would otherwise end in an SQL traceback)."""
    from sqlalchemy import inspect

    from dispatch.db import make_engine

    engine = make_engine(url)
    try:
        ready = inspect(engine).has_table("plan")
    except Exception:
        engine.dispose()
        raise
    if not ready:
        engine.dispose()
        raise click.ClickException(
            f"the database {make_url(url).render_as_string(hide_password=True)} has no carpool "
            f"tables yet: run `carpool db upgrade` first (the demo's data is in "
            f"{DEMO_DATABASE_URL}: add --database {DEMO_DATABASE_URL})"
        )
    return engine


def _parse_date(_ctx: Any, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}", param=param) from None


@contextmanager
def solve_progress_bar(label: str) -> Iterator[Callable[[Any], None]]:
    """A terminal progress bar fed by the solver's progress hook."""
    bar = tqdm(total=None, desc=label, unit="rider", file=sys.stderr, dynamic_ncols=True, leave=True)

    def on_progress(progress: Any) -> None:
        if bar.total != progress.requests:
            bar.total = progress.requests
        bar.n = progress.placed
        hours, rest = divmod(int(progress.best_drive_s or 0), 3600)
        bar.set_postfix_str(f"drive {hours} h {rest // 60:02d} min, {progress.time_left_s:.0f} s left", refresh=False)
        bar.refresh()

    try:
        yield on_progress
    finally:
        bar.close()


@click.group()
def main() -> None:
    """Carpool dispatch: bookings, routing and a live board for community transport."""


# -- database -----------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.option("--database", "database_url", help="Database URL (default: DATABASE_URL from config).")
def db_upgrade(database_url: str | None) -> None:
    """Create or migrate the database schema to the latest version."""
    from dispatch.migrate import upgrade

    url = _settings(database_url).DATABASE_URL
    upgrade(url)
    click.echo(f"database at {make_url(url).render_as_string(hide_password=True)} is up to date")


# -- planning -----------------------------------------------------------------------------


@main.command("plan")
@click.option("--date", "service_date", required=True, callback=_parse_date, help="YYYY-MM-DD")
@click.option("--half", type=click.Choice(["morning", "evening"]), required=True)
@click.option("--time-limit", type=click.FloatRange(min=0.1, max=3600), help="Seconds to search.")
@click.option("--database", "database_url", help="Database URL (default: DATABASE_URL from config).")
def plan_command(service_date: dt.date, half: str, time_limit: float | None, database_url: str | None) -> None:
    """Plan the routes for one date and half-day from the stored bookings."""
    from dispatch.db import make_session_factory
    from dispatch.services.solving import make_plan

    settings = _settings(database_url)
    engine = _engine_with_schema(settings.DATABASE_URL)
    try:
        with solve_progress_bar(f"{service_date} {half}") as on_progress:
            outcome = make_plan(
                make_session_factory(engine), service_date, half, settings,
                time_limit_s=time_limit, progress=on_progress,
            )  # fmt: skip
    except DispatchError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    s = outcome.summary
    click.echo(
        f"plan {outcome.plan_id}: {s.served} of {s.requests} riders have a car; "
        f"{s.drive_s // 3600} h {s.drive_s % 3600 // 60:02d} min of driving"
    )


def _register_solve() -> None:
    from routing.cli import solve_command

    main.add_command(solve_command, "solve")


_register_solve()


# -- users --------------------------------------------------------------------------------


@main.group("user")
def user_group() -> None:
    """Accounts."""


@user_group.command("add")
@click.argument("username")
@click.option("--name", required=True, help="Full name as shown to dispatchers.")
@click.option("--role", type=click.Choice(["rider", "driver", "dispatcher", "admin"]), required=True)
@click.option("--password", help="Leave out to be asked (not echoed).")
@click.option("--no-password", is_flag=True, help="A rider who phones in and never logs in.")
@click.option("--database", "database_url", help="Database URL (default: DATABASE_URL from config).")
def user_add(
    username: str, name: str, role: str, password: str | None, no_password: bool, database_url: str | None
) -> None:
    """Add a person who can log in (or a rider who cannot)."""
    from dispatch.db import make_session_factory, unit_of_work
    from dispatch.services.accounts import create_person

    if not no_password and password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = _engine_with_schema(_settings(database_url).DATABASE_URL)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            create_person(
                session, username=username, name=name, role=role,
                password=None if no_password else password,
            )  # fmt: skip
    except DispatchError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(f"added {role} {username}")


# -- privacy ------------------------------------------------------------------------------


@main.group("privacy")
def privacy_group() -> None:
    """Personal data housekeeping."""


def _forget_homes(database_url: str, days: int) -> tuple[int, int]:
    from dispatch.db import make_session_factory, unit_of_work
    from dispatch.services.privacy import forget_old_homes

    engine = _engine_with_schema(database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            counts = forget_old_homes(session, dt.date.today() - dt.timedelta(days=days))
    finally:
        engine.dispose()
    return counts.stops, counts.routes


@privacy_group.command("forget-homes")
@click.option(
    "--days", type=click.IntRange(min=0), help="Keep homes this many days (default: FORGET_HOMES_AFTER_DAYS)."
)
@click.option("--database", "database_url", help="Database URL (default: DATABASE_URL from config).")
def forget_homes_command(days: int | None, database_url: str | None) -> None:
    """Remove home coordinates from plans older than the retention period (stations stay)."""
    settings = _settings(database_url)
    days = int(settings.FORGET_HOMES_AFTER_DAYS) if days is None else days
    stops, routes = _forget_homes(settings.DATABASE_URL, days)
    click.echo(f"forgot {stops} home stops and {routes} home starts in plans older than {days} days")


# -- serving ------------------------------------------------------------------------------


def _serve(app: Any, host: str, port: int) -> None:
    from web.extensions import socketio

    # The development server is fine for one machine; allow_unsafe_werkzeug is
    # needed because it refuses to start without a terminal otherwise.
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False)


@main.command("serve")
@click.option("--host", help="Address to listen on (default: HOST from config).")
@click.option("--port", type=int, help="Port (default: PORT from config).")
@click.option("--database", "database_url", help="Database URL (default: DATABASE_URL from config).")
def serve_command(host: str | None, port: int | None, database_url: str | None) -> None:
    """Serve the web app (board, driver and rider pages, API)."""
    from dispatch.migrate import upgrade
    from web import create_app

    settings = _settings(database_url)
    upgrade(settings.DATABASE_URL)
    # Each start is a chance to forget what is no longer needed.
    _forget_homes(settings.DATABASE_URL, int(settings.FORGET_HOMES_AFTER_DAYS))
    app = create_app({"DATABASE_URL": settings.DATABASE_URL})
    host = host or settings.HOST
    port = port or settings.PORT
    click.echo(f"serving on http://{host}:{port}/")
    _serve(app, host, port)


# -- the demo -----------------------------------------------------------------------------


@main.command("demo")
@click.option("--riders", type=click.IntRange(min=1, max=20000), default=60, show_default=True)
@click.option("--cars", type=click.IntRange(min=1, max=2000), default=12, show_default=True)
@click.option("--seed", type=int, default=1955, show_default=True)
@click.option("--demo-password", help="Password for every demo account (default: random, printed).")
@click.option("--date", "service_date", callback=_parse_date,
              help="Day to plan (default: tomorrow, or Monday when tomorrow is a weekend).")
@click.option("--time-limit", type=click.FloatRange(min=0.1, max=3600), default=15.0, show_default=True,
              help="Seconds the solver may search per half-day.")  # fmt: skip
@click.option("--database", "database_url", default=DEMO_DATABASE_URL, show_default=True,
              help="A SQLite file here is replaced by a fresh one.")  # fmt: skip
@click.option("--host", help="Address to listen on (default: HOST from config).")
@click.option("--port", type=int, help="Port (default: PORT from config).")
@click.option("--no-serve", is_flag=True, help="Load and plan, then exit.")
def demo_command(
    riders: int, cars: int, seed: int, demo_password: str | None, service_date: dt.date | None,
    time_limit: float, database_url: str, host: str | None, port: int | None, no_serve: bool,
) -> None:  # fmt: skip
    """Load the Montgomery demo, plan the next weekday's routes, and serve the board."""
    from data.demo import generate_demo
    from dispatch.db import make_engine, make_session_factory, unit_of_work
    from dispatch.migrate import upgrade
    from dispatch.services.demo import load_demo, next_service_day
    from dispatch.services.solving import make_plan

    if demo_password is not None and len(demo_password) < 8:
        raise click.BadParameter("must be at least 8 characters", param_hint="--demo-password")
    password = demo_password or secrets.token_urlsafe(9)
    service_date = service_date or next_service_day(dt.date.today())
    settings = _settings(database_url)

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database)
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
    upgrade(database_url)

    world = generate_demo(riders=riders, cars=cars, seed=seed)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    total = len(world.people) + 2 + len(world.places) + len(world.vehicles) + len(world.bookings)
    try:
        with tqdm(total=total, desc="loading the Montgomery demo", unit="row", file=sys.stderr) as bar:
            with unit_of_work(factory) as session:
                accounts = load_demo(
                    session, world, password=password,
                    # Bookings start today so that today can be planned too.
                    start_date=min(dt.date.today(), service_date), tick=bar.update,
                )  # fmt: skip
        for half in ("morning", "evening"):
            with solve_progress_bar(f"planning {service_date} {half}") as on_progress:
                outcome = make_plan(
                    factory, service_date, half, settings, time_limit_s=time_limit, progress=on_progress
                )
            s = outcome.summary
            click.echo(f"  {half}: {s.served} of {s.requests} riders have a car")
    except DispatchError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()

    host = host or settings.HOST
    port = port or settings.PORT
    base = f"http://{host}:{port}"
    click.echo("")
    click.echo(f"The Montgomery demo is ready: {riders} riders, {cars} cars, planned for {service_date}.")
    click.echo(f"  Board (dispatchers):  {base}/board")
    click.echo(f"  Driver's route:       {base}/driver")
    click.echo(f"  Rider's page:         {base}/rider")
    click.echo(f"  Log in at {base}/login as:")
    click.echo("    admin, dispatcher")
    drivers = accounts.drivers
    click.echo(f"    {drivers[0]} ... {drivers[-1]} (one per car)" if len(drivers) > 1 else f"    {drivers[0]}")
    ridernames = accounts.riders
    click.echo(f"    {ridernames[0]} ... {ridernames[-1]}" if len(ridernames) > 1 else f"    {ridernames[0]}")
    click.echo(f"  Password for every demo account: {password}")
    if no_serve:
        return
    from web import create_app

    app = create_app({"DATABASE_URL": database_url})
    click.echo(f"Serving on {base}/ (Ctrl+C to stop)")
    _serve(app, host, port)
