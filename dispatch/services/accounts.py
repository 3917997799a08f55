"""People and their logins."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from dispatch.errors import Conflict, InvalidInput
from dispatch.models import Person, Role

# A hash to compare against when the username is unknown, so that a wrong
# username takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password")


def create_person(
    session: Session,
    *,
    username: str,
    name: str,
    role: Role | str,
    password: str | None = None,
    phone: str | None = None,
) -> Person:
    """Add a person; with no password they cannot log in (a rider who phones in)."""
    problems: dict[str, str] = {}
    username = username.strip()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        problems["username"] = "must be 1 to 80 characters with no spaces"
    if not name.strip() or len(name) > 120:
        problems["name"] = "must be 1 to 120 characters"
    try:
        role = Role(role)
    except ValueError:
        problems["role"] = "must be one of " + ", ".join(r.value for r in Role)
    if password is not None and len(password) < 8:
        problems["password"] = "must be at least 8 characters"
    if problems:
        raise InvalidInput(problems)
    if session.scalar(select(Person.id).where(Person.username == username)) is not None:
        raise Conflict(f"the username {username!r} is taken")
    person = Person(
        username=username,
        name=name.strip(),
        role=Role(role),
        password_hash=generate_password_hash(password) if password else None,
        phone=phone,
    )
    session.add(person)
    session.flush()
    return person


def authenticate(session: Session, username: str, password: str) -> Person | None:
    """The active person with this username and password, or None."""
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None or person.password_hash is None or not person.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return person if check_password_hash(person.password_hash, password) else None
