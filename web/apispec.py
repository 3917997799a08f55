"""The API's schemas: one set of pydantic models validates requests and writes
the OpenAPI document served at /api/v1/openapi.json (through spectree)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from spectree import Response, SpecTree


class ErrorBody(BaseModel):
    """Every error: what went wrong, and for bad input a reason per field."""

    error: str
    fields: dict[str, str] | None = None


def _field_errors(error: Any) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in error.errors():
        loc = [str(p) for p in item.get("loc", ())]
        # spectree prefixes nothing for JSON bodies; query errors name the parameter too.
        fields[".".join(loc) or "body"] = item.get("msg", "invalid")
    return fields


def _before(req: Any, resp: Any, req_validation_error: Any, instance: Any, *_: Any) -> None:
    # Re-shape spectree's validation errors into the API's one error format.
    if req_validation_error is None or resp is None:
        return
    try:
        fields = _field_errors(req_validation_error)
    except Exception:  # an error that is not pydantic's: keep a plain message
        fields = {"body": str(req_validation_error)}
    if not fields:
        fields = {"body": "must be a JSON object"}
    resp.set_data(json.dumps({"error": "invalid input", "fields": fields}))
    resp.mimetype = "application/json"


spec = SpecTree(
    "flask",
    title="Carpool dispatch API",
    version="1",
    description="The JSON API every page of the carpool uses. See docs/api.md.",
    # spectree leaves routes under its own path out of the document, so its
    # copy lives apart; /api/v1/openapi.json is served by `openapi_document`.
    path="apidoc",
    filename="openapi.json",
    page_templates={},
    mode="strict",
    before=_before,
    validation_error_status=422,
    annotations=False,
)


def responses(*codes: int, ok: Any = None, ok_code: int = 200) -> Response:
    """The documented responses of an endpoint: `ok` for success, ErrorBody for each error code."""
    kwargs: dict[str, Any] = {f"HTTP_{code}": ErrorBody for code in codes}
    kwargs[f"HTTP_{ok_code}"] = ok
    return Response(**kwargs)


def openapi_document() -> Any:
    """The OpenAPI document of /api/v1, built from the request models."""
    from flask import jsonify

    return jsonify(spec.spec)
