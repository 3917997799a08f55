"""Accounts and personal data over the API: invitations, phone-in riders,
logging out everywhere, deleting a rider, the audit log."""

from __future__ import annotations

import secrets
from typing import Any, Literal

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user, logout_user
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from dispatch.models import AuditEntry, Person, Role
from dispatch.services import accounts, privacy
from web import serialize
from web.api import actor
from web.apispec import responses, spec
from web.database import db
from web.users import ALL_ROLES, roles_required

accounts_api = Blueprint("accounts_api", __name__, url_prefix="/api/v1")


class InviteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["dispatcher", "driver", "admin"]


@accounts_api.post("/invites")
@spec.validate(json=InviteBody, resp=responses(401, 403, 422, ok_code=201), tags=["accounts"])
@roles_required(Role.ADMIN.value)
def invite_create() -> Any:
    """An admin invites a dispatcher (or driver): a one-time link, valid for a week."""
    body: InviteBody = request.context.json  # type: ignore[attr-defined]
    session = db()
    token = accounts.create_invite(session, role=body.role, created_by=actor())
    privacy.audit(session, actor_id=current_user.id, action="change", what=f"invited a {body.role}")
    session.commit()
    return jsonify(token=token, url=url_for("auth.accept_invite", token=token, _external=True),
                   days=accounts.INVITE_DAYS), 201  # fmt: skip


class RiderBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    phone: str | None = Field(default=None, max_length=40)


@accounts_api.post("/riders")
@spec.validate(json=RiderBody, resp=responses(401, 403, 409, 422, ok_code=201), tags=["accounts"])
@roles_required(Role.DISPATCHER.value)
def rider_create() -> Any:
    """A dispatcher adds a rider who phoned in; they have no password and never log in."""
    body: RiderBody = request.context.json  # type: ignore[attr-defined]
    session = db()
    person = accounts.create_person(
        session, username=f"phone-{secrets.token_hex(4)}", name=body.name,
        role=Role.RIDER, password=None, phone=body.phone,
    )  # fmt: skip
    privacy.audit(session, actor_id=current_user.id, action="change", subject_id=person.id, what="rider added by phone")
    session.commit()
    return jsonify(rider=serialize.user_json(person)), 201


class RiderQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str | None = Field(default=None, max_length=100)


@accounts_api.get("/riders")
@spec.validate(query=RiderQuery, resp=responses(401, 403, 422), tags=["accounts"])
@roles_required(Role.DISPATCHER.value)
def rider_list() -> Any:
    """Riders whose name matches ?q= (up to 20), for booking one who phones in."""
    text = (request.context.query.q or "").strip().lower()  # type: ignore[attr-defined]
    query = select(Person).where(Person.role == Role.RIDER, Person.active.is_(True))
    if text:
        query = query.where(func.lower(Person.name).contains(text, autoescape=True))
    riders = db().scalars(query.order_by(Person.name).limit(20))
    return jsonify(riders=[serialize.user_json(p) for p in riders])


@accounts_api.delete("/riders/<int:rider_id>")
@spec.validate(resp=responses(401, 403, 404), tags=["accounts"])
@roles_required(Role.DISPATCHER.value)
def rider_delete(rider_id: int) -> Any:
    """Delete a rider and everything personal of theirs."""
    session = db()
    privacy.delete_rider(session, rider_id, actor=actor())
    session.commit()
    return jsonify(ok=True)


@accounts_api.delete("/me")
@spec.validate(resp=responses(401, 403), tags=["accounts"])
@roles_required(Role.RIDER.value)
def me_delete() -> Any:
    """A rider asks to be deleted: their account, homes and bookings go now."""
    session = db()
    privacy.delete_rider(session, current_user.id, actor=actor())
    session.commit()
    logout_user()
    return jsonify(ok=True)


@accounts_api.delete("/sessions")
@spec.validate(resp=responses(401), tags=["session"])
@roles_required(*ALL_ROLES)
def sessions_delete() -> Any:
    """Log out everywhere: every device this person is logged in on."""
    session = db()
    accounts.log_out_everywhere(session, actor())
    session.commit()
    logout_user()
    return jsonify(ok=True)


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=100, ge=1, le=1000)


@accounts_api.get("/audit")
@spec.validate(query=AuditQuery, resp=responses(401, 403, 422), tags=["accounts"])
@roles_required(Role.ADMIN.value)
def audit_list() -> Any:
    """The newest audit entries: who viewed or changed personal data."""
    limit = request.context.query.limit  # type: ignore[attr-defined]
    session = db()
    entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    names = (
        {pid: name for pid, name in session.execute(select(Person.id, Person.username).where(Person.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    return jsonify(
        entries=[
            {
                "id": e.id,
                "at": e.at.isoformat(timespec="seconds"),
                "actor_id": e.actor_id,
                "actor": names.get(e.actor_id) if e.actor_id is not None else None,
                "action": e.action,
                "subject_id": e.subject_id,
                "what": e.what,
            }
            for e in entries
        ]
    )
