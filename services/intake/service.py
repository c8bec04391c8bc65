"""intake: the procedure catalogue, the calendar's overrides, and the reception of dossiers
(counter, online after the officer's formal reception, postal)."""
import logging

from prometheus_client import Counter
from werkzeug.wrappers import Response

from services.common import idempotency
from services.common.calendar import Calendar
from services.common.clock import Clock
from services.common.db import Database
from services.common.errors import Unavailable
from services.common.http import OpsEndpoints, api, json_response
from services.common.ratelimit import RateLimits
from services.common.rpc import rpc
from services.common.settings import ServiceSettings
from services.common.timers import interval_timer

from . import calendar_days, online, procedures, reception, store
from .catalogue import ProcedureSchema
from .catalogue_cache import CatalogueCache
from .errors import NumbersExhausted
from .receipt import render_html
from .schemas import (
    CalendarDaySchema,
    CalendarView,
    CorrectionsSchema,
    DossierCreated,
    DossierRequestSchema,
    ProcedureList,
    ProcedureQuerySchema,
    ReceiptQuerySchema,
    ReceiverSchema,
    SubmissionList,
    SubmissionQuerySchema,
    SubmissionView,
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
    calendar = Calendar(seed=calendar_days.seed)
    clock = Clock()
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

    # reception at the counter -----------------------------------------------------------------
    @api("POST", "/api/v1/dossiers", summary="Receive a dossier at the counter",
         body=DossierRequestSchema, auth=("counter_officer",),
         responses={201: ("registered; Location is its receipt", DossierCreated),
                    200: ("replay of an earlier request with the same Idempotency-Key",
                          DossierCreated),
                    409: "Idempotency-Key reused for a different body",
                    429: "too many submissions from this officer; Retry-After says when to "
                         "try again",
                    503: "the day's 9,999 numbers of the receiving unit are used "
                         "(numbers_exhausted), the catalogue is not loaded, or the database "
                         "is not reachable"})
    def submit_dossier(self, request, caller, body):
        self.rate_limit("officer_submissions", caller.subject)
        key = idempotency.key_of(request)
        claim = idempotency.Claim(store.SCHEMA, caller.subject, key,
                                  idempotency.request_hash(body)) if key else None
        # autocommit: reading the catalogue (when not kept) takes no transaction, and
        # registering is one statement
        with self.db.autocommit() as cur:
            dossier, replayed = reception.receive(cur, self._reception(request), self.catalogue,
                                                  caller, body, claim)
        return self._created(dossier, replayed)

    # online: awaiting the formal reception ----------------------------------------------------
    @api("POST", "/api/v1/submissions", summary="Take an online dossier from the portal: it "
         "awaits an officer's formal reception", body=DossierRequestSchema, auth=("portal",),
         responses={201: ("kept awaiting reception; Location is the submission", SubmissionView),
                    200: ("replay of an earlier request with the same Idempotency-Key",
                          SubmissionView),
                    409: "Idempotency-Key reused for a different body",
                    429: "too many submissions for this citizen; Retry-After says when"})
    def submit_online(self, request, caller, body):
        self.rate_limit("citizen_submissions", body["applicant"]["citizen_id"])
        with self.db.transaction() as cur:
            answer, replayed = online.submit(cur, self._reception(request), self.catalogue,
                                             caller, body, idempotency.key_of(request))
        if replayed:
            return json_response(answer, 200, {"Idempotent-Replayed": "true"})
        return json_response(answer, 201, {"Location": f"/api/v1/submissions/{answer['id']}"})

    @api("GET", "/api/v1/submissions", summary="Online dossiers of a status, the nearest "
         "reception deadline first", query=SubmissionQuerySchema,
         auth=("counter_officer", "manager"), responses={200: ("the list", SubmissionList)})
    def list_submissions(self, request, caller, query):
        with self.db.transaction() as cur:
            return json_response(online.listing(cur, caller, query))

    @api("GET", "/api/v1/submissions/<submission_id>", summary="One online dossier",
         auth=("counter_officer", "portal", "manager"),
         responses={200: ("the submission", SubmissionView), 404: "none for this caller"})
    def show_submission(self, request, caller, submission_id):
        with self.db.transaction() as cur:
            return json_response(online.view(online.visible(cur, caller, submission_id)))

    @api("POST", "/api/v1/submissions/<submission_id>/reception",
         summary="Formally receive an online dossier: numbered, receipt issued, period running",
         auth=("counter_officer",),
         responses={201: ("received; Location is its receipt", DossierCreated),
                    200: ("replay of an earlier request with the same Idempotency-Key",
                          DossierCreated),
                    404: "no such online dossier of the officer's agency",
                    409: "already received or sent back for corrections",
                    422: "the dossier no longer fits its procedure: ask for corrections",
                    503: "the day's numbers are used, or the catalogue is not loaded"})
    def receive_online(self, request, caller, submission_id):
        with self.db.transaction() as cur:
            dossier, replayed = online.receive(cur, self._reception(request), self.catalogue,
                                               caller, submission_id, idempotency.key_of(request))
        return self._created(dossier, replayed)

    @api("POST", "/api/v1/submissions/<submission_id>/corrections",
         summary="Ask for corrections instead of receiving an online dossier (Mẫu 02)",
         body=CorrectionsSchema, auth=("counter_officer",),
         responses={200: ("asked; the submission ends", SubmissionView),
                    404: "no such online dossier of the officer's agency",
                    409: "already received or sent back for corrections"})
    def ask_for_corrections(self, request, caller, submission_id, body):
        with self.db.transaction() as cur:
            return json_response(online.ask_for_corrections(
                cur, self._reception(request), caller, submission_id, body))

    @interval_timer("RECEPTION_WATCH_SECONDS", 60)
    def watch_receptions(self):
        with self.db.transaction() as cur:
            online.watch(cur, self.clock())

    def _reception(self, request):
        return reception.Reception(self.calendar, self.settings, self.clock(),
                                   request.correlation_id)

    def _created(self, dossier, replayed):
        if replayed:
            return json_response(reception.created_response(dossier), 200,
                                 {"Idempotent-Replayed": "true"})
        self._received(dossier)
        return json_response(reception.created_response(dossier), 201,
                             {"Location": f"/api/v1/dossiers/{dossier['code']}/receipt"})

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

    # the calendar's overrides -----------------------------------------------------------------
    @api("GET", "/api/v1/calendar", summary="The province's overrides of the national calendar",
         auth=("manager",), responses={200: ("the overrides", CalendarView)})
    def show_calendar(self, request, caller):
        with self.db.transaction() as cur:
            return json_response(calendar_days.overrides(cur))

    @api("PUT", "/api/v1/calendar/days/<day>", summary="Make a day (YYYY-MM-DD) a day off or a "
         "working day; every service follows at once", body=CalendarDaySchema, auth=("manager",),
         responses={200: ("the overrides now", CalendarView),
                    409: "the national calendar says so already"})
    def set_calendar_day(self, request, caller, day, body):
        with self.db.transaction() as cur:
            return json_response(calendar_days.set_day(cur, self._reception(request), caller,
                                                       day, body))

    @api("DELETE", "/api/v1/calendar/days/<day>", summary="The day follows the national "
         "calendar again", auth=("manager",),
         responses={200: ("the overrides now", CalendarView), 404: "no override of that day",
                    422: "the day is not a YYYY-MM-DD date of 2000 to 2099"})
    def remove_calendar_day(self, request, caller, day):
        with self.db.transaction() as cur:
            return json_response(calendar_days.remove_day(cur, self._reception(request), day))

    # RPC -----------------------------------------------------------------------------------
    @rpc
    def register_dossier(self, body, receiver, correlation_id):
        """Register a dossier received by a post office (delegated reception): {"dossier":
        ...} as POST /api/v1/dossiers answers it; Invalid naming the fields at fault,
        Unavailable when the unit's numbers of the day are used."""
        request, receiver = loaded(DOSSIER_REQUEST, body), loaded(RECEIVER, receiver)
        try:
            with self.db.transaction() as cur:
                ctx = reception.Reception(self.calendar, self.settings, self.clock(),
                                          correlation_id)
                dossier = reception.receive_by_post(cur, ctx, request, receiver)
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
