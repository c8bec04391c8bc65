"""routing: the dossier lifecycle after reception, department queues and actions, deadlines,
the public lookup, ratings and the center's statistics."""
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from marshmallow import ValidationError
from nameko.extensions import DependencyProvider
from nameko.timer import Timer
from werkzeug.wrappers import Response

from services.common.auth import Principal
from services.common.calendar import Calendar
from services.common.consumer import (
    PoisonMessage,
    bind_envelope,
    first_delivery,
    parse_envelope,
    record_delivery,
    reliable_batch_handler,
    reliable_handler,
    run_deliveries,
    validate_data,
)
from services.common.contracts import DossierReceived, PaymentSettled, ShipmentDelivered
from services.common.db import Database, StatementBatch
from services.common.errors import DomainError, NotAllowed, http_status
from services.common.events import TIMEZONE
from services.common.http import ApiError, Auth, OpsEndpoints, api, json_response, read_json
from services.common.idempotency import MAX_KEY_LENGTH, key_of, request_hash, save
from services.common.idempotency import claim as idempotency_claim
from services.common.rpc import rpc
from services.common.topology import declare_department_queues, with_channel

from . import apology, deadlines, metrics, reports, store
from .actions import ACTIONS, fees_paid, postal_delivered, releasable
from .assignment import assign, matches, phone_matches
from .lifecycle import (
    ACTION_LABELS,
    CITIZEN,
    STATUS_LABELS,
    Actor,
    InvalidTransition,
    relation_of,
)
from .schemas import (
    ACTION_BODIES,
    ActionAnswer,
    ActionBody,
    ApologyLetterView,
    ApologyQuerySchema,
    CitizenResubmitSchema,
    CitizenWithdrawSchema,
    LookupQuerySchema,
    MonthQuerySchema,
    PeriodQuerySchema,
    PublicDossierView,
    RatingAnswer,
    RatingSchema,
    VolumesQuerySchema,
    WeekQuerySchema,
)

log = logging.getLogger("motcua.routing")
DEFAULT_CONSULTATION_DAYS = 5
NO_DOSSIER_FOR_SECRET = "no dossier with this code and lookup secret"


class DepartmentQueues(DependencyProvider):
    """Declares a department's queue the first time this process routes to it, so a
    department added to the catalogue gets its queue before its first dossier."""

    def setup(self):
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.declared = set()

    def get_dependency(self, worker_ctx):
        def ensure(department):
            if department not in self.declared:
                with_channel(self.amqp_uri, declare_department_queues, [department])
                self.declared.add(department)

        return ensure


class Clock(DependencyProvider):
    """routing's idea of now. CLOCK_SHIFT_DAYS moves it (tests and demos of deadlines, never
    production); tests may also pin it by setting `pinned` on the provider."""

    pinned = None

    def setup(self):
        self.shift = timedelta(days=float(self.container.config.get("CLOCK_SHIFT_DAYS") or 0))

    def now(self):
        return self.pinned or datetime.now(TIMEZONE) + self.shift

    def get_dependency(self, worker_ctx):
        return self.now


class ConfiguredTimer(Timer):
    """A nameko timer whose interval is the setting DEADLINE_WATCH_SECONDS."""

    def setup(self):
        self.interval = float(self.container.config.get("DEADLINE_WATCH_SECONDS", self.interval))


@dataclass
class ActionContext:
    cur: Any
    calendar: Any
    now: datetime
    correlation_id: str
    consultation_days: int
    completed: list = field(default_factory=list)


