"""The sandbox API's OpenAPI 3.0 document: appointments and bed state, as a trust's booking system
might publish them, with the document faults applied.

Built as a dict per request (cheap) so each fault changes only its own corner of the document.
"""

from __future__ import annotations

import copy
from typing import Any

from conformance.sandbox.api_faults import API_DOC_INVALID, API_DOC_NO_SECURITY, API_DOC_UNDOCUMENTED_ERRORS
from conformance.sandbox.faults import Faults

STATUSES = ("booked", "arrived", "cancelled")
READ = [{"bearer": ["appointments.read"]}]
WRITE = [{"bearer": ["appointments.write"]}]


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json({"$ref": "#/components/schemas/Error"})}


APPOINTMENT = {
    "type": "object",
    "required": ["id", "patient", "clinic", "start", "status"],
    "properties": {
        "id": {"type": "string"},
        "patient": {"type": "string", "pattern": "^[0-9]{10}$", "description": "NHS number"},
        "clinic": {"type": "string"},
        "start": {"type": "string", "format": "date-time"},
        "status": {"type": "string", "enum": list(STATUSES)},
    },
    "additionalProperties": False,
}
NEW_APPOINTMENT = {
    "type": "object",
    "required": ["patient", "clinic", "start"],
    "properties": {k: APPOINTMENT["properties"][k] for k in ("patient", "clinic", "start")},  # type: ignore[index]
}
BASE: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Conformance sandbox booking API", "version": "1.0.0",
             "description": "Synthetic outpatient appointments and bed state."},
    "paths": {
        "/status": {"get": {
            "operationId": "status", "summary": "Service status (public)", "security": [],
            "responses": {"200": {"description": "up", "content": _json({
                "type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}})},
                "default": _error("unexpected error")}}},
        "/appointments": {
            "get": {
                "operationId": "listAppointments", "summary": "List appointments", "security": READ,
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                ],
                "responses": {
                    "200": {"description": "matching appointments", "content": _json({
                        "type": "object", "required": ["items", "total"], "properties": {
                            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Appointment"}},
                            "total": {"type": "integer", "minimum": 0}}})},
                    "400": _error("invalid query"),
                    "401": _error("no valid token"),
                    "403": _error("token lacks appointments.read"),
                    "429": {**_error("rate limit reached"), "headers": {
                        "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}},
                },
            },
            "post": {
                "operationId": "bookAppointment", "summary": "Book an appointment", "security": WRITE,
                "requestBody": {"required": True, "content": _json({"$ref": "#/components/schemas/NewAppointment"})},
                "responses": {
                    "201": {"description": "booked", "content": _json({"$ref": "#/components/schemas/Appointment"})},
                    "400": _error("invalid appointment"),
                    "401": _error("no valid token"),
                    "403": _error("token lacks appointments.write"),
                },
            },
        },
        "/appointments/{id}": {"get": {
            "operationId": "readAppointment", "summary": "Read one appointment", "security": READ,
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}}],
            "responses": {
                "200": {"description": "the appointment",
                        "content": _json({"$ref": "#/components/schemas/Appointment"})},
                "401": _error("no valid token"),
                "403": _error("token lacks appointments.read"),
                "404": _error("no such appointment"),
            }},
            "delete": {
                "operationId": "cancelAppointment", "summary": "Cancel (delete) an appointment", "security": WRITE,
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"}}],
                "responses": {
                    "204": {"description": "cancelled and removed"},
                    "401": _error("no valid token"),
                    "403": _error("token lacks appointments.write"),
                    "404": _error("no such appointment"),
                }}},
        "/beds": {"get": {
            "operationId": "bedState", "summary": "Bed state by ward", "security": READ,
            "responses": {
                "200": {"description": "beds by ward", "content": _json({
                    "type": "object", "required": ["wards"], "properties": {"wards": {"type": "array", "items": {
                        "type": "object", "required": ["ward", "total", "occupied"], "properties": {
                            "ward": {"type": "string"}, "total": {"type": "integer", "minimum": 0},
                            "occupied": {"type": "integer", "minimum": 0}}}}}})},
                "401": _error("no valid token"),
                "403": _error("token lacks appointments.read"),
            }}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        "schemas": {
            "Appointment": APPOINTMENT,
            "NewAppointment": NEW_APPOINTMENT,
            "Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string"}, "detail": {"type": "string"}}},
        },
    },
}


def document(faults: Faults, server_url: str) -> dict[str, Any]:
    """The document as served, its ``servers`` pointing at where it was fetched from."""
    doc = copy.deepcopy(BASE)
    doc["servers"] = [{"url": server_url}]
    beds = doc["paths"]["/beds"]["get"]
    if faults.on(API_DOC_INVALID):
        beds["parameters"] = [{"name": "ward", "in": "body", "schema": {"type": "string"}}]
    if faults.on(API_DOC_UNDOCUMENTED_ERRORS):
        beds["responses"] = {"200": beds["responses"]["200"]}
    if faults.on(API_DOC_NO_SECURITY):
        del beds["security"]
    return doc
