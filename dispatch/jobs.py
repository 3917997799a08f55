"""The job runner seam: long work (a solve) runs outside the web request.

`LocalProcessRunner` is the embedded default: each job runs in its own
spawned process (never forked from the threaded web server, which can
deadlock the child), reports progress over a multiprocessing queue, and is
killed by a watchdog if it overruns. A queue-backed runner (RQ on Redis) can
take its place without the callers changing: they only `submit(job_id)`.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing as mp
import os
import queue as queue_mod
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from dispatch.db import make_engine, make_session_factory, unit_of_work
from dispatch.events import BOARD_ROOM, EventPublisher
from dispatch.models import Job, JobStatus
from dispatch.settings import Settings

log = logging.getLogger(__name__)

# OR-Tools on big models spends most of its time in page faults with glibc's
# default allocator thresholds (measured; see ARCHITECTURE-NOTES section 10).
SOLVER_MALLOC_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(256 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(512 * 1024 * 1024),
    "MALLOC_TOP_PAD_": str(256 * 1024 * 1024),
}
# Spawning a process and importing OR-Tools takes a few seconds.
WATCHDOG_GRACE_S = 30.0


class JobRunner(Protocol):
    def submit(self, job_id: int) -> None: ...


def create_job(session: Session, kind: str, params: dict[str, Any], created_by_id: int | None) -> Job:
    job = Job(kind=kind, status=JobStatus.QUEUED, params=params, created_by_id=created_by_id)
    session.add(job)
    session.flush()
    return job


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def run_plan_job(job_id: int, settings_values: dict[str, Any], messages: Any) -> None:
    """Body of a plan job, in its own process: solve, store, report on `messages`."""
    from dispatch.services.solving import make_plan
    from routing.solver import SolveProgress

    settings = Settings.from_mapping(settings_values)
    engine = make_engine(settings.DATABASE_URL)
    factory = make_session_factory(engine)
    try:
        with unit_of_work(factory) as session:
            job = session.get(Job, job_id)
            assert job is not None, f"job {job_id} vanished"
            job.status = JobStatus.RUNNING
            params = dict(job.params)
            created_by_id = job.created_by_id
        service_date = dt.date.fromisoformat(params["date"])

        def on_progress(progress: SolveProgress) -> None:
            messages.put(
                (
                    "solve_progress",
                    {
                        "job_id": job_id,
                        "date": params["date"],
                        "half": params["half"],
                        "placed": progress.placed,
                        "requests": progress.requests,
                        "best_drive_s": progress.best_drive_s,
                        "elapsed_s": round(progress.elapsed_s, 1),
                        "time_left_s": round(progress.time_left_s, 1),
                    },
                )
            )

        outcome = make_plan(
            factory,
            service_date,
            params["half"],
            settings,
            time_limit_s=params.get("time_limit_s"),
            created_by_id=created_by_id,
            progress=on_progress,
            draft=bool(params.get("draft")),
        )
        with unit_of_work(factory) as session:
            job = session.get(Job, job_id)
            assert job is not None
            job.status = JobStatus.DONE
            job.plan_id = outcome.plan_id
            job.finished_at = _now()
        for notice in outcome.notices.notices:
            messages.put(("notice", (notice.name, notice.data, notice.rooms)))
        messages.put(("done", {"plan_id": outcome.plan_id}))
    except Exception as exc:  # the job's failure is reported, not swallowed
        messages.put(("failed", {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}))
    finally:
        engine.dispose()


class LocalProcessRunner:
    """Runs each job in a spawned child process and relays what it reports.

    A relay thread per job stores progress on the job row (so a board that
    reconnects can catch up) and publishes it; if the child dies or overruns
    its time limit, the job is marked failed in words a volunteer understands.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        publisher: EventPublisher,
        start_thread: Callable[..., Any] | None = None,
    ) -> None:
        self._factory = factory
        self._settings = settings
        self._publisher = publisher
        self._start_thread = start_thread or self._plain_thread
        self._context = mp.get_context("spawn")
        self._lock = threading.Lock()
        self._processes: dict[int, Any] = {}

    @staticmethod
    def _plain_thread(target: Callable[..., Any], *args: Any) -> Any:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        return thread

    def submit(self, job_id: int) -> None:
        with unit_of_work(self._factory) as session:
            job = session.get(Job, job_id)
            assert job is not None
            time_limit = float(job.params.get("time_limit_s") or self._settings.SOLVER_TIME_LIMIT_S)
        messages = self._context.Queue()
        saved = {k: os.environ.get(k) for k in SOLVER_MALLOC_ENV}
        os.environ.update(SOLVER_MALLOC_ENV)  # inherited by the spawned child only
        try:
            process = self._context.Process(
                target=run_plan_job,
                args=(job_id, self._settings.as_dict(), messages),
                name=f"carpool-job-{job_id}",
                daemon=True,
            )
            process.start()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        with self._lock:
            self._processes[job_id] = process
        deadline = time.monotonic() + time_limit * 1.05 + WATCHDOG_GRACE_S
        self._start_thread(self._relay, job_id, process, messages, deadline)

    def wait(self, job_id: int, timeout: float | None = None) -> None:
        """Block until the job's process has ended (for the command line and tests)."""
        with self._lock:
            process = self._processes.get(job_id)
        if process is not None:
            process.join(timeout)

    def _relay(self, job_id: int, process: Any, messages: Any, deadline: float) -> None:
        finished = False
        while not finished:
            try:
                kind, payload = messages.get(timeout=0.25)
            except queue_mod.Empty:
                if not process.is_alive():
                    # Drain anything sent just before the exit.
                    try:
                        kind, payload = messages.get(timeout=0.5)
                    except queue_mod.Empty:
                        self._fail(job_id, "the planner stopped unexpectedly; please try again")
                        break
                elif time.monotonic() > deadline:
                    process.terminate()
                    self._fail(job_id, "the planner took too long and was stopped; try a shorter time limit")
                    break
                else:
                    continue
            if kind == "solve_progress":
                self._store_progress(job_id, payload)
                self._publisher.publish("solve_progress", payload, [BOARD_ROOM])
            elif kind == "notice":
                name, data, rooms = payload
                self._publisher.publish(name, data, rooms)
            elif kind == "done":
                self._publisher.publish(
                    "job_finished",
                    {"job_id": job_id, "status": "done", "plan_id": payload["plan_id"], "error": None},
                    [BOARD_ROOM],
                )
                finished = True
            elif kind == "failed":
                log.error("job %s failed:\n%s", job_id, payload.get("trace"))
                self._fail(job_id, _plain_words(payload["error"]))
                finished = True
        process.join(5)
        with self._lock:
            self._processes.pop(job_id, None)

    def _store_progress(self, job_id: int, progress: dict[str, Any]) -> None:
        with unit_of_work(self._factory) as session:
            job = session.get(Job, job_id)
            if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
                job.progress = progress

    def _fail(self, job_id: int, error: str) -> None:
        with unit_of_work(self._factory) as session:
            job = session.get(Job, job_id)
            if job is not None and job.status != JobStatus.DONE:
                job.status = JobStatus.FAILED
                job.error = error
                job.finished_at = _now()
        self._publisher.publish(
            "job_finished",
            {"job_id": job_id, "status": "failed", "plan_id": None, "error": error},
            [BOARD_ROOM],
        )


def _plain_words(error: str) -> str:
    if "ProblemError" in error:
        return "the bookings could not be turned into a plan: " + error.split(":", 1)[1].strip()
    return "planning failed: " + error
