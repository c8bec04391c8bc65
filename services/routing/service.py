"""routing: the dossier lifecycle after reception, department queues and actions, deadlines,
the public lookup, evaluations and the officers' feedback, and the center's statistics."""
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
from services.common.dead_letters import DeadLetterEndpoints
from services.common.documents import Letterhead
from services.common.http import OpsEndpoints, api, json_response
from services.common.idempotency import answered_once, key_of
from services.common.rpc import RpcProxy, rpc
from services.common.settings import ServiceSettings
from services.common.timers import interval_timer

from . import (
    agency_work,
    bieu06,
    citizen,
    deadlines,
    evaluations,
    forms,
    handlers,
    inbox,
    metrics,
    reports,
    staff_feedback,
)
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
    CounterEvaluationAnswer,
    CounterEvaluationSchema,
    EvaluationAnswer,
    EvaluationSchema,
    FeedbackMonthQuerySchema,
    FormQuerySchema,
    FormView,
    HandoversView,
    InboxDossierView,
    InboxQuerySchema,
    InboxView,
    LookupQuerySchema,
    MonthQuerySchema,
    PeriodQuerySchema,
    PublicDossierView,
    StaffFeedbackSchema,
    StepsQuerySchema,
    VolumesQuerySchema,
    WeekQuerySchema,
    WorklistQuerySchema,
    WorklistView,
    loaded,
)
from .settings import RoutingSettings
from .store import SCHEMA

OFFICERS = ("department_officer", "counter_officer", "leader")
INBOX_READERS = (*OFFICERS, "manager")
CITIZEN_ACTION_ANSWERS = {200: ("done: the dossier's status and due date now", ActionAnswer),
                          404: "no dossier with this code and lookup secret",
                          409: "the action does not apply to the dossier's status"}
REPORT_ANSWER = {200: "the report (JSON, or CSV with format=csv)"}


class EvaluationEndpoints:
    """The applicants' evaluations (Decree 118/2025 art. 31-33) and the officers' anonymous
    feedback, mixed into RoutingService (whose dependencies they use)."""

    @api("GET", "/api/v1/evaluation-forms",
         summary="What the evaluation forms ask, in Vietnamese: the nine items of a dossier's "
                 "evaluation, the counter visit's levels, the officers' feedback topics",
         responses={200: "the forms: each item, answer or topic with its label"})
    def evaluation_forms(self, request):
        return json_response(evaluations.forms(self.settings.staff_feedback_min_answers))

    @api("POST", "/api/v1/dossiers/<code>/evaluation",
         summary="The applicant evaluates the dossier once it has ended, on the nine items of "
                 "art. 33(1) (with the lookup secret)",
         body=EvaluationSchema,
         responses={201: ("recorded, attributed to the officers who handled it",
                          EvaluationAnswer),
                    404: "no dossier with this code and lookup secret",
                    409: "not ended yet (`not_final`), or evaluated already "
                         "(`already_evaluated`)"})
    def evaluate_dossier(self, request, code, body):
        with self.db.transaction() as cur:
            answer = evaluations.evaluate_dossier(cur, code, body, self.clock(),
                                                  self.settings.lookup_pepper,
                                                  request.correlation_id)
        return json_response(answer, 201)

    @api("POST", "/api/v1/counter-evaluations",
         summary="A visit at the counter evaluated on the device there (art. 31(1)(b)): the "
                 "device is signed in as the counter's officer, who served the visitor",
         body=CounterEvaluationSchema, auth=("counter_officer",),
         responses={201: ("recorded", CounterEvaluationAnswer),
                    422: "a field is invalid (a dossier_code that does not exist)"})
    def evaluate_counter_visit(self, request, caller, body):
        return answered_once(self.db, SCHEMA, request, caller, body, lambda cur: (
            evaluations.evaluate_visit(cur, caller, body, self.clock())))

    @api("GET", "/api/v1/evaluations/summary",
         summary="The evaluations for publication: in total, per agency and per month; no "
                 "officer and nothing the applicants wrote",
         query=PeriodQuerySchema, responses=REPORT_ANSWER)
    def public_evaluations(self, request, query):
        with self.db.transaction() as cur:
            summary = evaluations.public_summary(cur, query["start"], query["end"],
                                                 query["department"])
        return report_response(summary, query["format"], evaluations.summary_csv)

    @api("GET", "/api/v1/reports/evaluations",
         summary="The evaluations of dossiers and counter visits: in total, per agency, per "
                 "month and per officer",
         query=PeriodQuerySchema, auth=("manager",), responses=REPORT_ANSWER)
    def report_evaluations(self, request, caller, query):
        with self.db.transaction() as cur:
            summary = evaluations.summary(cur, query["start"], query["end"], query["department"])
        return report_response(summary, query["format"], evaluations.summary_csv)

    @api("POST", "/api/v1/staff-feedback",
         summary="An officer at the center gives feedback anonymously: nothing of who gave it "
                 "is kept or logged (no Idempotency-Key either)",
         body=StaffFeedbackSchema, auth=("counter_officer",),
         responses={201: "recorded under the month only"})
    def give_staff_feedback(self, request, caller, body):
        with self.db.transaction() as cur:
            answer = staff_feedback.give(cur, body, self._today(),
                                         self.settings.staff_feedback_min_answers)
        return json_response(answer, 201)

    @api("GET", "/api/v1/reports/staff-feedback",
         summary="The officers' feedback of one month in aggregate, shown once the month has "
                 "STAFF_FEEDBACK_MIN_ANSWERS answers (5 or more)",
         query=FeedbackMonthQuerySchema, auth=("manager",),
         responses={200: "the month's answers per topic and the suggestions, or `shown` false"})
    def report_staff_feedback(self, request, caller, query):
        with self.db.transaction() as cur:
            summary = staff_feedback.summary(cur, query["month"],
                                             self.settings.staff_feedback_min_answers)
        return json_response(summary)


