"""intake: the procedure catalogue and the reception of dossiers (counter, online, postal)."""
import logging

from marshmallow import ValidationError
from prometheus_client import Counter
from werkzeug.wrappers import Response

from services.common.calendar import Calendar
from services.common.db import Database
from services.common.http import (
    ApiError,
    Auth,
    OpsEndpoints,
    api,
    flatten_messages,
    json_response,
    read_json,
)
from services.common.ratelimit import RateLimits
from services.common.rpc import rpc

from . import store
from .catalogue import ProcedureSchema
from .catalogue_cache import CatalogueCache
from .receipt import render_html
from .reception import Replay, created_response, register, request_hash
from .schemas import (
    DossierCreated,
    DossierRequestSchema,
    ProcedureList,
    ProcedureQuerySchema,
    ReceiverSchema,
)

log = logging.getLogger("motcua.intake")
# Schemas hold no state between loads: built once, not per request.
DOSSIER_REQUEST = DossierRequestSchema()
RECEIVER = ReceiverSchema()

CHANNEL_BY_ROLE = {"counter_officer": "counter", "portal": "online"}
MAX_IDEMPOTENCY_KEY = 200

DOSSIERS_RECEIVED = Counter(
    "motcua_dossiers_received_total", "Dossiers registered (counted after the commit)",
    ["channel", "department"],
)


class IntakeService(OpsEndpoints):
    name = "intake"

    db = Database()
    catalogue = CatalogueCache()
    calendar = Calendar()
    principal = Auth()
    # An officer can enter dossiers fast (bulk entry) but not flood; a citizen online rarely
    # files more than a few a minute.
    rate_limit = RateLimits(officer_submissions="1200/60", citizen_submissions="20/60")

    # catalogue -----------------------------------------------------------------------------
    @api("GET", "/api/v1/procedures", summary="The procedures of the catalogue",
         query=ProcedureQuerySchema, responses={200: ("the active procedures", ProcedureList)})
    def list_procedures(self, request):
        query = ProcedureQuerySchema().load(request.args.to_dict())
        with self.db.transaction() as cur:
            procedures = store.list_procedures(cur, query["department"], query["channel"])
        return json_response({"procedures": procedures, "count": len(procedures)})

    @api("GET", "/api/v1/procedures/<code>", summary="One procedure of the catalogue",
         responses={200: ("the procedure", ProcedureSchema), 404: "no such procedure"})
    def get_procedure(self, request, code):
        with self.db.transaction() as cur:
            procedure = store.get_procedure(cur, code)
        if procedure is None:
            raise ApiError(404, "not_found", f"no procedure with code {code}")
        return json_response(procedure)

    # reception -----------------------------------------------------------------------------
    @api("POST", "/api/v1/dossiers", summary="Receive a dossier (counter or online)",
         body=DossierRequestSchema, auth=("counter_officer", "portal"),
         responses={201: ("registered; Location is its receipt", DossierCreated),
                    200: ("replay of an earlier request with the same Idempotency-Key",
                          DossierCreated),
                    409: "Idempotency-Key reused for a different body"})
    def submit_dossier(self, request):
        caller = self.principal(request, "counter_officer", "portal")
        if caller.role == "counter_officer":
            self.rate_limit("officer_submissions", caller.subject)
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
            raise ApiError(400, "bad_idempotency_key",
                           f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
        body = read_json(request, DOSSIER_REQUEST)
        if caller.role == "portal":
            self.rate_limit("citizen_submissions", body["applicant"]["citizen_id"])
        channel = CHANNEL_BY_ROLE[caller.role]
        idempotency = (caller.subject, key, request_hash(body)) if key else None
        try:
            # autocommit: reading the catalogue (when not kept) takes no transaction;
            # registering is one statement
            with self.db.autocommit() as cur:
                procedure, counter_unit, center = self.catalogue.procedure_and_units(
                    body["procedure_code"],
                    lambda: store.get_procedure_and_units(cur, body["procedure_code"]))
                if caller.role == "counter_officer" and procedure and \
                        procedure["department"] != caller.department:
                    raise ApiError(
                        403, "forbidden",
                        f"a counter officer of {caller.department} cannot receive dossiers of "
                        f"department {procedure['department']}",
                    )
                unit = counter_unit if channel == "counter" else center
                if procedure is not None and unit is None:
                    raise ApiError(503, "catalogue_not_loaded",
                                   "the center's receiving unit has not been loaded")
                receiver = {"kind": caller.role, "id": caller.subject,
                            "department": caller.department}
                dossier = register(cur, self.calendar, body, procedure, channel, unit, receiver,
                                   request.correlation_id, idempotency)
        except Replay as replay:
            return self._replay(replay.earlier, idempotency)
        DOSSIERS_RECEIVED.labels(channel, dossier["department"]).inc()
        log.info("dossier received", extra={"dossier_code": dossier["code"], "channel": channel,
                                            "department": dossier["department"]})
        return json_response(created_response(dossier), 201,
                             {"Location": f"/api/v1/dossiers/{dossier['code']}/receipt"})

    def _replay(self, earlier, idempotency):
        if earlier["request_hash"] != idempotency[2]:
            raise ApiError(409, "idempotency_key_reused",
                           "this Idempotency-Key was used for a different dossier body")
        with self.db.transaction() as cur:
            dossier = store.get_dossier(cur, earlier["dossier_code"])
        return json_response(created_response(dossier), 200, {"Idempotent-Replayed": "true"})

    @api("GET", "/api/v1/dossiers/<code>/receipt", summary="The receipt of a dossier",
         auth=("counter_officer", "portal", "manager"),
         responses={404: "no receipt with this code for this caller"})
    def get_receipt(self, request, code):
        caller = self.principal(request, "counter_officer", "portal", "manager")
        with self.db.transaction() as cur:
            row = store.get_receipt(cur, code)
        if row is None or (caller.role == "counter_officer" and
                           row["department"] != caller.department):
            raise ApiError(404, "not_found", f"no receipt {code} for this caller")
        if request.args.get("format") == "html":
            return Response(render_html(row["receipt"]), mimetype="text/html")
        return json_response(row["receipt"])

    # RPC for postal's delegated reception -----------------------------------------------------
    @rpc
    def register_dossier(self, body, receiver, correlation_id):
        """Register a dossier received by a post office; errors come back as dicts."""
        try:
            request = DOSSIER_REQUEST.load(body)
            receiver = RECEIVER.load(receiver)
            with self.db.transaction() as cur:
                unit = {"code": receiver["receiving_unit"], "name": receiver["post_office"]}
                procedure = store.get_procedure(cur, request["procedure_code"])
                dossier = register(cur, self.calendar, request, procedure, "postal", unit,
                                   receiver, correlation_id)
        except ValidationError as exc:
            return {"error": {"status": 422, "message": "some fields are missing or invalid",
                              "fields": flatten_messages(exc.messages)}}
        except ApiError as exc:
            return {"error": {"status": exc.status, "message": exc.message, "fields": exc.fields}}
        DOSSIERS_RECEIVED.labels("postal", dossier["department"]).inc()
        return {"dossier": created_response(dossier)}

    @rpc
    def departments(self):
        with self.db.transaction() as cur:
            return [dict(row) for row in store.list_departments(cur)]
