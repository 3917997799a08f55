"""Socket.IO: who may connect, which rooms they join, and the one way events go out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_login import current_user
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

from dispatch.events import BOARD_ROOM, driver_room, rider_room
from dispatch.models import Role
from web.database import close_db
from web.extensions import socketio


class SocketIOPublisher:
    """The event publisher for the web app: every emit goes through here.

    With a Redis message queue configured on the SocketIO object, the same
    emit reaches the clients of every web worker.
    """

    def __init__(self, server: SocketIO) -> None:
        self._server = server

    def publish(self, name: str, data: dict[str, Any], rooms: Iterable[str]) -> None:
        rooms = list(dict.fromkeys(rooms))
        if rooms:
            self._server.emit(name, data, to=rooms)


def rooms_for(role: str, person_id: int) -> list[str]:
    """Rooms come from the server's idea of who you are, never from the client."""
    if role in (Role.DISPATCHER.value, Role.ADMIN.value):
        return [BOARD_ROOM]
    if role == Role.DRIVER.value:
        return [driver_room(person_id)]
    return [rider_room(person_id)]


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    """Refuse anyone not logged in; put the rest in their rooms."""
    try:
        if not current_user.is_authenticated:
            raise ConnectionRefusedError("log in first")
        for room in rooms_for(current_user.role, current_user.id):
            join_room(room)
    finally:
        close_db()  # Socket.IO handlers run no teardown
