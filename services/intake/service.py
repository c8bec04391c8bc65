"""intake: the procedure catalogue and the reception of dossiers (counter, online, postal)."""
import logging

from prometheus_client import Counter
from werkzeug.wrappers import Response

from services.common import idempotency
from services.common.calendar import Calendar
from services.common.db import Database
from services.common.errors import Unavailable
from services.common.http import OpsEndpoints, api, json_response
from services.common.ratelimit import RateLimits
from services.common.rpc import rpc
from services.common.settings import ServiceSettings

from . import procedures, reception, store
from .catalogue import ProcedureSchema
from .catalogue_cache import CatalogueCache
from .errors import NumbersExhausted
from .receipt import render_html
from .schemas import (
    DossierCreated,
    DossierRequestSchema,
    ProcedureList,
    ProcedureQuerySchema,
    ReceiptQuerySchema,
    ReceiverSchema,
    loaded,
)
from .settings import IntakeSettings

log = logging.getLogger("motcua.intake")
# Schemas hold no state between loads: built once, not per call.
DOSSIER_REQUEST = DossierRequestSchema()
RECEIVER = ReceiverSchema()
PROCEDURE_QUERY = ProcedureQuerySchema()

DOSSIERS_RECEIVED = Counter(
    "motcua_dossiers_received_total", "Dossiers registered (counted after the commit)",
    ["channel", "department"],
)


class IntakeService(OpsEndpoints):
    name = "intake"

    db = Database()
    catalogue = CatalogueCache()
    calendar = Calendar()
    settings = ServiceSettings(IntakeSettings)
    # An officer can enter dossiers fast (bulk entry) but not flood; a citizen online rarely
    # files more than a few a minute.
    rate_limit = RateLimits(officer_submissions="1200/60", citizen_submissions="20/60")

    # catalogue (named apart from the RPCs get_procedure and list_procedures, which answer
    # the same: a service class has one namespace for all its entrypoints) ------------------
    @api("GET", "/api/v1/procedures", summary="The procedures of the catalogue",
         query=ProcedureQuerySchema, responses={200: ("the active procedures", ProcedureList)})
    def browse_procedures(self, request, query):
        with self.db.transaction() as cur:
            return json_response(procedures.procedure_list(cur, **query))

    @api("GET", "/api/v1/procedures/<code>", summary="One procedure of the catalogue",
         responses={200: ("the procedure", ProcedureSchema), 404: "no such procedure"})
    def show_procedure(self, request, code):
        with self.db.transaction() as cur:
            return json_response(procedures.procedure(cur, code))

    # reception -----------------------------------------------------------------------------
    @api("POST", "/api/v1/dossiers", summary="Receive a dossier (counter or online)",
         body=DossierRequestSchema, auth=("counter_officer", "portal"),
         responses={201: ("registered; Location is its receipt", DossierCreated),
                    200: ("replay of an earlier request with the same Idempotency-Key",
                          DossierCreated),
                    409: "Idempotency-Key reused for a different body",
                    429: "too many submissions from this officer or for this citizen; "
                         "Retry-After says when to try again",
                    503: "the day's 9,999 numbers of the receiving unit are used "
                         "(numbers_exhausted), the catalogue is not loaded, or the database "
                         "is not reachable"})
    def submit_dossier(self, request, caller, body):
        self._limit_submissions(caller, body)
        key = idempotency.key_of(request)
        claim = idempotency.Claim(store.SCHEMA, caller.subject, key,
                                  idempotency.request_hash(body)) if key else None
        dossier, replayed = reception.receive(self.db, self.catalogue, self.calendar,
                                              self.settings, caller, body, claim,
                                              request.correlation_id)
        if replayed:
            return json_response(reception.created_response(dossier), 200,
                                 {"Idempotent-Replayed": "true"})
        self._received(dossier)
        return json_response(reception.created_response(dossier), 201,
                             {"Location": f"/api/v1/dossiers/{dossier['code']}/receipt"})

    def _limit_submissions(self, caller, body):
        if caller.role == "counter_officer":
            self.rate_limit("officer_submissions", caller.subject)
        else:
            self.rate_limit("citizen_submissions", body["applicant"]["citizen_id"])

    @staticmethod
    def _received(dossier):
        DOSSIERS_RECEIVED.labels(dossier["channel"], dossier["department"]).inc()
        log.info("dossier received", extra={"dossier_code": dossier["code"],
                                            "channel": dossier["channel"],
                                            "department": dossier["department"]})

    @api("GET", "/api/v1/dossiers/<code>/receipt", summary="The receipt of a dossier",
         auth=("counter_officer", "portal", "manager"), query=ReceiptQuerySchema,
         responses={200: "the receipt (Mẫu 01): JSON, or a printable HTML page with "
                         "format=html",
                    404: "no receipt with this code for this caller"})
    def get_receipt(self, request, code, caller, query):
        with self.db.transaction() as cur:
            receipt = reception.receipt_for(cur, caller, code)
        if query["format"] == "html":
            return Response(render_html(receipt), mimetype="text/html")
        return json_response(receipt)

    # RPC -----------------------------------------------------------------------------------
    @rpc
    def register_dossier(self, body, receiver, correlation_id):
        """Register a dossier received by a post office (delegated reception): {"dossier":
        ...} as POST /api/v1/dossiers answers it; Invalid naming the fields at fault,
        Unavailable when the unit's numbers of the day are used."""
        request, receiver = loaded(DOSSIER_REQUEST, body), loaded(RECEIVER, receiver)
        try:
            with self.db.transaction() as cur:
                dossier = reception.receive_by_post(cur, self.calendar, self.settings, request,
                                                    receiver, correlation_id)
        except NumbersExhausted as exc:
            # nameko rebuilds only registered classes at the caller: the kernel's, not ours
            raise Unavailable(exc.message, exc.code) from exc
        self._received(dossier)
        return {"dossier": reception.created_response(dossier)}

    @rpc
    def get_procedure(self, code):
        """As GET /api/v1/procedures/<code>; NotFound when no active procedure has it."""
        with self.db.transaction() as cur:
            return procedures.procedure(cur, code)

    @rpc
    def list_procedures(self, department=None, channel=None):
        """As GET /api/v1/procedures[?department=&channel=]; Invalid for a bad filter."""
        query = loaded(PROCEDURE_QUERY, {"department": department, "channel": channel})
        with self.db.transaction() as cur:
            return procedures.procedure_list(cur, **query)

    @rpc
    def departments(self):
        with self.db.transaction() as cur:
            return [dict(row) for row in store.list_departments(cur)]