class RoutingService(EvaluationEndpoints, DeadLetterEndpoints, OpsEndpoints):
    name = "routing"

    db = Database()
    calendar = Calendar()
    clock = Clock()
    settings = ServiceSettings(RoutingSettings)
    department_queues = DepartmentQueues()
    letterhead = Letterhead()
    docstore = RpcProxy("docstore")  # checks the electronic result `complete` names

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
                    409: "the action does not apply to the dossier's status, the "
                         "Idempotency-Key was reused, or complete's result_document_id is "
                         "not the agency's signed result of this dossier",
                    503: "docstore cannot check complete's result_document_id: nothing "
                         "changed"})
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
                                self.settings, self.docstore)
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

    @api("GET", "/api/v1/inbox",
         summary="The agency's dossiers for its officers: filtered, searched by code, phone or "
                 "name (with or without diacritics), by due date, a page at a time",
         query=InboxQuerySchema, auth=INBOX_READERS,
         responses={200: ("nearest due date first, with working days left", InboxView)})
    def inbox_list(self, request, caller, query):
        with self.db.transaction() as cur:
            return json_response(inbox.listing(cur, self.calendar, caller, query, self._today()))

    @api("GET", "/api/v1/inbox/<code>",
         summary="One dossier as an officer sees it: its timeline and the actions the "
                 "lifecycle table allows the caller now", auth=INBOX_READERS,
         responses={200: ("the dossier", InboxDossierView),
                    404: "no such dossier among the caller's"})
    def inbox_dossier(self, request, code, caller):
        with self.db.transaction() as cur:
            return json_response(inbox.one(cur, self.calendar, caller, code, self._today()))

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
                 "extension: Mẫu 04, stop_notice: Mẫu 05; for officers and managers only: "
                 "control_slip: Mẫu 06, result_handover: the hand-over slip of a result "
                 "returned at the counter), as JSON or printable HTML",
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
            return Response(forms.render_html(*issued, self.letterhead), mimetype="text/html")
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

    @api("GET", "/api/v1/reports/bieu06",
         summary="Biểu 06/VPCP/KSTT: received, resolved early, on time or late, pending within "
                 "time or overdue, per lĩnh vực of each agency",
         query=PeriodQuerySchema, auth=("manager",), responses=REPORT_ANSWER)
    def report_bieu06(self, request, caller, query):
        with self.db.transaction() as cur:
            report = bieu06.report(cur, query["start"], query["end"], self._today(),
                                   query["department"])
        return report_response(report, query["format"], bieu06.to_csv)

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
