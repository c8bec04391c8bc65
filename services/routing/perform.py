"""Acting on a dossier, for an officer's request, a department's system or the citizen: the
action's body, who acts, one transaction with the dossier locked, the Idempotency-Key, and
the answer."""
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import ValidationError

from services.common.auth import ROLE_NAMES, Principal
from services.common.errors import DomainError, NotAllowed, NotFound, http_status
from services.common.http import ApiError
from services.common.idempotency import HEADER, MAX_KEY_LENGTH, claim, request_hash, save

from . import forms, metrics, store
from .agency_work import ACTIONS, check_holder
from .lifecycle import Actor, relation_of
from .schemas import ACTION_BODIES, ActionBody

log = logging.getLogger("motcua.routing")


@dataclass
class ActionContext:
    cur: Any
    calendar: Any
    now: datetime
    correlation_id: str
    settings: Any  # RoutingSettings: the law's periods, consultation days
    docstore: Any  # docstore's RPC proxy: checks the electronic result `complete` names
    # (department, working days) of each result, for metrics once committed
    completed: list = field(default_factory=list)


def known_action(action):
    if action not in ACTIONS:
        raise NotFound(f"Không có thao tác {action}; các thao tác: " + ", ".join(sorted(ACTIONS))
                       + ".")
    return action


def action_body(action, body):
    """A request's body, loaded by the route with the fields of every action (ActionBody),
    as the action named in the path takes it: its own schema decides which fields it
    allows and requires, and fills its defaults."""
    return ACTION_BODIES[known_action(action)]().load(ActionBody().dump(body))


def sent_body(action, body):
    """The body a department's system sent over RPC, loaded by the action's schema."""
    return ACTION_BODIES[known_action(action)]().load(body)


def sent_key(officer_id, key):
    """(principal, key) of the Idempotency-Key a department's system sent over RPC, checked
    as services.common.idempotency.key_of checks a request's header; None without one."""
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError(400, "bad_idempotency_key",
                       f"{HEADER} phải có từ 1 đến {MAX_KEY_LENGTH} ký tự.")
    return officer_id, key


def department_caller(role, officer_id, department):
    """Who a department's own system acts as: its officer or its leader `officer_id`."""
    if role not in ("department_officer", "leader"):
        raise ValidationError({"role": ["Chỉ department_officer (chuyên viên) hoặc leader "
                                        "(lãnh đạo)."]})
    return Principal(role, officer_id, department=department)


def officer(caller):
    """Who acts for a token on a dossier; NotAllowed when it has no part in the dossier."""
    def on(dossier):
        relation = relation_of(caller, dossier)
        if relation is None:
            raise NotAllowed(f"{ROLE_NAMES.get(caller.role, caller.role).capitalize()} của "
                             f"{caller.department} không tham gia giải quyết hồ sơ "
                             f"{dossier['code']} (cơ quan chủ trì: {dossier['department']}).")
        actor = Actor(caller.subject, relation, caller.department)
        check_holder(actor, dossier)
        return actor
    return on


def perform(ctx, code, action, body, who, idempotency=None, unknown=None):
    """Runs `action` (with its loaded `body`) on the dossier `code`, locked in ctx's
    transaction, as `who(dossier)` (an Actor, or an error when the caller has no part in
    it); returns (HTTP status, answer). With `idempotency` (principal, key) a request
    answered before gets that answer again. `unknown`: what to say when no dossier has this
    code."""
    held = None
    if idempotency:
        held, earlier = claim(ctx.cur, store.SCHEMA, *idempotency,
                              request_hash(code, action, body))
        if earlier:
            return earlier
    dossier = store.get_dossier(ctx.cur, code, lock=True)
    if dossier is None:
        raise NotFound(unknown or f"Không có hồ sơ {code}.")
    extension = ACTIONS[action](ctx, dossier, who(dossier), body)
    answer = {"code": code, "action": action, "status": dossier["status"],
              "due_date": dossier["due_date"].isoformat()}
    if extension:
        answer["extension"] = forms.extension_view(extension, dossier)
    if held:
        save(ctx.cur, held, 200, answer)
    return 200, answer


def performed(ctx, answer):
    """Once the action committed: its metrics and log line."""
    for department, days in ctx.completed:
        metrics.observe_processing(department, days)
    log.info("dossier action", extra={"dossier_code": answer["code"],
                                      "action": answer["action"], "status": answer["status"]})


def as_department_answer(run):
    """`run()`'s answer for a department's own system, its errors answered in the shape
    those systems read (README): {"error": {"code", "message", "status"}}, or
    {"error": {"code": "validation_failed", "fields": {...}}} for a body the action's
    schema refuses."""
    try:
        return run()
    except ValidationError as exc:
        return {"error": {"code": "validation_failed", "fields": exc.messages}}
    except DomainError as exc:
        return {"error": {"code": exc.code, "message": exc.message, "status": http_status(exc)}}
    except ApiError as exc:
        return {"error": {"code": exc.code, "message": exc.message, "status": exc.status}}
