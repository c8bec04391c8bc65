"""notify: tells the citizen by SMS and email what happens to their dossier.

Handlers only record: in the transaction that consumes an event they store the rendered
notifications as `pending` (one per event and channel), then wake the sender. The sender
(woken, or every second) claims due notifications as `sending` (FOR UPDATE SKIP LOCKED, and a
lease), so the attempt is recorded before it is made and two notify instances never send one
twice; it sends them outside any transaction and records the batch's outcomes in one
transaction: `sent` (a delivery report will follow), `delivered`, a retry with backoff, after
RETRY_FOR_SECONDS `failed`, or `unknown` when the gateway's answer was lost.
An attempt still `sending` when its lease ends (its sender died, or lost the database) is
`unknown` too. The gateway's report settles an unknown attempt (Kannel's acceptance report
comes within seconds); one with no report within ACCEPTANCE_WINDOW_SECONDS is sent again.
`sent` without a delivery report past DLR_TIMEOUT_SECONDS becomes `expired`.
"""
from services.common.consumer import reliable_bulk_event_handler
from services.common.contracts import (
    ApologyIssued,
    DossierClosed,
    DossierExtended,
    DossierReceived,
    DossierRefused,
    DossierWithdrawn,
    PaymentRequested,
    ResultIssued,
    ResultReady,
    ShipmentCreated,
    ShipmentDelivered,
    SupplementRequested,
)
from services.common.db import Database
from services.common.http import OpsEndpoints, api, json_response
from services.common.settings import ServiceSettings
from services.common.timers import interval_timer

from . import contacts, recording, reports, sender
from .gateways import Gateways
from .messages import RECEIVED_FIELDS
from .schemas import (
    DeliveryReportAnswer,
    DlrQuerySchema,
    DossierNotifications,
    OptOutAnswer,
    OptOutSchema,
)
from .settings import NotifySettings
from .wakeup import WakeSender, wakeable_timer


class NotifyService(OpsEndpoints):
    name = "notify"

    db = Database()
    settings = ServiceSettings(NotifySettings)
    gateways = Gateways()
    wake_sender = WakeSender()

    # --- events: record what to send (services.notify.recording) -----------------------------
    @reliable_bulk_event_handler("intake", "dossier.received", contract=DossierReceived,
                                 fields=RECEIVED_FIELDS)
    def handle_dossier_received(self, consumer, events):
        self._record(consumer, events)

    @reliable_bulk_event_handler("routing", "dossier.supplement_requested",
                                 contract=SupplementRequested)
    def handle_supplement_requested(self, consumer, events):
        self._record(consumer, events)

    @reliable_bulk_event_handler("routing", "dossier.result_ready", contract=ResultReady)
    def handle_result_ready(self, consumer, events):
        self._record(consumer, events)

    @reliable_bulk_event_handler("routing", "dossier.extended", contract=DossierExtended)
    def handle_dossier_extended(self, consumer, events):
        self._record(consumer, events)

    # extensions routing announced before the upgrade to Decree 118/2025, still queued
    @reliable_bulk_event_handler("routing", "dossier.apology_issued", contract=ApologyIssued)
    def handle_apology_issued(self, consumer, events):
        self._record(consumer, events)

    @reliable_bulk_event_handler("routing", "dossier.refused", contract=DossierRefused)
    def handle_dossier_refused(self, consumer, events):
        self._record(consumer, events)

    @reliable_bulk_event_handler("routing", "dossier.closed", contract=DossierClosed)
    def handle_dossier_closed(self, consumer, events):
        self._record(consumer, events)

    @reliable_bulk_event_handler("routing", "dossier.withdrawn", contract=DossierWithdrawn)
    def handle_dossier_withdrawn(self, consumer, events):
        self._record(consumer, events)

    @reliable_bulk_event_handler("payment", "payment.requested", contract=PaymentRequested)
    def handle_payment_requested(self, consumer, events):
        self._record(consumer, events)

    @reliable_bulk_event_handler("postal", "postal.shipment_created", contract=ShipmentCreated)
    def handle_shipment_created(self, consumer, events):
        self._record(consumer, events)

    @reliable_bulk_event_handler("postal", "postal.delivered", contract=ShipmentDelivered)
    def handle_shipment_delivered(self, consumer, events):
        self._record(consumer, events)

    @reliable_bulk_event_handler("docstore", "result.issued", contract=ResultIssued)
    def handle_result_issued(self, consumer, events):
        self._record(consumer, events)

    def _record(self, consumer, events):
        if recording.record(self.db, self.settings, consumer, events):
            self.wake_sender()

    # --- the sender (services.notify.sender) -------------------------------------------------
    @wakeable_timer("SENDER_TICK_SECONDS", 1)
    def send_due(self):
        """Sends what is due, batch after batch; runs when a handler recorded something to
        send, and every SENDER_TICK_SECONDS."""
        sender.Sender(self.db, self.settings, self.gateways).send_due()

    @interval_timer("SENDER_TICK_SECONDS", 1)
    def watch_attempts(self):
        """Attempts whose lease ended become `unknown`; unknown ones with no report within the
        acceptance window are sent again; `sent` ones with no delivery report expire."""
        if sender.watch_attempts(self.db, self.settings):
            self.wake_sender()

    # --- HTTP -------------------------------------------------------------------------------
    @api("GET", "/api/v1/notify/dlr/<secret>",
         summary="Delivery report of an SMS (Kannel's dlr-url or an HTTP aggregator)",
         query=DlrQuerySchema,
         responses={200: ("recorded (an intermediate report is noted)", DeliveryReportAnswer),
                    403: "unknown delivery-report secret", 404: "no notification with this id"})
    def delivery_report(self, request, secret, query):
        """Kannel's (or the aggregator's) delivery report; the secret in the URL proves it.
        Answered 200 only once recorded: Kannel tries a report again on any other answer."""
        reports.check_secret(self.settings.dlr_secret, secret)
        with self.db.transaction() as cur:
            answer = reports.record_report(cur, query, self.gateways.sms.name)
        return json_response(answer)

    @api("GET", "/api/v1/dossiers/<code>/notifications",
         summary="The notifications sent about a dossier (recipients masked)",
         auth=("manager", "department_officer", "leader", "counter_officer"),
         responses={200: ("the notifications, oldest first", DossierNotifications),
                    403: "the dossier belongs to another department",
                    404: "no notifications for this dossier"})
    def notifications_of_dossier(self, request, code, caller):
        with self.db.transaction() as cur:
            answer = contacts.dossier_notifications(cur, caller, code)
        return json_response(answer)

    @api("POST", "/api/v1/opt-outs", summary="Stop notifications to a phone number or email",
         body=OptOutSchema, auth=("portal", "counter_officer", "manager"),
         responses={201: ("recorded", OptOutAnswer)})
    def add_opt_out(self, request, caller, body):
        """The citizen asks (through the portal or an officer) to receive nothing more on a
        channel; notifications still waiting to that address are not sent either."""
        with self.db.transaction() as cur:
            answer = contacts.opt_out(cur, body["channel"], body["address"])
        return json_response(answer, 201)
