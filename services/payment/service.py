"""payment: bills, payments by cash, card and online gateway, receipts, reconciliation,
refunds and the ledger."""
import hashlib
import json
import logging
import uuid
from datetime import date, timedelta

from nameko.timer import Timer
from werkzeug.wrappers import Response

from services.common import logs
from services.common.consumer import (
    bind_envelope,
    first_delivery,
    parse_envelope,
    reliable_batch_handler,
    reliable_handler,
    validate_data,
)
from services.common.contracts import DossierReceived, DossierRefused, ShipmentCreated
from services.common.db import Database
from services.common.events import now
from services.common.http import ApiError, Auth, OpsEndpoints, api, json_response, read_json

from . import billing, online, reconciliation, store
from .gateway import IPN_UNKNOWN_ERROR, GatewayNotConfigured, Vnpay
from .receipts import render_html
from .schemas import (
    BillList,
    BillQuerySchema,
    BillView,
    GatewayAck,
    GatewayReturnView,
    PaymentAnswer,
    PaymentRequestSchema,
    ReceiptQuerySchema,
    RefundAnswer,
    RefundRequestSchema,
    ReportQuerySchema,
    StatementQuerySchema,
)

log = logging.getLogger("motcua.payment")

MAX_IDEMPOTENCY_KEY = 200
MAX_STATEMENT_BYTES = 5 * 1024 * 1024
ROLE_BY_CHANNEL = {"cash": ("counter_officer",), "card": ("counter_officer",),
                   "online": ("portal",)}


class ScheduledCheck(Timer):
    """nameko's timer with its interval read from a setting, so tests can run it quickly."""

    def __init__(self, setting, default_seconds, **kwargs):
        super().__init__(default_seconds, **kwargs)
        self.setting = setting

    def setup(self):
        self.interval = float(self.container.config.get(self.setting) or self.interval)
        super().setup()


scheduled = ScheduledCheck.decorator