class RoutingService(OpsEndpoints):
    name = "routing"

    db = Database()
    calendar = Calendar()
    clock = Clock()
    principal = Auth()
    department_queue = DepartmentQueues()

    # events ---------------------------------------------------------------------------------
    @reliable_batch_handler("intake", "dossier.received")
    def handle_dossier_received(self, bodies):
        received = [self._received_dossier(body) for body in bodies]
        # One round trip for the batch: the deliveries' ids, the dossiers, their history and
        # events commit together.
        with self.db.autocommit() as cur:
            batch = StatementBatch(cur)
            for envelope, data in received:
                record_delivery(batch, store.SCHEMA, envelope["id"], "handle_dossier_received")
                assign(batch, envelope, data)
            applied = run_deliveries(batch, len(received))
        for envelope, data in received:
            bind_envelope(envelope)
            if applied:
                log.info("dossier assigned", extra={
                    "dossier_code": data["code"], "department": data["procedure"]["department"]})
            else:
                log.info("duplicate delivery ignored", extra={"dossier_code": data["code"]})

    def _received_dossier(self, body):
        envelope = parse_envelope(body)
        data = validate_data(DossierReceived, envelope)
        for department in (data["procedure"]["department"], *data["procedure"]["cooperating"]):
            self.department_queue(department)  # cooperating ones get consultation requests
        return envelope, data

    @reliable_handler("payment", "payment.settled")
    def handle_payment_settled(self, body):
        envelope = parse_envelope(body)
        data = validate_data(PaymentSettled, envelope)
        if data["kind"] != "fee":
            return  # a postal charge does not hold the result
        self._on_dossier_event(envelope, data, "handle_payment_settled",
                               lambda cur, d: fees_paid(cur, d, data["settled_at"],
                                                        envelope["correlation_id"]))

    @reliable_handler("postal", "postal.delivered")
    def handle_postal_delivered(self, body):
        envelope = parse_envelope(body)
        data = validate_data(ShipmentDelivered, envelope)
        self._on_dossier_event(envelope, data, "handle_postal_delivered",
                               lambda cur, d: postal_delivered(cur, d, data["delivered_at"],
                                                               envelope["correlation_id"]))

    def _on_dossier_event(self, envelope, data, consumer, effect):
        with self.db.transaction() as cur:
            if not first_delivery(cur, store.SCHEMA, envelope["id"], consumer):
                return
            dossier = store.get_dossier(cur, data["code"], lock=True)
            if dossier is None:
                # dossier.received may still be on its way: retried with backoff
                raise LookupError(f"dossier {data['code']} not known to routing yet")
            try:
                effect(cur, dossier)
            except InvalidTransition as exc:
                raise PoisonMessage(str(exc)) from exc
        log.info("event applied", extra={"dossier_code": data["code"], "consumer": consumer})

    # department and counter actions ----------------------------------------------------------
    @api("POST", "/api/v1/dossiers/<code>/actions/<action>",
         summary="A department's or counter's action on a dossier (accept, transfer, "
                 "request_supplement, consult, complete, return, issue_apology, ...)",
         body=ActionBody, auth=("department_officer", "counter_officer"),
         responses={200: ("done (or an Idempotency-Key replay): the dossier's status and due "
                          "date now", ActionAnswer),
                    403: "the caller has no part in this dossier or this action",
                    404: "no such dossier or action",
                    409: "the action does not apply to the dossier's status, or the "
                         "Idempotency-Key was reused"})
    def act(self, request, code, action):
        caller = self.principal(request, "department_officer", "counter_officer")
        if action not in ACTIONS:
            raise ApiError(404, "not_found", f"no action {action}; actions: "
                           + ", ".join(sorted(ACTIONS)))
        body = read_json(request, ACTION_BODIES[action]())
        key = key_of(request)
        status, answer = self._perform(code, action, body, officer(caller), request.correlation_id,
                                       (caller.subject, key) if key else None)
        return json_response(answer, status)

    @rpc
    def department_action(self, code, action, department, officer_id, body,
                          idempotency_key=None, correlation_id=None):
        """The same actions for a department's own system: errors come back as dicts."""
        try:
            if action not in ACTIONS:
                raise ApiError(404, "not_found", f"no action {action}")
            loaded = ACTION_BODIES[action]().load(body)
            caller = Principal("department_officer", officer_id, department=department)
            if idempotency_key and len(idempotency_key) > MAX_KEY_LENGTH:
                raise ApiError(400, "bad_idempotency_key",
                               f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
            key = (officer_id, idempotency_key) if idempotency_key else None
            _, answer = self._perform(code, action, loaded, officer(caller),
                                      correlation_id or str(uuid.uuid4()), key)
            return answer
        except ValidationError as exc:
            return {"error": {"code": "validation_failed", "fields": exc.messages}}
        except ApiError as exc:
            return {"error": {"code": exc.code, "message": exc.message, "status": exc.status}}

    @api("POST", "/api/v1/dossiers/<code>/resubmission",
         summary="The citizen hands in the supplement asked for (with the lookup secret)",
         body=CitizenResubmitSchema,
         responses={200: ("done: the dossier's status and due date now", ActionAnswer),
                    404: "no dossier with this code and lookup secret",
                    409: "the action does not apply to the dossier's status"})
    def citizen_resubmit(self, request, code):
        body = read_json(request, CitizenResubmitSchema())
        return self._citizen_action(request, code, "resubmit", body)

    @api("POST", "/api/v1/dossiers/<code>/withdrawal",
         summary="The citizen withdraws the dossier (with the lookup secret)",
         body=CitizenWithdrawSchema,
         responses={200: ("done: the dossier's status and due date now", ActionAnswer),
                    404: "no dossier with this code and lookup secret",
                    409: "the action does not apply to the dossier's status"})
    def citizen_withdraw(self, request, code):
        body = read_json(request, CitizenWithdrawSchema())
        return self._citizen_action(request, code, "withdraw", body)

    def _citizen_action(self, request, code, action, body):
        secret = body.pop("secret")

        def citizen(dossier):
            if not matches(dossier["code"], dossier["lookup_secret_hash"], secret.upper()):
                raise ApiError(404, "not_found", NO_DOSSIER_FOR_SECRET)
            return Actor("citizen", CITIZEN)

        # an unknown code gets the same answer as a wrong secret: nothing tells codes apart
        status, answer = self._perform(code, action, body, citizen, request.correlation_id,
                                       None, unknown=NO_DOSSIER_FOR_SECRET)
        return json_response(answer, status)

    def _perform(self, code, action, body, who, correlation_id, idempotency, unknown=None):
        """Runs an action in one transaction; (HTTP status, answer). `unknown`: the message
        when no dossier has this code."""
        completed = []
        held = None
        try:
            with self.db.transaction() as cur:
                if idempotency:
                    held, earlier = idempotency_claim(cur, store.SCHEMA, *idempotency,
                                                      request_hash(code, action, body))
                    if earlier:
                        return earlier
                dossier = store.get_dossier(cur, code, lock=True)
                if dossier is None:
                    raise ApiError(404, "not_found", unknown or f"no dossier {code}")
                actor = who(dossier)
                ctx = ActionContext(cur, self.calendar, self.clock(), correlation_id,
                                    int(self.config.get("CONSULTATION_DAYS")
                                        or DEFAULT_CONSULTATION_DAYS), completed)
                extra = ACTIONS[action](ctx, dossier, actor, body)
                answer = {"code": code, "action": action, "status": dossier["status"],
                          "due_date": dossier["due_date"].isoformat()}
                if extra:
                    answer["letter"] = apology.letter_view(extra, dossier)
                if held:
                    save(cur, held, 200, answer)
        except DomainError as exc:
            raise ApiError(http_status(exc), exc.code, exc.message, exc.fields) from exc
        for days in completed:
            metrics.observe_processing(dossier["department"], days)
        log.info("dossier action", extra={"dossier_code": code, "action": action,
                                          "status": answer["status"]})
        return 200, answer

    # apology letter -------------------------------------------------------------------------
    @api("GET", "/api/v1/dossiers/<code>/apology",
         summary="The latest apology letter (Mẫu 04), as JSON or printable HTML",
         query=ApologyQuerySchema, auth=("department_officer", "counter_officer", "manager"),
         responses={200: ("the letter", ApologyLetterView),
                    404: "no apology letter for this dossier and caller"})
    def get_apology(self, request, code):
        """The latest apology letter (Mẫu 04): for the department's and counter's officers
        and managers by token, or for the citizen with the lookup secret."""
        # who is asking is settled before the code is looked up: a 401 for a code that exists
        # and a 404 for one that does not would tell anyone which codes exist
        secret = request.args.get("secret")
        caller = None if secret else self.principal(request, "department_officer",
                                                    "counter_officer", "manager")
        with self.db.transaction() as cur:
            dossier = store.get_dossier(cur, code)
            letters = store.apologies(cur, code) if dossier else []
        if dossier is None or not _may_read(dossier, secret, caller):
            raise ApiError(404, "not_found", f"no apology letter for dossier {code}")
        if not letters:
            raise ApiError(404, "not_found", f"no apology letter for dossier {code}")
        if request.args.get("format") == "html":
            return Response(apology.render_html(letters[-1], dossier), mimetype="text/html")
        return json_response(apology.letter_view(letters[-1], dossier))

    # citizen --------------------------------------------------------------------------------
    @api("GET", "/api/v1/dossiers/<code>",
         summary="Public lookup: where the dossier is (with the lookup secret or the phone)",
         query=LookupQuerySchema,
         responses={200: ("the dossier as the citizen sees it", PublicDossierView),
                    404: "no dossier with this code and lookup secret or phone"})
    def lookup(self, request, code):
        query = LookupQuerySchema().load(request.args.to_dict())
        with self.db.transaction() as cur:
            dossier = store.get_dossier(cur, code)
            if dossier is None or not _proof_ok(dossier, query):
                raise ApiError(404, "not_found",
                               "no dossier with this code and lookup secret or phone")
            view = public_view(cur, dossier, store.get_history(cur, code))
        return json_response(view)

    @api("POST", "/api/v1/dossiers/<code>/rating",
         summary="The citizen rates the service once the result is returned",
         body=RatingSchema,
         responses={201: ("recorded", RatingAnswer),
                    404: "no dossier with this code and lookup secret",
                    409: "not returned yet, or already rated"})
    def rate(self, request, code):
        body = read_json(request, RatingSchema())
        with self.db.transaction() as cur:
            dossier = store.get_dossier(cur, code, lock=True)
            if dossier is None or not matches(code, dossier["lookup_secret_hash"],
                                              body["secret"].upper()):
                raise ApiError(404, "not_found", NO_DOSSIER_FOR_SECRET)
            if dossier["status"] != "returned":
                raise ApiError(409, "not_returned", "a dossier is rated after its result is "
                               f"returned; its status is {dossier['status']}")
            officers = store.officers_of(cur, code)
            rating = {"code": code, "overall": body["overall"], "criteria": body["criteria"],
                      "comment": body["comment"], "officers": officers,
                      "department": dossier["department"], "rated_at": self.clock()}
            if not store.add_rating(cur, rating):
                raise ApiError(409, "already_rated", "this dossier has already been rated")
        return json_response({"code": code, "overall": body["overall"], "officers": officers},
                             201)

    # reports --------------------------------------------------------------------------------
    def _today(self):
        return self.clock().astimezone(TIMEZONE).date()

    @api("GET", "/api/v1/reports/period",
         summary="Dossiers received, resolved on time or late, in progress, by department",
         query=PeriodQuerySchema, auth=("manager",),
         responses={200: "the report (JSON, or CSV with format=csv)"})
    def report_period(self, request):
        self.principal(request, "manager")
        query = PeriodQuerySchema().load(request.args.to_dict())
        with self.db.transaction() as cur:
            report = reports.period_report(cur, self.calendar, query["start"], query["end"],
                                           self._today(), query["department"])
        return _report_response(report, query["format"], reports.period_csv)

    @api("GET", "/api/v1/reports/monthly", summary="The period report of a month",
         query=MonthQuerySchema, auth=("manager",),
         responses={200: "the report (JSON, or CSV with format=csv)"})
    def report_monthly(self, request):
        self.principal(request, "manager")
        query = MonthQuerySchema().load(request.args.to_dict())
        with self.db.transaction() as cur:
            report = reports.monthly_report(cur, self.calendar, query["month"], self._today(),
                                            query["department"])
        return _report_response(report, query["format"], reports.period_csv)

    @api("GET", "/api/v1/reports/weekly", summary="The period report of a week",
         query=WeekQuerySchema, auth=("manager",),
         responses={200: "the report (JSON, or CSV with format=csv)"})
    def report_weekly(self, request):
        self.principal(request, "manager")
        query = WeekQuerySchema().load(request.args.to_dict())
        with self.db.transaction() as cur:
            report = reports.weekly_report(cur, self.calendar, query["week_of"], self._today())
        return _report_response(report, query["format"], reports.period_csv)

    @api("GET", "/api/v1/reports/steps",
         summary="Time spent in each step of the lifecycle (JSON only)",
         query=PeriodQuerySchema, auth=("manager",), responses={200: "the report"})
    def report_steps(self, request):
        self.principal(request, "manager")
        query = PeriodQuerySchema().load(request.args.to_dict())
        if query["format"] == "csv":
            raise ApiError(422, "validation_failed", "the steps report is JSON only",
                           {"format": ["the steps report is JSON only"]})
        with self.db.transaction() as cur:
            report = reports.step_durations(cur, self.calendar, query["start"], query["end"],
                                            query["department"])
        return json_response(report)

    @api("GET", "/api/v1/reports/channels",
         summary="Dossiers by channel and department over a period",
         query=VolumesQuerySchema, auth=("manager",),
         responses={200: "the report (JSON, or CSV with format=csv)"})
    def report_channels(self, request):
        self.principal(request, "manager")
        query = VolumesQuerySchema().load(request.args.to_dict())
        since, until = reports.default_six_months(self._today())
        with self.db.transaction() as cur:
            volumes = reports.department_volumes(cur, query["since"] or since,
                                                 query["until"] or until)
        return _report_response(volumes, query["format"], reports.volumes_csv)

    @rpc
    def department_volumes(self, since, until):
        """Dossiers per department and channel in [since, until] (ISO dates) with the
        500-dossier rule: postal uses it to know which departments may delegate reception."""
        try:
            query = VolumesQuerySchema().load({"since": since, "until": until})
        except ValidationError as exc:
            return {"error": {"code": "validation_failed", "fields": exc.messages}}
        with self.db.transaction() as cur:
            return reports.department_volumes(cur, query["since"], query["until"])

    # deadlines ------------------------------------------------------------------------------
    @ConfiguredTimer.decorator(interval=60)
    def watch_deadlines(self):
        now = self.clock()
        with self.db.transaction() as cur:
            deadlines.watch(cur, self.calendar, now)
        with self.db.transaction() as cur:
            metrics.refresh(cur)


def officer(caller):
    """The actor of a token on a dossier, or NotAllowed when it has no part in it."""
    def on(dossier):
        relation = relation_of(caller, dossier)
        if relation is None:
            raise NotAllowed(f"{caller.role} of {caller.department} has no part in dossier "
                             f"{dossier['code']} (lead department {dossier['department']})")
        return Actor(caller.subject, relation, caller.department)
    return on


def _report_response(report, fmt, to_csv):
    if fmt == "csv":
        return Response(to_csv(report), mimetype="text/csv")
    return json_response(report)


def _may_read(dossier, secret, caller):
    """The citizen with the lookup secret, or an officer of the dossier, or a manager."""
    if secret:
        return matches(dossier["code"], dossier["lookup_secret_hash"], secret.upper())
    return caller.role == "manager" or relation_of(caller, dossier) is not None


def _proof_ok(dossier, query):
    if query["secret"]:
        return matches(dossier["code"], dossier["lookup_secret_hash"], query["secret"].upper())
    return phone_matches(dossier, query["phone"])


BY_WHOM = {"lead_officer": "cơ quan chủ trì", "cooperating_officer": "cơ quan phối hợp",
           "counter_officer": "Bộ phận Một cửa", "citizen": "người nộp hồ sơ",
           "system": "hệ thống", "portal": "Cổng dịch vụ công", "postal_clerk": "bưu điện"}


def public_view(cur, dossier, history):
    """What the citizen sees: where the dossier is, in plain Vietnamese, the current due date
    and what is asked of them."""
    status = dossier["status"]
    view = {
        "code": dossier["code"],
        "procedure": {"code": dossier["procedure_code"], "name": dossier["procedure_name"]},
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "department": dossier["department"],
        "cooperating": dossier["cooperating"],
        "channel": dossier["channel"],
        "received_at": dossier["received_at"].isoformat(),
        "due_date": dossier["due_date"].isoformat(),
        "overdue": dossier["overdue_at"] is not None,
        "asked_of_citizen": asked_of_citizen(cur, dossier),
        "history": [
            {"at": h["at"].isoformat(), "status": h["status"],
             "label": ACTION_LABELS.get(h["action"]) or STATUS_LABELS.get(h["status"],
                                                                         h["status"]),
             "by": BY_WHOM.get(h["actor_role"], "hệ thống"), "note": h["note"]}
            for h in history
        ],
    }
    if status in ("result_ready", "returned"):
        view["result_reference"] = dossier["result_reference"]
    return view


def asked_of_citizen(cur, dossier):
    status = dossier["status"]
    if status == "supplement_requested":
        supplement = store.open_supplement(cur, dossier["code"])
        return {"what": "supplement",
                "message": "Đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ: " + supplement["reason"],
                "documents": supplement["documents"]}
    if status == "result_ready":
        where = ("Kết quả sẽ được gửi qua dịch vụ bưu chính" if dossier["result_delivery"] ==
                 "post" else "Mời Ông/Bà đến Trung tâm nhận kết quả")
        if not releasable(dossier):
            where = "Đề nghị Ông/Bà nộp phí, lệ phí để nhận kết quả"
        return {"what": "collect_result", "message": where}
    if status == "returned":
        if not store.is_rated(cur, dossier["code"]):
            return {"what": "rating", "message": "Mời Ông/Bà đánh giá mức độ hài lòng"}
    return None
