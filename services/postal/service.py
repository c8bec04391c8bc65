"""postal: post offices and delegations, delegated reception, pick-up at home, result delivery
by post with tracking, and the departments' dossier volumes."""
import logging
import uuid
from datetime import date, datetime

from marshmallow import INCLUDE, ValidationError
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from werkzeug.wrappers import Response

from services.common.consumer import (
    PoisonMessage,
    first_delivery,
    parse_envelope,
    record_delivery,
    reliable_batch_handler,
    reliable_handler,
    run_deliveries,
    validate_data,
)
from services.common.contracts import DossierReceived, ResultReady
from services.common.db import Database, StatementBatch, json_param
from services.common.events import TIMEZONE, now
from services.common.http import (
    ApiError,
    Auth,
    OpsEndpoints,
    api,
    flatten_messages,
    json_response,
    read_json,
)
from services.common.rpc import RpcProxy
from services.common.stationing import STATION_THRESHOLD, judged_half_year, must_station_officers

from . import reception, reports, store
from .catalogue import IntakeCatalogue
from .schemas import (
    ClerkUpdateSchema,
    DelegationEndSchema,
    DelegationList,
    DelegationSchema,
    DelegationView,
    PickupList,
    PickupQuerySchema,
    PickupSchema,
    PickupView,
    PostOfficeList,
    PostOfficeSchema,
    ReceptionSchema,
    ReportQuerySchema,
    ShipmentList,
    ShipmentQuerySchema,
    ShipmentUpdateAnswer,
    ShipmentView,
    TrackingImportAnswer,
    VolumesSchema,
)
from .shipments import Refused, apply_update, create_shipment, public_view
from .tracking import STATUSES, TrackingUpdateSchema, UnreadableFile, read_rows, validate_rows
from .volumes import month_start

log = logging.getLogger("motcua.postal")

MAX_IDEMPOTENCY_KEY = 200
MAX_IMPORT_BYTES = 4 * 1024 * 1024
# What the month's counts and the post office's receptions read of dossier.received: it is
# checked for these fields only.
RECEIVED_FIELDS = ("code", "channel", "received_at", "receiver", "procedure.code",
                   "procedure.department")
SHIPMENTS_NOW = Gauge("motcua_postal_shipments_by_status", "Shipments now in each status", ["status"])


