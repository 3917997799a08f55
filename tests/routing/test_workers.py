"""Worker processes are killed at their deadline, whatever OR-Tools is doing."""

from __future__ import annotations

import signal
import time

import routing.workers as workers
from routing.ortools_model import SubTask
from routing.workers import WorkerPool


def endless() -> SubTask:
    """Two riders, one car, guided local search and an hour to spend: it never stops on
    its own (ARCHITECTURE-NOTES §3), so only a kill ends it early."""
    travel = [[0, 3, 4, 5, 1, 1], [3, 0, 1, 2, 2, 2], [4, 1, 0, 1, 3, 3],
              [5, 2, 1, 0, 4, 4], [1, 2, 3, 4, 0, 0], [1, 2, 3, 4, 0, 0]]
    return SubTask(travel=travel, service=[0] * 6, lo=[0] * 6, hi=[1000] * 6,
                   seats=[1, -1, 1, -1, 0, 0], chairs=[0] * 6, limits=[None, None],
                   pinned=[None, None], shifts=[(0, 1000)], capacity=[4],
                   chair_capacity=[0], initial=[[0, 1, 2, 3]], penalty=10_000,
                   time_limit_s=3600.0)


def spy(monkeypatch) -> list:
    started = []

    class Recorded(workers._Worker):
        def __init__(self) -> None:
            super().__init__()
            started.append(self)

    monkeypatch.setattr(workers, "_Worker", Recorded)
    return started


def test_a_worker_still_searching_at_the_deadline_is_killed(monkeypatch):
    started = spy(monkeypatch)
    got = {}
    with WorkerPool(1) as pool:
        pool.run([endless()], time.monotonic() + 1.0, lambda k, result: got.update({k: result}))
        assert got == {0: None}  # no answer: the caller keeps the plan it has
        assert started[0].process.returncode == -signal.SIGKILL
        assert pool.idle == []  # a killed worker is never handed another task


def test_a_task_past_its_own_time_is_killed_before_the_pool_deadline(monkeypatch):
    started = spy(monkeypatch)
    monkeypatch.setattr(workers, "KILL_GRACE_S", 0.0)
    late = endless()
    late.deadline = time.monotonic() - 1.0  # its time was up before it was handed over
    got = {}
    with WorkerPool(1) as pool:
        pool.run([late], time.monotonic() + 3600, lambda k, result: got.update({k: result}))
    assert got == {0: None}
    assert started[0].process.returncode == -signal.SIGKILL
