"""People and their logins."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from dispatch.errors import Conflict, Forbidden, InvalidInput, NotFound
from dispatch.models import Invite, Person, Role

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


INVITE_DAYS = 7


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(session: Session, *, role: Role | str, created_by: Person) -> str:
    """A one-time invitation token for a new dispatcher or driver (admins only).

    Only a hash is stored: a leaked database does not leak working invitations.
    """
    if created_by.role != Role.ADMIN:
        raise Forbidden("only an admin can invite")
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput({"role": "must be one of " + ", ".join(r.value for r in Role)}) from None
    if role not in (Role.DISPATCHER, Role.DRIVER, Role.ADMIN):
        raise InvalidInput({"role": "invite dispatchers, drivers or admins; riders are added directly"})
    token = secrets.token_urlsafe(24)
    session.add(
        Invite(
            token_hash=_token_hash(token),
            role=role,
            created_by_id=created_by.id,
            expires_at=_now() + dt.timedelta(days=INVITE_DAYS),
        )
    )
    session.flush()
    return token


def find_invite(session: Session, token: str) -> Invite:
    invite = session.scalar(select(Invite).where(Invite.token_hash == _token_hash(token)))
    if invite is None or invite.used_at is not None or invite.expires_at < _now():
        raise NotFound("this invitation is not valid (used, expired or mistyped)")
    return invite


def accept_invite(session: Session, token: str, *, username: str, name: str, password: str) -> Person:
    """Turn an invitation into an account; the invitation then stops working."""
    invite = find_invite(session, token)
    person = create_person(session, username=username, name=name, role=invite.role, password=password)
    invite.used_at = _now()
    session.flush()
    return person


def log_out_everywhere(session: Session, person: Person) -> None:
    """End every session of this person, on every device."""
    person.session_version += 1
    session.flush()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