class PaymentService(OpsEndpoints):
    name = "payment"

    db = Database()
    principal = Auth()

    @property
    def gateway(self):
        return Vnpay(self.config)

    # events --------------------------------------------------------------------------------
    # The bill's payment.requested only leads to an SMS that can wait: a batch waits 50 ms for
    # more dossiers, which makes a busy hour's batches larger.
    @reliable_batch_handler("intake", "dossier.received", linger=0.05)
    def handle_dossier_received(self, bodies):
        received = [self._received_dossier(body) for body in bodies]
        consumer = "handle_dossier_received"
        # One round trip: the deliveries' ids, the bills and their payment.requested commit
        # together.
        with self.db.autocommit() as cur:
            bills = billing.bill_at_once(cur, self.config, [
                (envelope, consumer, billing.dossier_bill(envelope, data), data["code"])
                for envelope, data in received])
        for (envelope, data), bill in zip(received, bills, strict=True):
            bind_envelope(envelope)
            if bill == billing.REFUSED_BEFORE_BILLED:
                bill = self._bill_refused_dossier(envelope, data, consumer)
            if bill:
                log.info("dossier billed", extra={"dossier_code": data["code"],
                                                  "bill_id": str(bill["id"]),
                                                  "amount": bill["amount"]})

    @staticmethod
    def _received_dossier(body):
        envelope = parse_envelope(body)
        return envelope, validate_data(DossierReceived, envelope, billing.DOSSIER_BILL_FIELDS)

    def _bill_refused_dossier(self, envelope, data, consumer):
        """Rare: the refusal overtook dossier.received. The bill is made and cancelled at once."""
        with self.db.transaction() as cur:
            if not first_delivery(cur, store.SCHEMA, envelope["id"], consumer):
                return None
            return billing.bill_for_dossier(cur, self.config, envelope, data)

    @reliable_handler("postal", "postal.shipment_created")
    def handle_shipment_created(self, body):
        envelope = parse_envelope(body)
        data = validate_data(ShipmentCreated, envelope)
        # One round trip, as for a dossier; a refusal does not cancel a postal charge.
        with self.db.autocommit() as cur:
            [bill] = billing.bill_at_once(cur, self.config, [
                (envelope, "handle_shipment_created", billing.shipment_bill(envelope, data), None)])
        if bill:
            log.info("shipment billed", extra={"dossier_code": data["code"],
                                               "bill_id": str(bill["id"]), "amount": bill["amount"]})

    @reliable_handler("routing", "dossier.refused")
    def handle_dossier_refused(self, body):
        envelope = parse_envelope(body)
        data = validate_data(DossierRefused, envelope)
        with self.db.transaction() as cur:
            if not first_delivery(cur, store.SCHEMA, envelope["id"], "handle_dossier_refused"):
                return
            store.record_refusal(cur, data["code"], data["reason"], data["refused_at"])
            for bill in store.bills_of_dossier(cur, data["code"], kind="fee", lock=True):
                bill, refunds = billing.refuse(cur, bill, data["reason"],
                                               envelope["correlation_id"])
                log.info("bill of a refused dossier closed", extra={
                    "dossier_code": data["code"], "bill_id": str(bill["id"]),
                    "status": bill["status"], "refunds": len(refunds)})

    # bills and payments ----------------------------------------------------------------------
    @api("GET", "/api/v1/bills", summary="The bills of a dossier", query=BillQuerySchema,
         auth=("counter_officer", "portal", "manager"),
         responses={200: ("the bills the caller may see", BillList)})
    def list_bills(self, request):
        caller = self.principal(request, "counter_officer", "portal", "manager")
        query = BillQuerySchema().load(request.args.to_dict())
        with self.db.transaction() as cur:
            bills = [billing.bill_view(cur, b)
                     for b in store.bills_of_dossier(cur, query["dossier_code"])
                     if self._may_see(caller, b)]
        return json_response({"bills": bills, "count": len(bills)})

    @api("GET", "/api/v1/bills/<bill_id>", summary="One bill, its payments, refunds and receipts",
         auth=("counter_officer", "portal", "manager"),
         responses={200: ("the bill", BillView), 404: "no such bill for this caller"})
    def get_bill(self, request, bill_id):
        caller = self.principal(request, "counter_officer", "portal", "manager")
        with self.db.transaction() as cur:
            bill = self._visible_bill(cur, caller, bill_id)
            return json_response(billing.bill_view(cur, bill))

    @api("POST", "/api/v1/bills/<bill_id>/payments",
         summary="Pay a bill: cash or card at the counter, or start an online payment",
         body=PaymentRequestSchema, auth=("counter_officer", "portal"),
         responses={201: ("recorded (cash, card) or started (online)", PaymentAnswer),
                    200: "replay of an earlier request with the same Idempotency-Key",
                    403: "this role may not take payments on this channel",
                    404: "no such bill for this caller",
                    409: "the bill is not payable, or the Idempotency-Key was reused",
                    503: "online payment is not configured"})
    def pay(self, request, bill_id):
        caller = self.principal(request, "counter_officer", "portal")
        body = read_json(request, PaymentRequestSchema())
        channel = body["channel"]
        if caller.role not in ROLE_BY_CHANNEL[channel]:
            raise ApiError(403, "forbidden", f"role {caller.role} may not record {channel} "
                           f"payments (allowed: {', '.join(ROLE_BY_CHANNEL[channel])})")

        def take(cur):
            bill = self._visible_bill(cur, caller, bill_id, lock=True)
            bill = billing.payable_bill(cur, bill["id"])
            amount = body["amount"] or billing.outstanding(bill)
            if channel == "online":
                return self._start_online(cur, request, caller, bill, amount, body)
            done = billing.record_counter_payment(
                cur, self.config, bill, channel, amount, caller.subject, request.correlation_id,
                terminal_id=body["terminal_id"], terminal_reference=body["terminal_reference"])
            log.info("payment recorded", extra={"bill_id": bill_id, "channel": channel,
                                                "amount": amount})
            return 201, {"payment": billing.payment_view(done["payment"]),
                         "bill": billing.bill_view(cur, done["bill"]),
                         "receipt": {"id": done["receipt"]["id"],
                                     "receipt_no": done["receipt"]["receipt_no"],
                                     "url": f"/api/v1/receipts/{done['receipt']['id']}"}}

        return self._idempotent_write(request, caller, body, take)

    def _start_online(self, cur, request, caller, bill, amount, body):
        try:
            payment, url = billing.start_online_payment(
                cur, self.gateway, bill, amount, str(body["ip_addr"] or request.remote_addr),
                caller.subject, bank_code=body["bank_code"])
        except GatewayNotConfigured as exc:
            raise ApiError(503, "gateway_not_configured", str(exc)) from exc
        return 201, {"payment": billing.payment_view(payment), "pay_url": url,
                     "expires_at": payment["expires_at"].isoformat()}

    @api("POST", "/api/v1/bills/<bill_id>/refunds", summary="Refund what a bill owes back",
         body=RefundRequestSchema, auth=("counter_officer", "manager"),
         responses={201: ("refunded", RefundAnswer),
                    200: "replay of an earlier request with the same Idempotency-Key",
                    404: "no such bill for this caller",
                    409: "nothing to refund, or the Idempotency-Key was reused"})
    def refund(self, request, bill_id):
        caller = self.principal(request, "counter_officer", "manager")
        body = read_json(request, RefundRequestSchema())

        def give_back(cur):
            bill = self._visible_bill(cur, caller, bill_id, lock=True)
            refund, bill = billing.refund_excess(cur, bill, body["amount"], body["channel"],
                                                 body["reference"], caller.subject,
                                                 request.correlation_id)
            return 201, {"refund": {"id": str(refund["id"]), "amount": refund["amount"],
                                    "channel": refund["channel"],
                                    "reference": refund["reference"]},
                         "bill": billing.bill_view(cur, bill)}

        return self._idempotent_write(request, caller, body, give_back)

    @api("GET", "/api/v1/receipts/<receipt_id>",
         summary="A receipt (biên lai), as JSON or printable HTML (?format=html)",
         query=ReceiptQuerySchema, auth=("counter_officer", "portal", "manager"),
         responses={200: "the receipt", 404: "no such receipt for this caller"})
    def get_receipt(self, request, receipt_id):
        caller = self.principal(request, "counter_officer", "portal", "manager")
        query = ReceiptQuerySchema().load(request.args.to_dict())
        with self.db.transaction() as cur:
            row = store.get_receipt(cur, _uuid_or_404(receipt_id, "receipt"))
        if row is None or (caller.role == "counter_officer" and row["department"] not in
                           (None, caller.department)):
            raise ApiError(404, "not_found", f"no receipt {receipt_id} for this caller")
        if query["format"] == "html":
            return Response(render_html(row["content"]), mimetype="text/html")
        return json_response({"id": str(row["id"]), **row["content"]})

    # the gateway -----------------------------------------------------------------------------
    @api("GET", "/api/v1/gateway/vnpay/ipn",
         summary="The gateway's payment notification (IPN; signed vnp_* query parameters)",
         responses={200: ("always 200: the outcome is in RspCode", GatewayAck)})
    def vnpay_ipn(self, request):
        """Server to server from the gateway: always 200 with VNPay's RspCode JSON."""
        params = request.args.to_dict()
        try:
            with self.db.transaction() as cur:
                answer = online.handle_ipn(cur, self.gateway, self.config, params,
                                           request.correlation_id)
        except Exception:  # noqa: BLE001 - the gateway must get its JSON answer and retry
            log.exception("IPN could not be processed", extra={"txn_ref": params.get("vnp_TxnRef")})
            answer = IPN_UNKNOWN_ERROR
        return json_response(answer)

    @api("GET", "/api/v1/gateway/vnpay/return",
         summary="Where the gateway sends the citizen back (signed vnp_* query parameters)",
         responses={200: ("what to tell the citizen; only the IPN settles", GatewayReturnView),
                    400: "the signature does not verify"})
    def vnpay_return(self, request):
        with self.db.transaction() as cur:
            view = online.return_view(cur, self.gateway, request.args.to_dict())
        if view is None:
            raise ApiError(400, "invalid_signature", "chữ ký không hợp lệ: the gateway's answer "
                           "could not be verified")
        return json_response(view)

    @scheduled("PENDING_CHECK_SECONDS", 900)
    def check_pending_payments(self):
        correlation_id = self._bind_job("pending-check")
        if not self.gateway.configured:
            return
        min_age = timedelta(seconds=float(self.config.get("PENDING_MIN_AGE_SECONDS") or 0))
        interval = timedelta(seconds=float(self.config.get("PENDING_CHECK_SECONDS") or 900))
        summary = online.check_pending(self.db, self.gateway, self.config, min_age, interval,
                                       correlation_id)
        if summary:
            log.info("pending online payments checked", extra={"summary": summary})

    @scheduled("DAILY_CHECK_TICK_SECONDS", 3600)
    def check_yesterday(self):
        correlation_id = self._bind_job("daily-check")
        if not self.gateway.configured:
            return
        yesterday = now().date() - timedelta(days=1)
        summary = online.daily_check(self.db, self.gateway, self.config, yesterday,
                                     correlation_id)
        if summary is not None:
            log.info("daily check of online payments", extra={"day": yesterday.isoformat(),
                                                              "summary": summary})

    @staticmethod
    def _bind_job(name):
        """A scheduled run has no request: it gets its own correlation id for logs and events."""
        correlation_id = f"{name}-{uuid.uuid4()}"
        logs.clear()
        logs.bind(correlation_id=correlation_id)
        return correlation_id

    # statements and reconciliation -----------------------------------------------------------
    @api("POST", "/api/v1/statements",
         summary="Import a bank, treasury or gateway statement (CSV body) and reconcile the day",
         query=StatementQuerySchema, auth=("manager",),
         responses={201: "the reconciliation report of the day and channel",
                    200: "replay of an earlier request with the same Idempotency-Key",
                    409: "the Idempotency-Key was reused for another statement",
                    413: "the statement is too large"})
    def import_statement(self, request):
        caller = self.principal(request, "manager")
        query = StatementQuerySchema().load(request.args.to_dict())
        raw = _read_limited(request, MAX_STATEMENT_BYTES)

        def reconcile(cur):
            report = reconciliation.import_statement(cur, raw, query["day"], query["channel"],
                                                     query["source"], caller.subject)
            return 201, report

        body = {**{k: str(v) for k, v in query.items()},
                "sha256": hashlib.sha256(raw).hexdigest()}
        response = self._idempotent_write(request, caller, body, reconcile)
        log.info("statement imported", extra={"day": str(query["day"]),
                                              "channel": query["channel"]})
        return response

    @api("GET", "/api/v1/reconciliations/<day>",
         summary="The reconciliation report of a day (JSON or CSV)", query=ReportQuerySchema,
         auth=("manager",), responses={200: "the report",
                                       404: "no statement imported for that day"})
    def get_reconciliation(self, request, day):
        self.principal(request, "manager")
        query = ReportQuerySchema().load(request.args.to_dict())
        try:
            the_day = date.fromisoformat(day)
        except ValueError as exc:
            raise ApiError(422, "validation_failed", "the day is not a date",
                           {"day": [f"{day!r} is not a date YYYY-MM-DD"]}) from exc
        with self.db.transaction() as cur:
            report = reconciliation.report(cur, the_day, query["channel"])
        if not report["channels"]:
            raise ApiError(404, "not_found", f"no statement imported for {day}")
        if query["format"] == "csv":
            return Response(reconciliation.report_csv(report), mimetype="text/csv",
                            headers={"Content-Disposition":
                                     f'attachment; filename="reconciliation-{day}.csv"'})
        return json_response(report)

    # helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _may_see(caller, bill):
        return caller.role != "counter_officer" or bill["department"] in (None, caller.department)

    def _visible_bill(self, cur, caller, bill_id, lock=False):
        bill = store.get_bill(cur, _uuid_or_404(bill_id, "bill"), lock=lock)
        if bill is None or not self._may_see(caller, bill):
            raise ApiError(404, "not_found", f"no bill {bill_id} for this caller")
        return bill

    def _idempotent_write(self, request, caller, body, action):
        """Runs `action(cur)` → (status, payload) once per Idempotency-Key: a retry with the
        same key and body gets the first answer again, another body with it is a 409."""
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
            raise ApiError(400, "bad_idempotency_key",
                           f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
        digest = hashlib.sha256(json.dumps([request.method, request.path, body], sort_keys=True,
                                           default=str).encode()).hexdigest()
        with self.db.transaction() as cur:
            if key:
                earlier = store.claim_idempotency_key(cur, caller.subject, key, digest)
                if earlier:
                    if earlier["request_hash"] != digest:
                        raise ApiError(409, "idempotency_key_reused",
                                       "this Idempotency-Key was used for a different request")
                    return json_response(earlier["response"], earlier["status"],
                                         {"Idempotent-Replayed": "true"})
            status, payload = action(cur)
            payload = json.loads(json.dumps(payload, default=str))
            if key:
                store.save_idempotent_response(cur, caller.subject, key, status, payload)
        return json_response(payload, status)


def _uuid_or_404(value, what):
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ApiError(404, "not_found", f"no {what} {value}") from exc


def _read_limited(request, max_bytes):
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError(413, "body_too_large", f"statement exceeds {max_bytes} bytes")
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ApiError(413, "body_too_large", f"statement exceeds {max_bytes} bytes")
    if not raw.strip():
        raise ApiError(422, "validation_failed", "the statement is empty",
                       {"_body": ["send the statement as CSV in the request body"]})
    return raw
