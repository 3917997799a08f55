"""Solver worker processes that can be killed at a deadline.

OR-Tools can overrun its time limit (ARCHITECTURE-NOTES §3), so sub-problems are solved in
child processes and the parent kills any child that is still busy when its task's time is
up; the parent keeps the best plan it already has. Children are started with
``subprocess`` rather than ``multiprocessing`` because ``solve`` itself may run inside a
daemonic job process, which ``multiprocessing`` forbids to have children, and because the
glibc allocator settings must be in the environment before the child starts.

The child runs :mod:`routing._worker`. Protocol: the parent writes a length-prefixed
pickle of a :class:`SubTask` to the child's stdin; the child answers with a
length-prefixed pickle of a :class:`SubResult` on stdout.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import selectors
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

#: glibc's allocator crippled OR-Tools on big models (ARCHITECTURE-NOTES §10): raise the
#: thresholds in every solver process.
MALLOC_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(256 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(512 * 1024 * 1024),
    "MALLOC_TOP_PAD_": str(256 * 1024 * 1024),
}
#: How long past its own time limit a task may run before its process is killed.
KILL_GRACE_S = 0.5
_HEADER = struct.Struct("!Q")


def send(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


class _Worker:
    def __init__(self) -> None:
        env = {**os.environ, **MALLOC_ENV}
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "routing._worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=env, close_fds=True)
        self.task_id: int | None = None
        self.kill_at = 0.0

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class WorkerPool:
    """Up to ``size`` child processes, started when first needed and reused between tasks."""

    def __init__(self, size: int):
        self.size = max(1, size)
        self.idle: list[_Worker] = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def prestart(self, count: int | None = None) -> None:
        """Start up to ``count`` (default: ``size``) workers now, so that they import
        OR-Tools while the caller builds its first plan."""
        while len(self.idle) < min(self.size, self.size if count is None else count):
            self.idle.append(_Worker())

    def close(self) -> None:
        for worker in self.idle:
            worker.kill()
        self.idle = []

    def run(self, tasks: Sequence[Any], deadline: float,
            on_result: Callable[[int, Any], None],
            on_tick: Callable[[], None] | None = None) -> None:
        """Solve ``tasks`` (each with a ``time_limit_s``), ``size`` at a time. Calls
        ``on_result(index, result)`` as each finishes; a task killed at its time (or at
        ``deadline``) gives ``None``; ``on_tick()`` about once a second while waiting (so a
        progress line can count down). Returns when all are done or ``deadline`` is
        reached."""
        pending = list(range(len(tasks)))
        busy: dict[int, _Worker] = {}  # fd -> worker
        selector = selectors.DefaultSelector()
        try:
            while pending or busy:
                now = time.monotonic()
                while pending and len(busy) < self.size and now < deadline:
                    k = pending.pop(0)
                    task = tasks[k]
                    if getattr(task, "deadline", False) is None:
                        # Its time runs from now, in the worker's clock as in ours (the
                        # monotonic clock is the machine's): time the worker takes to start
                        # comes out of the search, never out of the caller's limit.
                        task = dataclasses.replace(task, deadline=now + task.time_limit_s)
                    worker = self.idle.pop() if self.idle else _Worker()
                    try:
                        send(worker.process.stdin, task)  # type: ignore[arg-type]
                    except (BrokenPipeError, OSError):  # it died while idle: a fresh one
                        worker.kill()
                        worker = _Worker()
                        try:
                            send(worker.process.stdin, task)  # type: ignore[arg-type]
                        except BaseException:
                            worker.kill()
                            raise
                    except BaseException:
                        worker.kill()
                        raise
                    worker.task_id = k
                    worker.kill_at = min(deadline, task.ends_at(now) + KILL_GRACE_S)
                    fd = worker.process.stdout.fileno()  # type: ignore[union-attr]
                    busy[fd] = worker
                    selector.register(fd, selectors.EVENT_READ)
                if not busy:
                    break
                wait = max(0.0, min(w.kill_at for w in busy.values()) - time.monotonic())
                if on_tick is not None:
                    wait = min(wait, 1.0)
                for key, _ in selector.select(timeout=wait):
                    worker = busy.pop(key.fd)  # type: ignore[arg-type]
                    selector.unregister(key.fd)
                    try:
                        result = receive(worker.process.stdout)  # type: ignore[arg-type]
                    except (EOFError, OSError, pickle.UnpicklingError):
                        worker.kill()
                        result = None
                    else:
                        self.idle.append(worker)
                    on_result(worker.task_id, result)  # type: ignore[arg-type]
                if on_tick is not None:
                    on_tick()
                now = time.monotonic()
                for fd, worker in list(busy.items()):
                    if now >= worker.kill_at:
                        selector.unregister(fd)
                        del busy[fd]
                        worker.kill()
                        on_result(worker.task_id, None)  # type: ignore[arg-type]
        finally:
            for fd, worker in busy.items():
                selector.unregister(fd)
                worker.kill()
            selector.close()
