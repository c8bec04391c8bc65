"""routing: the dossier lifecycle after reception, department queues and actions, deadlines,
the public lookup, ratings and the center's statistics."""
import uuid

from werkzeug.wrappers import Response

from services.common.calendar import Calendar, store_overrides
from services.common.consumer import reliable_batch_event_handler, reliable_event_handler
from services.common.contracts import (
    CalendarChanged,
    DossierReceived,
    PaymentSettled,
    ShipmentDelivered,
)
from services.common.db import Database
from services.common.http import OpsEndpoints, api, json_response
from services.common.idempotency import key_of
from services.common.rpc import rpc
from services.common.settings import ServiceSettings
from services.common.timers import interval_timer

from . import agency_work, citizen, deadlines, forms, handlers, metrics, reports
from .assignment import assign, departments_of
from .dependencies import Clock, DepartmentQueues
from .lifecycle import local_day
from .perform import (
    ActionContext,
    action_body,
    as_department_answer,
    department_caller,
    officer,
    perform,
    performed,
    sent_body,
    sent_key,
)
from .schemas import (
    ActionAnswer,
    ActionBody,
    CitizenResubmitSchema,
    CitizenWithdrawSchema,
    FormQuerySchema,
    FormView,
    HandoversView,
    LookupQuerySchema,
    MonthQuerySchema,
    PeriodQuerySchema,
    PublicDossierView,
    RatingAnswer,
    RatingSchema,
    StepsQuerySchema,
    VolumesQuerySchema,
    WeekQuerySchema,
    WorklistQuerySchema,
    WorklistView,
    loaded,
)
from .settings import RoutingSettings

OFFICERS = ("department_officer", "counter_officer", "leader")
CITIZEN_ACTION_ANSWERS = {200: ("done: the dossier's status and due date now", ActionAnswer),
                          404: "no dossier with this code and lookup secret",
                          409: "the action does not apply to the dossier's status"}
REPORT_ANSWER = {200: "the report (JSON, or CSV with format=csv)"}


