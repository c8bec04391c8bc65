"""Delegated reception: a post office registers dossiers for the departments that handed it
reception, through intake's RPC, and only while a delegation is active."""
import hashlib
import json

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from prometheus_client import Counter

from services.common.http import ApiError

from . import store

RPC_TIMEOUT_SECONDS = 30


class Unanswered(Exception):
    """intake did not answer in time: the dossier may or may not have been registered."""


RECEPTIONS = Counter("motcua_postal_receptions_total", "Dossiers registered by post offices",
                     ["post_office", "kind"])


def request_hash(body):
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def clerk_office(cur, caller):
    office = store.get_post_office(cur, caller.post_office)
    if office is None:
        raise ApiError(403, "forbidden", f"post office {caller.post_office} is not registered")
    return office


def department_of(catalogue, procedure_code, field="procedure_code", channel=None):
    """The department deciding a procedure (422 if unknown, or closed to `channel`)."""
    procedure = catalogue.procedure(procedure_code)
    if procedure is None:
        raise ApiError(422, "validation_failed", "unknown procedure",
                       {field: [f"no procedure with code {procedure_code}"]})
    if channel and channel not in procedure["channels"]:
        raise ApiError(422, "validation_failed", "procedure not received by post",
                       {field: [f"thủ tục {procedure_code} does not accept dossiers through "
                                f"channel {channel}"]})
    return procedure["department"]


def check_delegation(cur, office_code, department, procedure_code, status=403):
    if store.active_delegation(cur, office_code, department, procedure_code) is None:
        raise ApiError(
            status, "no_delegation",
            f"post office {office_code} holds no active delegation to receive dossiers of "
            f"department {department} (procedure {procedure_code})",
        )


def register(intake, body, office, clerk, correlation_id, kind):
    """The receipt from intake's `register_dossier`, or ApiError with intake's reasons."""
    receiver = {"kind": "postal_clerk", "id": clerk, "post_office": office["code"],
                "receiving_unit": office["receiving_unit"]}
    try:
        with eventlet.Timeout(RPC_TIMEOUT_SECONDS, Unanswered):
            result = intake.register_dossier(body, receiver, correlation_id)
    except Unanswered as exc:
        raise ApiError(504, "intake_timeout",
                       "registration (intake) did not answer in time; the dossier may have been "
                       "registered: look at GET /api/v1/receptions before receiving it again"
                       ) from exc
    except (RemoteError, UnknownService) as exc:
        raise ApiError(503, "intake_unavailable",
                       "registration (intake) failed; nothing was registered, try again") from exc
    if "error" in result:
        error = result["error"]
        code = "validation_failed" if error["status"] == 422 else "registration_failed"
        raise ApiError(error["status"], code, error["message"], error.get("fields"))
    RECEPTIONS.labels(office["code"], kind).inc()
    return result["dossier"]
