"""payment: bills, payments by cash, card and online gateway, receipts, reconciliation,
refunds and the ledger."""
from werkzeug.wrappers import Response

from services.common.consumer import reliable_bulk_event_handler, reliable_event_handler
from services.common.contracts import DossierReceived, DossierRefused, ShipmentCreated
from services.common.db import Database
from services.common.http import ApiError, OpsEndpoints, api, json_response
from services.common.idempotency import answered_once, key_of, request_hash
from services.common.settings import ServiceSettings
from services.common.timers import interval_timer

from . import billing, cashier, edge, online, portal_online, reconciliation, store, views
from .gateway import Vnpay
from .portalpay import PortalPay
from .receipts import render_html
from .schemas import (
    STATEMENT_FILE,
    BillList,
    BillQuerySchema,
    BillView,
    GatewayAck,
    GatewayQuerySchema,
    GatewayReturnView,
    PaymentAnswer,
    PaymentRequestSchema,
    PortalConfirmationAck,
    PortalConfirmationSchema,
    ReceiptQuerySchema,
    RefundAnswer,
    RefundRequestSchema,
    ReportQuerySchema,
    StatementQuerySchema,
)
from .settings import PaymentSettings


class PaymentService(OpsEndpoints):
    name = "payment"

    db = Database()
    settings = ServiceSettings(PaymentSettings)

    @property
    def gateway(self):
        return Vnpay(self.settings)

    @property
    def portal(self):
        return PortalPay(self.settings)

    # events --------------------------------------------------------------------------------
    # The bill's payment.requested only leads to an SMS that can wait: a batch waits 50 ms for
    # more dossiers, which makes a busy hour's batches larger.
    @reliable_bulk_event_handler("intake", "dossier.received", contract=DossierReceived,
                                 fields=billing.DOSSIER_BILL_FIELDS, linger=0.05)
    def handle_dossier_received(self, consumer, events):
        billing.bill_received_dossiers(self.db, self.settings, consumer, events)

    @reliable_bulk_event_handler("postal", "postal.shipment_created", contract=ShipmentCreated,
                                 fields=billing.SHIPMENT_BILL_FIELDS)
    def handle_shipment_created(self, consumer, events):
        billing.bill_shipments(self.db, self.settings, consumer, events)

    @reliable_event_handler("routing", "dossier.refused", contract=DossierRefused,
                            fields=("code", "reason", "refused_at"))
    def handle_dossier_refused(self, cur, envelope, data):
        billing.close_bills_of_refused_dossier(cur, envelope, data)

    # bills and payments ----------------------------------------------------------------------
    @api("GET", "/api/v1/bills", summary="The bills of a dossier", query=BillQuerySchema,
         auth=("counter_officer", "portal", "manager", "citizen"),
         responses={200: ("the bills the caller may see", BillList)})
    def list_bills(self, request, caller, query):
        with self.db.transaction() as cur:
            return json_response(cashier.bills_of_dossier(cur, caller, query["dossier_code"]))

    @api("GET", "/api/v1/bills/<bill_id>", summary="One bill, its payments, refunds and receipts",
         auth=("counter_officer", "portal", "manager", "citizen"),
         responses={200: ("the bill", BillView), 404: "no such bill for this caller"})
    def get_bill(self, request, bill_id, caller):
        with self.db.transaction() as cur:
            return json_response(cashier.bill(cur, caller, bill_id))

    @api("POST", "/api/v1/bills/<bill_id>/payments",
         summary="Pay a bill: cash or card at the counter, or start an online payment",
         body=PaymentRequestSchema, auth=("counter_officer", "portal", "citizen"),
         responses={201: ("recorded (cash, card) or started (online)", PaymentAnswer),
                    200: "replay of an earlier request with the same Idempotency-Key",
                    403: "this role may not take payments on this channel",
                    404: "no such bill for this caller",
                    409: "the bill is not payable, or the Idempotency-Key was reused",
                    503: "online payment is not configured, or the portal's platform is down"})
    def pay(self, request, bill_id, caller, body):
        cashier.check_channel(caller, body["channel"])
        if body["channel"] == "online" and body["provider"] == "dvcqg":
            status, answer, replayed = portal_online.start(
                self.db, self.portal, caller, bill_id, body, key_of(request),
                request_hash(request.method, request.path, body))
            return json_response(answer, status,
                                 {"Idempotent-Replayed": "true"} if replayed else None)
        return answered_once(self.db, store.SCHEMA, request, caller, body,
                             lambda cur: cashier.pay(cur, self.settings, self.gateway, caller,
                                                     bill_id, body, request.remote_addr,
                                                     request.correlation_id))

    @api("POST", "/api/v1/bills/<bill_id>/refunds", summary="Refund what a bill owes back",
         body=RefundRequestSchema, auth=("counter_officer", "manager"),
         responses={201: ("refunded", RefundAnswer),
                    200: "replay of an earlier request with the same Idempotency-Key",
                    404: "no such bill for this caller",
                    409: "nothing to refund, or the Idempotency-Key was reused"})
    def refund(self, request, bill_id, caller, body):
        return answered_once(self.db, store.SCHEMA, request, caller, body,
                             lambda cur: cashier.refund(cur, caller, bill_id, body,
                                                        request.correlation_id))

    @api("GET", "/api/v1/receipts/<receipt_id>",
         summary="A receipt (biên lai), as JSON or printable HTML (?format=html)",
         query=ReceiptQuerySchema, auth=("counter_officer", "portal", "manager", "citizen"),
         responses={200: "the receipt", 404: "no such receipt for this caller"})
    def get_receipt(self, request, receipt_id, caller, query):
        with self.db.transaction() as cur:
            receipt = cashier.receipt(cur, caller, receipt_id)
        if query["format"] == "html":
            return Response(render_html(receipt["content"]), mimetype="text/html")
        return json_response(views.receipt_view(receipt))

    # the gateway -----------------------------------------------------------------------------
    @api("GET", "/api/v1/gateway/vnpay/ipn",
         summary="The gateway's payment notification (IPN; signed vnp_* query parameters)",
         query=GatewayQuerySchema, responses={200: ("always 200: the outcome is in RspCode", GatewayAck)})
    def vnpay_ipn(self, request, query):
        """Server to server from the gateway: always 200 with VNPay's RspCode JSON."""
        return json_response(online.answer_ipn(self.db, self.gateway, self.settings, query,
                                               request.correlation_id))

    @api("GET", "/api/v1/gateway/vnpay/return",
         summary="Where the gateway sends the citizen back (signed vnp_* query parameters)",
         query=GatewayQuerySchema,
         responses={200: ("what to tell the citizen; only the IPN settles", GatewayReturnView),
                    400: "the signature does not verify"})
    def vnpay_return(self, request, query):
        with self.db.transaction() as cur:
            view = online.return_view(cur, self.gateway, query)
        if view is None:
            raise ApiError(400, "invalid_signature", "Chữ ký không hợp lệ: không xác minh được "
                           "kết quả do cổng thanh toán gửi về.")
        return json_response(view)

    @api("POST", "/api/v1/gateway/dvcqg/confirm",
         summary="The portal payment platform's confirmation (JSON signed by MaXacThuc)",
         body=PortalConfirmationSchema,
         responses={200: ("always 200: the outcome is in MaLoi", PortalConfirmationAck)})
    def dvcqg_confirm(self, request, body):
        """Server to server from the portal's platform: always 200 with its MaLoi JSON."""
        return json_response(portal_online.answer_confirmation(
            self.db, self.portal, self.settings, body, request.correlation_id))

    @interval_timer("PENDING_CHECK_SECONDS", 900)
    def check_pending_payments(self):
        online.run_pending_check(self.db, self.gateway, self.settings)
        portal_online.run_scheduled_check(self.db, self.portal, self.settings)

    @interval_timer("DAILY_CHECK_TICK_SECONDS", 3600)
    def check_yesterday(self):
        online.run_daily_check(self.db, self.gateway, self.settings)

    @interval_timer("DAILY_CHECK_TICK_SECONDS", 3600)
    def recheck_yesterdays_portal_payments(self):
        portal_online.run_daily_check(self.db, self.portal, self.settings)

    # statements and reconciliation -----------------------------------------------------------
    @api("POST", "/api/v1/statements",
         summary="Import a bank, treasury or gateway statement (CSV body) and reconcile the day",
         query=StatementQuerySchema, upload=STATEMENT_FILE, auth=("manager",),
         responses={201: "the reconciliation report of the day and channel",
                    200: "replay of an earlier request with the same Idempotency-Key",
                    409: "the Idempotency-Key was reused for another statement",
                    413: "the statement is too large"})
    def import_statement(self, request, caller, query):
        raw = edge.statement_file(request)
        return answered_once(
            self.db, store.SCHEMA, request, caller, reconciliation.what_is_imported(query, raw),
            lambda cur: reconciliation.import_statement(cur, raw, query["day"], query["channel"],
                                                        query["source"], caller.subject))

    @api("GET", "/api/v1/reconciliations/<day>",
         summary="The reconciliation report of a day (JSON or CSV)", query=ReportQuerySchema,
         auth=("manager",), responses={200: "the report",
                                       404: "no statement imported for that day"})
    def get_reconciliation(self, request, day, caller, query):
        with self.db.transaction() as cur:
            report = reconciliation.report_of_day(cur, day, query["channel"])
        if query["format"] == "csv":
            return Response(reconciliation.report_csv(report), mimetype="text/csv",
                            headers={"Content-Disposition":
                                     f'attachment; filename="reconciliation-{day}.csv"'})
        return json_response(report)