class PostalService(OpsEndpoints):
    name = "postal"

    db = Database()
    principal = Auth()
    intake = RpcProxy("intake")
    catalogue = IntakeCatalogue()

    # post offices and delegations (manager) ---------------------------------------------------
    @api("POST", "/api/v1/post-offices", summary="Register a post office", body=PostOfficeSchema,
         auth=("manager",), responses={201: ("registered", PostOfficeSchema),
                                       409: "a post office with this code or receiving unit exists"})
    def create_post_office(self, request):
        self.principal(request, "manager")
        office = read_json(request, PostOfficeSchema())
        with self.db.transaction() as cur:
            created = store.insert_post_office(cur, office)
        if created is None:
            raise ApiError(409, "conflict", f"a post office {office['code']} or one with receiving"
                           f" unit {office['receiving_unit']} exists already")
        return json_response(office, 201)

    @api("GET", "/api/v1/post-offices", summary="The post offices",
         auth=("manager", "postal_clerk", "portal"),
         responses={200: ("the post offices", PostOfficeList)})
    def list_post_offices(self, request):
        self.principal(request, "manager", "postal_clerk", "portal")
        with self.db.transaction() as cur:
            offices = store.list_post_offices(cur)
        return json_response({"post_offices": offices})

    @api("POST", "/api/v1/delegations",
         summary="Delegate a department's reception (all or some procedures) to a post office",
         body=DelegationSchema, auth=("manager",),
         responses={201: ("delegated", DelegationView),
                    409: "the department's volume requires its own officers (override_reason)",
                    503: "the department list (intake) cannot be reached"})
    def create_delegation(self, request):
        caller = self.principal(request, "manager")
        body = read_json(request, DelegationSchema())
        self._check_delegation_scope(body)
        first_day, last_day = judged_half_year(body["valid_from"])
        with self.db.transaction() as cur:
            if store.get_post_office(cur, body["post_office"]) is None:
                raise ApiError(422, "validation_failed", "unknown post office",
                               {"post_office": [f"no post office {body['post_office']}"]})
            volume = store.department_volume(cur, body["department"], first_day, last_day)
            if must_station_officers(volume) and not body["override_reason"]:
                raise ApiError(
                    409, "department_must_station_officers",
                    f"department {body['department']} received {volume} dossiers from "
                    f"{first_day} to {last_day} ({STATION_THRESHOLD} or more): it must station its own "
                    "officers at the center; a manager may override with override_reason",
                )
            delegation = store.insert_delegation(cur, {
                **body, "volume": volume, "volume_from": first_day, "volume_to": last_day,
                "created_by": caller.subject,
            })
        log.info("delegation created", extra={"department": body["department"],
                                              "post_office": body["post_office"],
                                              "overridden": bool(body["override_reason"])})
        return json_response(delegation_view(delegation), 201)

    def _check_delegation_scope(self, body):
        departments = {d["code"] for d in self._departments()}
        if body["department"] not in departments:
            raise ApiError(422, "validation_failed", "unknown department",
                           {"department": [f"no department {body['department']} in the catalogue"]})
        if body["procedures"]:
            own = {p["code"] for p in self.catalogue.procedures(body["department"])}
            strangers = [code for code in body["procedures"] if code not in own]
            if strangers:
                raise ApiError(422, "validation_failed", "procedures of another department",
                               {"procedures": [f"{code} is not a procedure of department "
                                               f"{body['department']}" for code in strangers]})

    def _departments(self):
        try:
            return self.intake.departments()
        except Exception as exc:  # noqa: BLE001 - intake down or not answering
            raise ApiError(503, "intake_unavailable",
                           "the department list (intake) cannot be reached; try again") from exc

    @api("POST", "/api/v1/delegations/<int:delegation_id>/end", summary="End a delegation early",
         body=DelegationEndSchema, auth=("manager",),
         responses={200: ("ended", DelegationView), 404: "no such delegation",
                    409: "the delegation already ends by then"})
    def end_delegation(self, request, delegation_id):
        """A delegation ends early (the department stations officers again, say): it stays
        on record with the date, who ended it and why."""
        caller = self.principal(request, "manager")
        body = read_json(request, DelegationEndSchema())
        with self.db.transaction() as cur:
            delegation = store.get_delegation(cur, delegation_id)
            if delegation is None:
                raise ApiError(404, "not_found", f"no delegation {delegation_id}")
            if body["valid_to"] < delegation["valid_from"]:
                raise ApiError(422, "validation_failed", "the end is before the start",
                               {"valid_to": [f"must not be before {delegation['valid_from']}"]})
            if delegation["valid_to"] and body["valid_to"] > delegation["valid_to"]:
                raise ApiError(409, "conflict", f"the delegation already ends on "
                               f"{delegation['valid_to']}; create a new one to extend it")
            delegation = store.end_delegation(cur, delegation_id, body["valid_to"],
                                              body["reason"], caller.subject)
        return json_response(delegation_view(delegation))

    @api("GET", "/api/v1/delegations",
         summary="The delegations (a clerk sees its own post office's), with today's volume",
         auth=("manager", "postal_clerk"), responses={200: ("the delegations", DelegationList)})
    def list_delegations(self, request):
        caller = self.principal(request, "manager", "postal_clerk")
        office = caller.post_office if caller.role == "postal_clerk" else None
        first_day, last_day = judged_half_year(now().date())
        views = []
        with self.db.transaction() as cur:
            for delegation in store.list_delegations(cur, office):
                view = delegation_view(delegation)
                # an open-ended delegation outlives the half-year that allowed it: show the
                # manager the half-year that would judge it today
                volume = store.department_volume(cur, delegation["department"], first_day,
                                                 last_day)
                view["volume_now"] = {
                    "dossiers": volume, "from": first_day.isoformat(),
                    "to": last_day.isoformat(),
                    "must_station_officers": must_station_officers(volume)}
                views.append(view)
        return json_response({"delegations": views})

    @api("PUT", "/api/v1/volumes", summary="Record monthly dossier volumes of departments",
         body=VolumesSchema, auth=("manager",), responses={200: "how many months were recorded"})
    def record_volumes(self, request):
        """Monthly figures from before the system (or corrected ones) replace the count."""
        self.principal(request, "manager")
        body = read_json(request, VolumesSchema())
        with self.db.transaction() as cur:
            for volume in body["volumes"]:
                month = date.fromisoformat(volume["month"] + "-01")
                store.record_volume(cur, volume["department"], month, volume["dossiers"])
        return json_response({"recorded": len(body["volumes"])})

    @api("GET", "/api/v1/volumes",
         summary="Monthly dossier volumes (?department= narrows to one)", auth=("manager",),
         responses={200: "the volumes by department and month"})
    def list_volumes(self, request):
        self.principal(request, "manager")
        with self.db.transaction() as cur:
            volumes = store.list_volumes(cur, request.args.get("department"))
        return json_response({"volumes": volumes})

    # delegated reception (clerk) --------------------------------------------------------------
    @api("POST", "/api/v1/receptions",
         summary="Receive a dossier at the post office (the body of intake's POST /api/v1/dossiers)",
         body=ReceptionSchema, auth=("postal_clerk",),
         responses={201: "registered: the dossier as intake answers it (code, receipt, due date)",
                    200: "replay of an earlier request with the same Idempotency-Key",
                    403: "the post office has no delegation for this procedure",
                    409: "Idempotency-Key reused for a different body, or still in progress",
                    503: "intake cannot be reached; nothing was registered",
                    504: "intake did not answer in time; look at GET /api/v1/receptions"})
    def receive(self, request):
        caller = self.principal(request, "postal_clerk")
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
            raise ApiError(400, "bad_idempotency_key",
                           f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
        body = read_json(request, ReceptionSchema(unknown=INCLUDE))
        department = reception.department_of(self.catalogue, body["procedure_code"])
        with self.db.transaction() as cur:
            office = reception.clerk_office(cur, caller)
            reception.check_delegation(cur, office["code"], department, body["procedure_code"])
            if key:
                earlier = store.claim_reception_key(cur, caller.subject, key,
                                                    reception.request_hash(body))
                if earlier:
                    return self._replay(earlier, body)
        try:
            dossier = reception.register(self.intake, body, office, caller.subject,
                                         request.correlation_id, "counter")
        except ApiError as error:
            if error.status != 504:  # unanswered: the key stays claimed, a retry cannot double
                self._settle_key(caller.subject, key, None)
            raise
        receipt = {**dossier, "post_office": office["code"]}
        self._settle_key(caller.subject, key, receipt)
        log.info("dossier received by post office",
                 extra={"dossier_code": dossier["code"], "post_office": office["code"]})
        return json_response(receipt, 201)

    @api("GET", "/api/v1/receptions",
         summary="The dossiers the clerk's post office registered today", auth=("postal_clerk",),
         responses={200: "the receptions of today"})
    def list_receptions(self, request):
        """The dossiers the clerk's post office registered today (local date)."""
        caller = self.principal(request, "postal_clerk")
        with self.db.transaction() as cur:
            found = store.receptions_today(cur, caller.post_office)
        return json_response({"receptions": found})

    def _settle_key(self, clerk, key, receipt):
        if key:
            with self.db.transaction() as cur:
                store.settle_reception_key(cur, clerk, key, receipt and json_param(receipt))

    @staticmethod
    def _replay(earlier, body):
        if earlier["request_hash"] != reception.request_hash(body):
            raise ApiError(409, "idempotency_key_reused",
                           "this Idempotency-Key was used for a different dossier body")
        if earlier["response"] is None:
            raise ApiError(409, "in_progress", "this reception is still being registered")
        return json_response(earlier["response"], 200, {"Idempotent-Replayed": "true"})

    # pick-up at home --------------------------------------------------------------------------
    @api("POST", "/api/v1/pickups", summary="Ask the post office to pick a dossier up at home",
         body=PickupSchema, auth=("portal",), responses={201: ("requested", PickupView)})
    def request_pickup(self, request):
        caller = self.principal(request, "portal")
        body = read_json(request, PickupSchema())
        code = body["dossier"]["procedure_code"]
        department = reception.department_of(self.catalogue, code, "dossier.procedure_code",
                                             channel="postal")
        with self.db.transaction() as cur:
            if store.get_post_office(cur, body["post_office"]) is None:
                raise ApiError(422, "validation_failed", "unknown post office",
                               {"post_office": [f"no post office {body['post_office']}"]})
            reception.check_delegation(cur, body["post_office"], department, code, status=422)
            pickup = store.insert_pickup(cur, {
                "id": uuid.uuid4(), "post_office": body["post_office"], "department": department,
                "procedure_code": code, "address": body["pickup_address"],
                "dossier": json_param(body["dossier"]),
                "fee": int(self.config["POSTAL_PICKUP_FEE"]), "requested_by": caller.subject,
            })
        return json_response(pickup_view(pickup), 201)

    @api("GET", "/api/v1/pickups", summary="The pick-up orders of the clerk's post office",
         query=PickupQuerySchema, auth=("postal_clerk",),
         responses={200: ("the orders, with the addresses", PickupList)})
    def list_pickups(self, request):
        caller = self.principal(request, "postal_clerk")
        query = PickupQuerySchema().load(request.args.to_dict())
        with self.db.transaction() as cur:
            found = store.list_pickups(cur, caller.post_office, query["status"])
        return json_response({"pickups": [pickup_view(p, with_address=True) for p in found]})

    @api("POST", "/api/v1/pickups/<pickup_id>/collected",
         summary="The dossier was collected at the citizen's address", auth=("postal_clerk",),
         responses={200: ("collected", PickupView), 404: "no such order at this post office",
                    409: "the order is not waiting to be collected"})
    def pickup_collected(self, request, pickup_id):
        caller = self.principal(request, "postal_clerk")
        with self.db.transaction() as cur:
            pickup = self._clerk_pickup(cur, caller, pickup_id, "requested")
            pickup = store.mark_pickup_collected(cur, pickup["id"], caller.subject)
        return json_response(pickup_view(pickup))

    @api("POST", "/api/v1/pickups/<pickup_id>/received",
         summary="The collected dossier is checked and registered (channel postal)",
         auth=("postal_clerk",),
         responses={201: "registered: the dossier as intake answers it, and the order",
                    404: "no such order at this post office",
                    409: "the order has not been collected",
                    503: "intake cannot be reached; nothing was registered",
                    504: "intake did not answer in time"})
    def pickup_received(self, request, pickup_id):
        """The collected dossier is checked at the post office and registered (channel postal).
        The order stays locked while intake registers it, so it is registered once."""
        caller = self.principal(request, "postal_clerk")
        with self.db.transaction() as cur:
            pickup = self._clerk_pickup(cur, caller, pickup_id, "collected")
            office = reception.clerk_office(cur, caller)
            reception.check_delegation(cur, office["code"], pickup["department"],
                                       pickup["procedure_code"])
            dossier = reception.register(self.intake, pickup["dossier"], office, caller.subject,
                                         request.correlation_id, "pickup")
            pickup = store.mark_pickup_received(cur, pickup["id"], dossier["code"])
        return json_response({**dossier, "pickup": pickup_view(pickup)}, 201)

    @staticmethod
    def _clerk_pickup(cur, caller, pickup_id, expected_status):
        try:
            pickup = store.get_pickup(cur, uuid.UUID(pickup_id), lock=True)
        except ValueError:
            pickup = None
        if pickup is None or pickup["post_office"] != caller.post_office:
            raise ApiError(404, "not_found", f"no pick-up order {pickup_id} at this post office")
        if pickup["status"] != expected_status:
            raise ApiError(409, "conflict", f"the pick-up order is {pickup['status']}, "
                           f"not {expected_status}")
        return pickup

    # result delivery ----------------------------------------------------------------------------
    @reliable_handler("routing", "dossier.result_ready")
    def handle_result_ready(self, body):
        envelope = parse_envelope(body)
        result = validate_data(ResultReady, envelope)
        if result["delivery"]["method"] == "post" and not result["delivery"]["address"]:
            raise PoisonMessage("delivery by post without an address")
        with self.db.transaction() as cur:
            if not first_delivery(cur, store.SCHEMA, envelope["id"], "handle_result_ready"):
                return
            if result["delivery"]["method"] != "post" or not result["releasable"]:
                # at the counter, or held until the fees are paid (routing sends it again then)
                return
            shipment = create_shipment(cur, result, {
                "prefix": self.config.get("TRACKING_PREFIX", "RM"),
                "fee": int(self.config["POSTAL_RESULT_FEE"]),
                "post_office": self.config.get("DELIVERY_POST_OFFICE") or None,
            }, envelope["correlation_id"])
        if shipment:
            log.info("shipment created", extra={"dossier_code": result["code"],
                                                "tracking_number": shipment["tracking_number"]})

    @api("GET", "/api/v1/shipments", summary="Result shipments (a clerk sees its post office's)",
         query=ShipmentQuerySchema, auth=("manager", "postal_clerk"),
         responses={200: ("the shipments", ShipmentList)})
    def list_shipments(self, request):
        caller = self.principal(request, "manager", "postal_clerk")
        query = ShipmentQuerySchema().load(request.args.to_dict())
        office = caller.post_office if caller.role == "postal_clerk" else None
        with self.db.transaction() as cur:
            found = store.list_shipments(cur, office, query["status"], query["limit"])
        return json_response({"shipments": [public_view(s) for s in found]})

    @api("GET", "/api/v1/shipments/<tracking_number>", summary="One shipment and its tracking",
         auth=("manager", "postal_clerk"),
         responses={200: ("the shipment", ShipmentView), 404: "no such shipment for this caller"})
    def get_shipment(self, request, tracking_number):
        caller = self.principal(request, "manager", "postal_clerk")
        with self.db.transaction() as cur:
            shipment = store.get_shipment(cur, tracking_number)
            history = store.tracking_history(cur, tracking_number) if shipment else []
        if shipment is None or (caller.role == "postal_clerk" and
                                shipment["post_office"] != caller.post_office):
            raise ApiError(404, "not_found", f"no shipment {tracking_number} for this caller")
        return json_response(public_view(shipment, history))

    @api("POST", "/api/v1/shipments/<tracking_number>/events",
         summary="A tracking event of a shipment (picked up, in transit, delivered, failed...)",
         body=ClerkUpdateSchema, auth=("postal_clerk",),
         responses={201: ("applied", ShipmentUpdateAnswer),
                    200: ("already recorded: nothing changed", ShipmentUpdateAnswer),
                    404: "no such shipment at this post office",
                    409: "the event cannot follow the shipment's status"})
    def clerk_update(self, request, tracking_number):
        caller = self.principal(request, "postal_clerk")
        body = read_json(request, ClerkUpdateSchema())
        try:
            update = TrackingUpdateSchema().load({
                "tracking_number": tracking_number, "event": body["event"],
                "at": (body["at"] or now()).isoformat(), "reason": body["reason"],
            })
        except ValidationError as exc:
            raise ApiError(422, "validation_failed", "the update is invalid",
                           flatten_messages(exc.messages)) from exc
        try:
            with self.db.transaction() as cur:
                outcome, shipment = apply_update(cur, update, "clerk", caller.subject,
                                                 request.correlation_id, caller.post_office)
        except Refused as refused:
            status = 404 if str(refused).startswith("no shipment") else 409
            raise ApiError(status, "not_found" if status == 404 else "conflict",
                           str(refused)) from refused
        return json_response({"outcome": outcome, "shipment": public_view(shipment)},
                             201 if outcome == "applied" else 200)

    @api("POST", "/api/v1/tracking-imports",
         summary="The carrier's tracking file (CSV or JSON body): rows applied one by one",
         auth=("manager", "postal_clerk"),
         responses={200: ("what was applied, repeated and rejected", TrackingImportAnswer),
                    400: "the file cannot be read", 413: "the file is too large"})
    def import_tracking(self, request):
        """The carrier's tracking file (CSV or JSON): each row validated and applied on its
        own; bad rows are reported and skipped, repeated rows change nothing."""
        caller = self.principal(request, "manager", "postal_clerk")
        office = caller.post_office if caller.role == "postal_clerk" else None
        raw = request.stream.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            raise ApiError(413, "body_too_large", f"the file exceeds {MAX_IMPORT_BYTES} bytes")
        try:
            rows = read_rows(raw, request.content_type)
        except UnreadableFile as exc:
            raise ApiError(400, "unreadable_file", str(exc)) from exc
        valid, rejected = validate_rows(rows)
        applied = duplicates = 0
        for number, update in valid:
            try:
                with self.db.transaction() as cur:
                    outcome, _ = apply_update(cur, update, "import", caller.subject,
                                              request.correlation_id, office)
            except Refused as refused:
                rejected.append({"row": number, "tracking_number": update["tracking_number"],
                                 "errors": {"event": [str(refused)]}})
                continue
            applied += outcome == "applied"
            duplicates += outcome == "duplicate"
        rejected.sort(key=lambda r: r["row"])
        log.info("tracking file imported", extra={"rows": len(rows), "applied": applied,
                                                  "duplicates": duplicates,
                                                  "rejected": len(rejected)})
        return json_response({"rows": len(rows), "applied": applied, "duplicates": duplicates,
                              "rejected": rejected})

    # volumes and receptions from intake's events ----------------------------------------------
    # The month's counts and the day's receptions are read by reports, never at once: a batch
    # waits a fifth of a second for more dossiers, so a busy hour costs fewer commits.
    @reliable_batch_handler("intake", "dossier.received", linger=0.2)
    def handle_dossier_received(self, bodies):
        received = [self._received_dossier(body) for body in bodies]
        # One round trip for the batch, so the month's counter rows are locked only while
        # PostgreSQL runs it.
        with self.db.autocommit() as cur:
            batch = StatementBatch(cur)
            for envelope, dossier in received:
                self._count_received(batch, envelope, dossier)
            run_deliveries(batch, len(received))

    @staticmethod
    def _received_dossier(body):
        envelope = parse_envelope(body)
        return envelope, validate_data(DossierReceived, envelope, RECEIVED_FIELDS)

    @staticmethod
    def _count_received(batch, envelope, dossier):
        department = dossier["procedure"]["department"]
        received_at = dossier["received_at"].astimezone(TIMEZONE)
        record_delivery(batch, store.SCHEMA, envelope["id"], "handle_dossier_received")
        store.count_received(batch, department, month_start(received_at))
        receiver = dossier["receiver"]
        if dossier["channel"] == "postal" and receiver.get("kind") == "postal_clerk":
            store.insert_reception(batch, {
                "dossier_code": dossier["code"], "post_office": receiver["post_office"],
                "department": department, "procedure_code": dossier["procedure"]["code"],
                "clerk": receiver["id"], "received_at": received_at,
            })

    # reports and metrics ------------------------------------------------------------------------
    @api("GET", "/api/v1/reports", summary="Postal volumes by month: receptions, pick-ups, shipments",
         query=ReportQuerySchema, auth=("manager",), responses={200: "the report"})
    def report(self, request):
        self.principal(request, "manager")
        query = ReportQuerySchema().load(request.args.to_dict())
        first = datetime.fromisoformat(query["month_from"] + "-01").replace(tzinfo=TIMEZONE)
        last = datetime.fromisoformat(query["month_to"] + "-01").replace(tzinfo=TIMEZONE)
        if last < first:
            raise ApiError(422, "validation_failed", "the period is reversed",
                           {"to": ["must not be before from"]})
        with self.db.transaction() as cur:
            return json_response(reports.build(cur, first, reports.next_month(last)))

    @api("GET", "/metrics", summary="Prometheus metrics (text exposition format)")
    def metrics(self, request):
        with self.db.transaction() as cur:
            cur.execute("SELECT status, count(*)::int AS n FROM postal.shipments GROUP BY status")
            counts = {row["status"]: row["n"] for row in cur.fetchall()}
        for status in STATUSES:
            SHIPMENTS_NOW.labels(status).set(counts.get(status, 0))
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def delegation_view(delegation):
    return {
        "id": delegation["id"],
        "department": delegation["department"],
        "post_office": delegation["post_office"],
        "valid_from": delegation["valid_from"].isoformat(),
        "valid_to": delegation["valid_to"] and delegation["valid_to"].isoformat(),
        "procedures": delegation["procedures"],
        "volume": {"dossiers": delegation["volume"],
                   "from": delegation["volume_from"].isoformat(),
                   "to": delegation["volume_to"].isoformat()},
        "override_reason": delegation["override_reason"],
        "created_by": delegation["created_by"],
        "end_reason": delegation["end_reason"],
        "ended_by": delegation["ended_by"],
        "created_at": delegation["created_at"].isoformat(),
    }


def pickup_view(pickup, with_address=False):
    view = {
        "id": str(pickup["id"]),
        "post_office": pickup["post_office"],
        "department": pickup["department"],
        "procedure_code": pickup["procedure_code"],
        "fee": pickup["fee"],
        "status": pickup["status"],
        "dossier_code": pickup["dossier_code"],
        "requested_at": pickup["requested_at"].isoformat(),
    }
    if with_address:  # the clerk who collects needs it; nobody else sees it back
        view["address"] = pickup["address"]
    return view
