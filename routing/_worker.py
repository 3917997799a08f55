"""The worker process's loop (run as ``python -m routing._worker`` by :mod:`routing.workers`):
read a task, solve it, write the result, until stdin closes."""

from __future__ import annotations

import sys

from routing.ortools_model import solve_task
from routing.workers import receive, send


def main() -> None:
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the result stream
    while True:
        try:
            task = receive(source)
        except EOFError:
            return
        send(sink, solve_task(task))


if __name__ == "__main__":
    main()
