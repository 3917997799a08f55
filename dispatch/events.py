"""The event publisher seam: services say what happened, the web layer tells the boards.

In-process now (Flask-SocketIO emits to its own clients); with Redis as the
Socket.IO message queue the same calls reach every web worker. A publish is a
notice, not the data: clients re-fetch over the API, so a lost notice costs a
refresh, never a wrong board.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

BOARD_ROOM = "board"


def driver_room(person_id: int) -> str:
    return f"driver:{person_id}"


def rider_room(person_id: int) -> str:
    return f"rider:{person_id}"


class EventPublisher(Protocol):
    def publish(self, name: str, data: dict[str, Any], rooms: Iterable[str]) -> None: ...


class NullPublisher:
    """Publishes nowhere: for the command line, where nobody is listening."""

    def publish(self, name: str, data: dict[str, Any], rooms: Iterable[str]) -> None:
        return None


@dataclass
class Notice:
    name: str
    data: dict[str, Any]
    rooms: tuple[str, ...]


@dataclass
class PendingNotices:
    """Notices collected during a unit of work, sent only after it commits."""

    notices: list[Notice] = field(default_factory=list)

    def add(self, name: str, data: dict[str, Any], rooms: Iterable[str]) -> None:
        self.notices.append(Notice(name, data, tuple(rooms)))

    def send(self, publisher: EventPublisher) -> None:
        for notice in self.notices:
            publisher.publish(notice.name, notice.data, notice.rooms)
        self.notices.clear()