class RoutingService(OpsEndpoints):
    name = "routing"

    db = Database()
    calendar = Calendar()
    clock = Clock()
    settings = ServiceSettings(RoutingSettings)
    department_queues = DepartmentQueues()

    # events ---------------------------------------------------------------------------------
    # One round trip for the dossiers that queued up meanwhile: the deliveries' ids, the
    # dossiers, their history and events commit together.
    @reliable_batch_event_handler("intake", "dossier.received", contract=DossierReceived)
    def handle_dossier_received(self, batch, envelope, data):
        self.department_queues(departments_of(data))  # cooperating ones get consultations
        assign(batch, envelope, data)

    @reliable_event_handler("payment", "payment.settled", contract=PaymentSettled,
                            fields=handlers.PAYMENT_SETTLED_FIELDS)
    def handle_payment_settled(self, cur, envelope, data):
        handlers.payment_settled(cur, envelope, data)

    @reliable_event_handler("postal", "postal.delivered", contract=ShipmentDelivered,
                            fields=handlers.POSTAL_DELIVERED_FIELDS)
    def handle_postal_delivered(self, cur, envelope, data):
        handlers.postal_delivered(cur, envelope, data)

    @reliable_event_handler("intake", "calendar.changed", contract=CalendarChanged)
    def handle_calendar_changed(self, cur, envelope, data):
        store_overrides(cur, self.name, data)  # every instance computes with them at once

    # department and counter actions ----------------------------------------------------------
    @api("POST", "/api/v1/dossiers/<code>/actions/<action>",
         summary="A department's or counter's action on a dossier (accept, assign_officer, "
                 "propose, approve, send_back, transfer, request_supplement, consult, "
                 "complete, return, request_extension, ...)",
         body=ActionBody, auth=OFFICERS,
         responses={200: ("done (or an Idempotency-Key replay): the dossier's status and due "
                          "date now", ActionAnswer),
                    403: "the caller has no part in this dossier or this action",
                    404: "no such dossier or action",
                    409: "the action does not apply to the dossier's status, or the "
                         "Idempotency-Key was reused"})
    def act(self, request, code, action, caller, body):
        key = key_of(request)
        status, answer = self._perform(code, action, action_body(action, body), officer(caller),
                                       request.correlation_id,
                                       (caller.subject, key) if key else None)
        return json_response(answer, status)

    @rpc
    def department_action(self, code, action, department, officer_id, body,
                          idempotency_key=None, correlation_id=None, role="department_officer"):
        """The same actions for a department's own system, as its officer `officer_id` (its
        leader with role="leader"): errors come back as dicts."""
        return as_department_answer(lambda: self._perform(
            code, action, sent_body(action, body),
            officer(department_caller(role, officer_id, department)),
            correlation_id or str(uuid.uuid4()), sent_key(officer_id, idempotency_key))[1])

    @api("POST", "/api/v1/dossiers/<code>/resubmission",
         summary="The citizen hands in the supplement asked for (with the lookup secret)",
         body=CitizenResubmitSchema, responses=CITIZEN_ACTION_ANSWERS)
    def citizen_resubmit(self, request, code, body):
        return self._citizen_action(request, code, "resubmit", body)

    @api("POST", "/api/v1/dossiers/<code>/withdrawal",
         summary="The citizen asks to stop the dossier (with the lookup secret)",
         body=CitizenWithdrawSchema, responses=CITIZEN_ACTION_ANSWERS)
    def citizen_withdraw(self, request, code, body):
        return self._citizen_action(request, code, "withdraw", body)

    def _citizen_action(self, request, code, action, body):
        secret = body.pop("secret")
        # an unknown code gets the same answer as a wrong secret: nothing tells codes apart
        proving = citizen.proving(secret, self.settings.lookup_pepper)
        status, answer = self._perform(code, action, body, proving, request.correlation_id,
                                       unknown=citizen.NO_DOSSIER_FOR_SECRET)
        return json_response(answer, status)

    def _perform(self, code, action, body, who, correlation_id, idempotency=None, unknown=None):
        with self.db.transaction() as cur:
            ctx = ActionContext(cur, self.calendar, self.clock(), correlation_id,
                                self.settings)
            status, answer = perform(ctx, code, action, body, who, idempotency, unknown)
        performed(ctx, answer)
        return status, answer

    # inside the lead agency -----------------------------------------------------------------
    @api("GET", "/api/v1/my-dossiers",
         summary="The caller's dossiers: an officer's open ones, a leader's to assign or approve",
         query=WorklistQuerySchema, auth=("department_officer", "leader"),
         responses={200: ("nearest due date first, with working days left", WorklistView)})
    def my_dossiers(self, request, caller, query):
        with self.db.transaction() as cur:
            worklist = agency_work.worklist(cur, self.calendar, caller, self._today(),
                                            query["limit"])
        return json_response(worklist)

    @api("GET", "/api/v1/dossiers/<code>/handovers",
         summary="Every hand-over inside the lead agency: who gave, who took, when (Mẫu 06)",
         auth=(*OFFICERS, "manager"),
         responses={200: ("in order", HandoversView), 403: "the caller has no part in it",
                    404: "no such dossier"})
    def handovers(self, request, code, caller):
        with self.db.transaction() as cur:
            view = agency_work.handovers_view(cur, code, caller)
        return json_response(view)

    # forms ----------------------------------------------------------------------------------
    @api("GET", "/api/v1/dossiers/<code>/forms/<form>",
         summary="A form issued on the dossier (supplement_request: Mẫu 02, refusal: Mẫu 03, "
                 "extension: Mẫu 04, stop_notice: Mẫu 05), as JSON or printable HTML",
         query=FormQuerySchema, auth=(*OFFICERS, "manager"), public_if="secret",
         responses={200: ("the form", FormView),
                    404: "no such form for this dossier and caller"})
    def get_form(self, request, code, form, caller, query):
        """For the department's and counter's officers and managers by token, or for the
        citizen with the lookup secret."""
        with self.db.transaction() as cur:
            issued = forms.form_of(cur, code, form, query["secret"], caller,
                                   self.settings.lookup_pepper)
        if query["format"] == "html":
            return Response(forms.render_html(*issued), mimetype="text/html")
        return json_response(forms.view(*issued))

    # citizen --------------------------------------------------------------------------------
    @api("GET", "/api/v1/dossiers/<code>",
         summary="Public lookup: where the dossier is (with the lookup secret or the phone)",
         query=LookupQuerySchema,
         responses={200: ("the dossier as the citizen sees it", PublicDossierView),
                    404: "no dossier with this code and lookup secret or phone"})
    def lookup(self, request, code, query):
        with self.db.transaction() as cur:
            view = citizen.lookup(cur, code, query, self.settings.lookup_pepper)
        return json_response(view)

    @api("POST", "/api/v1/dossiers/<code>/rating",
         summary="The citizen rates the service once the result is returned",
         body=RatingSchema,
         responses={201: ("recorded", RatingAnswer),
                    404: "no dossier with this code and lookup secret",
                    409: "not returned yet, or already rated"})
    def rate(self, request, code, body):
        with self.db.transaction() as cur:
            answer = citizen.rate(cur, code, body, self.clock(), self.settings.lookup_pepper)
        return json_response(answer, 201)

    # reports --------------------------------------------------------------------------------
    @api("GET", "/api/v1/reports/period",
         summary="Dossiers received, resolved on time or late, in progress, by department",
         query=PeriodQuerySchema, auth=("manager",), responses=REPORT_ANSWER)
    def report_period(self, request, caller, query):
        with self.db.transaction() as cur:
            report = reports.period_report(cur, self.calendar, query["start"], query["end"],
                                           self._today(), query["department"])
        return report_response(report, query["format"], reports.period_csv)

    @api("GET", "/api/v1/reports/monthly", summary="The period report of a month",
         query=MonthQuerySchema, auth=("manager",), responses=REPORT_ANSWER)
    def report_monthly(self, request, caller, query):
        with self.db.transaction() as cur:
            report = reports.monthly_report(cur, self.calendar, query["month"], self._today(),
                                            query["department"])
        return report_response(report, query["format"], reports.period_csv)

    @api("GET", "/api/v1/reports/weekly", summary="The period report of a week",
         query=WeekQuerySchema, auth=("manager",), responses=REPORT_ANSWER)
    def report_weekly(self, request, caller, query):
        with self.db.transaction() as cur:
            report = reports.weekly_report(cur, self.calendar, query["week_of"], self._today())
        return report_response(report, query["format"], reports.period_csv)

    @api("GET", "/api/v1/reports/steps",
         summary="Time spent in each step of the lifecycle (JSON only)",
         query=StepsQuerySchema, auth=("manager",), responses={200: "the report"})
    def report_steps(self, request, caller, query):
        with self.db.transaction() as cur:
            report = reports.step_durations(cur, self.calendar, query["start"], query["end"],
                                            query["department"])
        return json_response(report)

    @api("GET", "/api/v1/reports/channels",
         summary="Dossiers by channel and department over a period",
         query=VolumesQuerySchema, auth=("manager",), responses=REPORT_ANSWER)
    def report_channels(self, request, caller, query):
        since, until = reports.default_six_months(self._today())
        with self.db.transaction() as cur:
            volumes = reports.department_volumes(cur, query["since"] or since,
                                                 query["until"] or until)
        return report_response(volumes, query["format"], reports.volumes_csv)

    @rpc
    def department_volumes(self, since, until):
        """Dossiers per department and channel in [since, until] (ISO dates), as the channel
        report answers them (with the 500-dossier rule's verdict for January to June); Invalid
        names a date that is not one."""
        period = loaded(VolumesQuerySchema, {"since": since, "until": until})
        with self.db.transaction() as cur:
            return reports.department_volumes(cur, period["since"], period["until"])

    def _today(self):
        return local_day(self.clock())

    # deadlines ------------------------------------------------------------------------------
    @interval_timer("DEADLINE_WATCH_SECONDS", 60)
    def watch_deadlines(self):
        with self.db.transaction() as cur:
            deadlines.watch(cur, self.calendar, self.clock(), self.settings)
        with self.db.transaction() as cur:
            metrics.refresh(cur)


def report_response(report, fmt, to_csv):
    if fmt == "csv":
        return Response(to_csv(report), mimetype="text/csv")
    return json_response(report)
