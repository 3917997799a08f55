"""Measure how fast the dispatcher's board renders a big day in headless Chromium.

Builds the Montgomery demo at 300 cars and 3,000 riders in a temporary SQLite
database (planned by the real solver with a short time limit), serves it, opens the
board in Debian's headless Chromium and reports, over a few loads:

- load-to-board: from navigation until the map and the car list are drawn
  (window.board.stats.renders >= 1), which includes fetching the data;
- render: the time the board's own rendering takes once the data is in
  (window.board.stats.lastRenderMs: lists, map, car markers, search);
- re-render: a refresh, as every live notice causes.

    .venv/bin/python scripts/bench_board.py [--riders 3000] [--cars 300] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "bench-board-only"
# Resolves after the browser has laid out and painted what the script drew, so a
# figure counts what the dispatcher sees, not only the JavaScript.
PAINTED = "() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)))"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--riders", type=int, default=3000)
    parser.add_argument("--cars", type=int, default=300)
    parser.add_argument("--time-limit", type=float, default=60, help="solver seconds per half-day")
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--database", help="reuse a database built by an earlier run")
    parser.add_argument("--password", default=PASSWORD, help="the demo password of --database")
    args = parser.parse_args()

    carpool = str(Path(sys.executable).with_name("carpool"))
    day = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARPOOL_")}
    env.update(CARPOOL_MAP_TILE_URL="", CARPOOL_SECRET_KEY="bench", CARPOOL_REDIS_URL="",
               CARPOOL_CLOCK_AT=f"{day}T07:00:00")  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="bench-board-"))
    database = args.database or f"sqlite:///{workdir / 'big.db'}"
    if not args.database:
        began = time.perf_counter()
        subprocess.run(
            [carpool, "demo", "--no-serve", "--database", database, "--demo-password", args.password,
             "--riders", str(args.riders), "--cars", str(args.cars), "--time-limit", str(args.time_limit),
             "--date", day],
            cwd=REPO, env=env, check=True,
        )  # fmt: skip
        print(f"built and planned the day in {time.perf_counter() - began:.0f} s: {database}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [carpool, "serve", "--database", database, "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as res:
                    if res.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
            context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
            login = context.request.post("/api/v1/session", data={"username": "dispatcher", "password": args.password})
            if not login.ok:
                raise SystemExit(f"cannot log in as the dispatcher: {login.status} {login.text()}")
            loads, renders, rerenders = [], [], []
            for _ in range(args.loads):
                page = context.new_page()
                began = time.perf_counter()
                page.goto(f"/board?date={day}&half=morning")
                page.wait_for_function("() => window.board && window.board.stats.renders >= 1", timeout=60_000)
                page.evaluate(PAINTED)
                loads.append(time.perf_counter() - began)
                renders.append(page.evaluate("() => window.board.stats.lastRenderMs") / 1000)
                began = time.perf_counter()
                page.evaluate("() => window.board.refresh()")
                page.evaluate(PAINTED)
                rerenders.append(time.perf_counter() - began)
                counts = page.evaluate("""() => ({
                    cars: document.querySelectorAll('#car-list .car').length,
                    stops: document.querySelectorAll('#car-list .stop').length,
                    paths: document.querySelectorAll('#map .leaflet-overlay-pane path').length,
                    riders: window.board.data.plan ? window.board.data.plan.requests : 0,
                })""")
                page.close()
            browser.close()
        print(f"board: {counts['cars']} cars, {counts['stops']} stops listed, {counts['paths']} map shapes, "
              f"{counts['riders']} riders")  # fmt: skip
        print(f"load-to-board (navigation, fetch, render): median {statistics.median(loads):.2f} s "
              f"(runs: {', '.join(f'{x:.2f}' for x in loads)})")  # fmt: skip
        print(f"render once the data is in: median {statistics.median(renders):.2f} s")
        print(f"refresh (fetch + render, as after a live notice): median {statistics.median(rerenders):.2f} s")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
