"""intake: the procedure catalogue, the calendar's overrides, and the reception of dossiers
(counter, online after the officer's formal reception, postal)."""
import logging

from prometheus_client import Counter
from werkzeug.wrappers import Response

from services.common import idempotency
from services.common.calendar import Calendar
from services.common.clock import Clock
from services.common.db import Database
from services.common.documents import Letterhead
from services.common.errors import Unavailable
from services.common.events import TIMEZONE
from services.common.http import OpsEndpoints, api, json_response
from services.common.ratelimit import RateLimits
from services.common.rpc import RpcProxy, rpc
from services.common.settings import ServiceSettings
from services.common.timers import interval_timer

from . import calendar_days, counter_slips, online, procedures, reception, register, store
from .catalogue import ProcedureSchema
from .catalogue_cache import CatalogueCache
from .errors import NumbersExhausted
from .receipt import render_html, render_transfer_slip, transfer_slip
from .schemas import (
    AgencyList,
    CalendarDaySchema,
    CalendarView,
    CenterList,
    CorrectionsSchema,
    CounterRefusalSchema,
    CounterSlipView,
    DossierCreated,
    DossierRequestSchema,
    GuidanceSchema,
    ProcedureList,
    ProcedureQuerySchema,
    ReceiptQuerySchema,
    ReceiverSchema,
    ReceptionDataView,
    RegisterQuerySchema,
    RegisterView,
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


GUIDANCE = ("Record and number the guidance to complete a dossier handed in incomplete (Mẫu "
            "02): the catalogue's mandatory documents not handed in, and what the officer adds")
REFUSAL = ("Record and number the refusal to receive a dossier that is not admissible, with "
           "the reason (Mẫu 03)")
REGISTER = ("the register: JSON, a printable page (format=html) or CSV (format=csv); a counter "
            "officer's agency's dossiers only")
PRINTED = {200: "JSON, or a printable HTML page with format=html",
           404: "none with this code for this caller"}
SLIP_RECORDED = {201: ("recorded; print_url prints it", CounterSlipView),
                 403: "a procedure the officer's agency does not receive",
                 409: "Idempotency-Key reused for a different body"}
COUNTER_RECEPTION_ANSWERS = {
    201: ("registered; Location is its receipt", DossierCreated),
    200: ("replay of an earlier request with the same Idempotency-Key", DossierCreated),
    403: "another agency's procedure, or a scan (documents[].document_id) another agency "
         "digitised",
    409: "Idempotency-Key reused for a different body, or a scan unknown, not clean, or "
         "already in another dossier (the field named)",
    429: "too many submissions from this officer; Retry-After says when to try again",
    503: "the day's 9,999 numbers of the receiving unit are used (numbers_exhausted), the "
         "catalogue is not loaded, the database is not reachable, or docstore cannot check "
         "the scans: nothing stored"}
SLIP_SHOWN = {200: ("the slip: JSON, or a printable page with format=html", CounterSlipView),
              404: "none for this caller"}


def printable(fmt, view, render, letterhead, as_json=lambda view: view, as_csv=None):
    """The printable page of a form (format=html), its CSV (format=csv), else its JSON."""
    if fmt == "html":
        return Response(render(view, letterhead), mimetype="text/html")
    if fmt == "csv":
        return Response(as_csv(view), mimetype="text/csv")
    return json_response(as_json(view))


def created_answer(dossier, replayed):
    """201 with the dossier just received, or 200 replaying the one a key received before."""
    if replayed:
        return json_response(reception.created_response(dossier), 200,
                             {"Idempotent-Replayed": "true"})
    count_received(dossier)
    return json_response(reception.created_response(dossier), 201,
                         {"Location": f"/api/v1/dossiers/{dossier['code']}/receipt"})


def count_received(dossier):
    DOSSIERS_RECEIVED.labels(dossier["channel"], dossier["department"]).inc()
    log.info("dossier received", extra={"dossier_code": dossier["code"],
                                        "channel": dossier["channel"],
                                        "department": dossier["department"]})


class ReceptionReadEndpoints:
    """What was received with a dossier, for the desk's dossier page (IntakeService's db)."""

    @api("GET", "/api/v1/dossiers/<code>/reception",
         summary="What was received with a dossier: the applicant and the documents",
         auth=("counter_officer", "department_officer", "leader", "portal", "manager"),
         responses={200: ("the reception data", ReceptionDataView),
                    404: "no such dossier for this caller"})
    def get_reception_data(self, request, code, caller):
        with self.db.transaction() as cur:
            return json_response(reception.reception_data(cur, caller, code))


class IntakeService(ReceptionReadEndpoints, OpsEndpoints):
    name = "intake"

    db = Database()
    catalogue = CatalogueCache()
    calendar = Calendar(seed=calendar_days.seed)
    clock = Clock()
    settings = ServiceSettings(IntakeSettings)
    letterhead = Letterhead()
    # An officer can enter dossiers fast (bulk entry) but not flood; a citizen online rarely
    # files more than a few a minute.
    rate_limit = RateLimits(officer_submissions="1200/60", citizen_submissions="20/60")
    docstore = RpcProxy("docstore")  # checks the scans a dossier is registered with

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

    @api("GET", "/api/v1/agencies", summary="The agencies that decide procedures",
         responses={200: ("each with its kind and electronic identifier", AgencyList)})
    def browse_agencies(self, request):
        with self.db.transaction() as cur:
            return json_response(procedures.agency_list(cur))

    @api("GET", "/api/v1/centers", summary="The one-stop centers of the province",
         responses={200: ("the provincial center first, each with its counters", CenterList)})
    def browse_centers(self, request):
        with self.db.transaction() as cur:
            return json_response(procedures.center_list(cur))

    # reception at the counter -----------------------------------------------------------------
    @api("POST", "/api/v1/dossiers", summary="Receive a dossier at the counter",
         body=DossierRequestSchema, auth=("counter_officer",),
         responses=COUNTER_RECEPTION_ANSWERS)
    def submit_dossier(self, request, caller, body):
        self.rate_limit("officer_submissions", caller.subject)
        key = idempotency.key_of(request)
        claim = idempotency.Claim(store.SCHEMA, caller.subject, key,
                                  idempotency.request_hash(body)) if key else None
        dossier, replayed = reception.receive(self.db, self._reception(request), self.catalogue,
                                              self.docstore, caller, body, claim)
        return created_answer(dossier, replayed)

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
                    403: "a scan another agency digitised",
                    409: "already received or sent back for corrections, or a scan "
                         "unknown, not clean, or already in another dossier",
                    422: "the dossier no longer fits its procedure: ask for corrections",
                    503: "the day's numbers are used, the catalogue is not loaded, or "
                         "docstore cannot check the scans"})
    def receive_online(self, request, caller, submission_id):
        with self.db.transaction() as cur:
            dossier, replayed = online.receive(cur, self._reception(request), self.catalogue,
                                               self.docstore, caller, submission_id,
                                               idempotency.key_of(request))
        return created_answer(dossier, replayed)

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

    @api("GET", "/api/v1/dossiers/<code>/receipt", summary="The receipt of a dossier (Mẫu 01)",
         auth=("counter_officer", "postal_clerk", "portal", "manager"), query=ReceiptQuerySchema,
         responses=PRINTED)
    def get_receipt(self, request, code, caller, query):
        with self.db.transaction() as cur:
            receipt = reception.receipt_for(cur, caller, code)
        return printable(query["format"], receipt, render_html, self.letterhead)

    @api("GET", "/api/v1/dossiers/<code>/transfer-slip", summary="The transfer slip (Phiếu "
         "chuyển xử lý) from the receiving unit to the competent agency",
         auth=("counter_officer", "postal_clerk", "manager"), query=ReceiptQuerySchema,
         responses=PRINTED)
    def get_transfer_slip(self, request, code, caller, query):
        with self.db.transaction() as cur:
            receipt = reception.receipt_for(cur, caller, code)
        return printable(query["format"], receipt, render_transfer_slip, self.letterhead,
                         transfer_slip)

    # slips given at the counter instead of a receipt (Mẫu 02, 03), and the register (Mẫu 07)
    @api("POST", "/api/v1/guidance", summary=GUIDANCE, body=GuidanceSchema,
         auth=("counter_officer",), responses={**SLIP_RECORDED, 422: "nothing is missing"})
    def give_guidance(self, request, caller, body):
        return self._counter_slip(request, caller, "guidance", body)

    @api("GET", "/api/v1/guidance/<slip_id>", summary="A guidance slip (Mẫu 02)",
         auth=("counter_officer", "manager"), query=ReceiptQuerySchema, responses=SLIP_SHOWN)
    def show_guidance(self, request, caller, slip_id, query):
        return self._shown_slip(caller, "guidance", slip_id, query)

    @api("POST", "/api/v1/refusals", summary=REFUSAL, body=CounterRefusalSchema,
         auth=("counter_officer",), responses=SLIP_RECORDED)
    def refuse_at_counter(self, request, caller, body):
        return self._counter_slip(request, caller, "refusal", body)

    @api("GET", "/api/v1/refusals/<slip_id>", summary="A refusal at the counter (Mẫu 03)",
         auth=("counter_officer", "manager"), query=ReceiptQuerySchema, responses=SLIP_SHOWN)
    def show_refusal(self, request, caller, slip_id, query):
        return self._shown_slip(caller, "refusal", slip_id, query)

    def _counter_slip(self, request, caller, kind, body):
        def issue(cur):
            return counter_slips.issue(cur, self.catalogue, caller, kind, body, self.clock())
        return idempotency.answered_once(self.db, store.SCHEMA, request, caller, body, issue)

    def _shown_slip(self, caller, kind, slip_id, query):
        with self.db.transaction() as cur:
            slip = counter_slips.slip_for(cur, caller, kind, slip_id)
        return printable(query["format"], slip, counter_slips.render_html, self.letterhead)

    @api("GET", "/api/v1/register", summary="The dossier register (Mẫu 07) of a day, a book "
         "per receiving unit", auth=("counter_officer", "manager"), query=RegisterQuerySchema,
         responses={200: (REGISTER, RegisterView)})
    def show_register(self, request, caller, query):
        day = query["day"] or self.clock().astimezone(TIMEZONE).date()
        with self.db.transaction() as cur:
            book = register.register_of(cur, caller, day, query["unit"])
        return printable(query["format"], book, register.render_html, self.letterhead,
                         as_csv=register.to_csv)

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
                dossier = reception.receive_by_post(cur, ctx, self.catalogue, self.docstore,
                                                    request, receiver)
        except NumbersExhausted as exc:
            # nameko rebuilds only registered classes at the caller: the kernel's, not ours
            raise Unavailable(exc.message, exc.code) from exc
        count_received(dossier)
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
