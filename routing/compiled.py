"""Is the compiled search (:mod:`routing.lns`) ready, without importing Numba to find out?

Numba compiles :mod:`routing.lns` on first use (about 20 s on two cores) and caches the
machine code in ``routing/__pycache__``. A solve must keep its time limit, so it uses the
compiled search only once a warm-up (``python -m routing.lns``, run by the set-up scripts)
has finished and left a marker keyed by the module's source and Numba's version; until
then it improves plans with OR-Tools and starts the warm-up in the background, once.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_SOURCE = Path(__file__).with_name("lns.py")
_started = False


def marker() -> Path:
    """The file whose presence says the compiled code of this very source is cached."""
    try:
        numba = version("numba")
    except PackageNotFoundError:
        numba = "missing"
    key = hashlib.sha256(_SOURCE.read_bytes() + numba.encode()).hexdigest()[:16]
    return _SOURCE.with_name("__pycache__") / f"lns-{key}.ready"


def ready() -> bool:
    return marker().exists()


def mark_ready() -> None:
    """Called after a successful warm-up; silently skipped where the folder is read-only
    (the solver then keeps to OR-Tools)."""
    path = marker()
    try:
        path.parent.mkdir(exist_ok=True)
        path.touch()
    except OSError:
        pass


def warm_up_in_background() -> None:
    """Compile in a detached process, at most once per process."""
    global _started
    if _started:
        return
    _started = True
    root = str(_SOURCE.parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    try:
        subprocess.Popen([sys.executable, "-m", "routing.lns"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                         start_new_session=True)
    except OSError:
        pass
