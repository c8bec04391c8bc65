"""marshmallow schemas of payment's HTTP bodies and queries, and the shapes of its answers
(documentation only, for the OpenAPI document: the handlers build plain dicts)."""
from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from .billing import CHANNELS

PROVIDERS = ("vnpay", "dvcqg")
MAX_VND = 10**12  # no single fee comes near a trillion đồng; a bigger number is a typo


class _Strict(Schema):
    class Meta:
        unknown = RAISE


Amount = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_VND))


class PaymentRequestSchema(_Strict):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS),
                            metadata={"example": "cash"})
    amount = fields.Integer(strict=True, load_default=None,
                            validate=validate.Range(min=1, max=MAX_VND))
    terminal_id = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    terminal_reference = fields.String(load_default=None,
                                       validate=validate.Regexp(r"^[A-Za-z0-9_-]{4,40}$"))
    ip_addr = fields.IP(load_default=None)
    bank_code = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z0-9]{2,20}$"))
    provider = fields.String(load_default="vnpay", validate=validate.OneOf(PROVIDERS),
                             metadata={"description": "online only: VNPay or the portal's "
                                                      "payment platform (dvcqg)",
                                       "example": "vnpay"})

    @validates_schema
    def channel_fields(self, data, **kwargs):
        if data["channel"] == "card":
            missing = {name: ["Bắt buộc khi thanh toán bằng thẻ."]
                       for name in ("terminal_id", "terminal_reference") if not data.get(name)}
            if missing:
                raise ValidationError(missing)
        elif data.get("terminal_id") or data.get("terminal_reference"):
            raise ValidationError({"terminal_reference": ["Chỉ dùng khi thanh toán bằng thẻ."]})
        if data["channel"] != "online" and (data.get("bank_code") or data.get("ip_addr")):
            raise ValidationError({"bank_code": ["Chỉ dùng khi thanh toán trực tuyến."]})
        if data["channel"] != "online" and data["provider"] != "vnpay":
            raise ValidationError({"provider": ["Chỉ dùng khi thanh toán trực tuyến."]})
        if data["provider"] == "dvcqg" and data.get("bank_code"):
            raise ValidationError({"bank_code": ["Nền tảng thanh toán của Cổng DVCQG tự chọn "
                                                 "ngân hàng."]})


class RefundRequestSchema(_Strict):
    amount = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_VND))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    reference = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9_-]{4,40}$"))


class StatementQuerySchema(_Strict):
    day = fields.Date(required=True, metadata={"example": "2026-01-05"})
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    source = fields.String(required=True, validate=validate.OneOf(("bank", "treasury", "gateway")))


# The statement is the raw request body (edge.statement_file reads it), described here.
STATEMENT_FILE = {"text/csv": {
    "type": "string",
    "description": "CSV with a header line naming reference, amount (VND) and value_date "
                   "(description optional); UTF-8 with or without BOM, any line end (LF, "
                   "CR LF, or a bare CR as Excel's CSV Macintosh saves)",
    "example": "reference,amount,value_date,description\r\n"
               "PL-2026-0000001,1000,2026-01-05,Nop tien le phi\r\n",
}}


class GatewayQuerySchema(Schema):
    """The gateway's signed parameters on its return URL and IPN, loaded as sent: every one
    kept, unknown ones too, and none converted, as the signature covers each. None is
    required here: a missing or wrong one is the gateway's "bad signature" answer (RspCode
    97), never a 422 the gateway would not understand. The gateway sends them all."""

    class Meta:
        unknown = INCLUDE

    vnp_TmnCode = fields.String(metadata={"example": "MOTCUA01"})
    vnp_TxnRef = fields.String(metadata={"description": "the payment's reference",
                                         "example": "PL-2026-0000001"})
    vnp_Amount = fields.String(metadata={"description": "in 1/100 VND", "example": "100000"})
    vnp_ResponseCode = fields.String(metadata={"example": "00"})
    vnp_TransactionStatus = fields.String(metadata={"example": "00"})
    vnp_TransactionNo = fields.String(metadata={"example": "14000001"})
    vnp_BankCode = fields.String(metadata={"example": "NCB"})
    vnp_CardType = fields.String(metadata={"example": "ATM"})
    vnp_OrderInfo = fields.String(metadata={"example": "Thanh toan le phi"})
    vnp_PayDate = fields.String(metadata={"description": "yyyyMMddHHmmss, Vietnam's time",
                                          "example": "20260105093000"})
    vnp_SecureHashType = fields.String(metadata={"example": "HmacSHA512"})
    vnp_SecureHash = fields.String(metadata={
        "description": "HMAC-SHA512 (hex) of the other vnp_* parameters, sorted by name",
        "example": "6f1c0e" + "0" * 122})


class ReportQuerySchema(_Strict):
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class BillQuerySchema(_Strict):
    dossier_code = fields.String(required=True, validate=validate.Length(min=1, max=60))


class ReceiptQuerySchema(_Strict):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "html")))


# --- answers (documentation only) ------------------------------------------------------------
BILL_STATUSES = ("open", "partially_paid", "paid", "overpaid", "refunded", "cancelled")
PAYMENT_STATUSES = ("pending", "succeeded", "failed", "cancelled")


class PaymentView(Schema):
    id = fields.UUID(required=True)
    channel = fields.String(required=True, metadata={"enum": list(CHANNELS)})
    provider = fields.String(required=True, metadata={"enum": list(PROVIDERS)})
    amount = fields.Integer(required=True, metadata={"description": "VND"})
    status = fields.String(required=True, metadata={"enum": list(PAYMENT_STATUSES)})
    reference = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    completed_at = fields.AwareDateTime(allow_none=True)


class RefundView(Schema):
    id = fields.UUID(required=True)
    channel = fields.String(required=True, metadata={"enum": list(CHANNELS)})
    amount = fields.Integer(required=True, metadata={"description": "VND"})
    reference = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    completed_at = fields.AwareDateTime()


class ReceiptLink(Schema):
    id = fields.UUID(required=True)
    receipt_no = fields.String(required=True)
    amount = fields.Integer(metadata={"description": "VND"})
    url = fields.String(required=True, metadata={"example": "/api/v1/receipts/<id>"})


class BillView(Schema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True, metadata={"enum": ["fee", "postal"]})
    dossier_code = fields.String(required=True)
    department = fields.String(allow_none=True)
    description = fields.String(required=True)
    fee = fields.Integer(required=True, metadata={"description": "phí, VND"})
    charge = fields.Integer(required=True, metadata={"description": "lệ phí, VND"})
    amount = fields.Integer(required=True, metadata={"description": "owed, VND"})
    paid = fields.Integer(required=True)
    refunded = fields.Integer(required=True)
    outstanding = fields.Integer(required=True)
    refund_due = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(BILL_STATUSES)})
    settled_at = fields.AwareDateTime(allow_none=True)
    payments = fields.List(fields.Nested(PaymentView), required=True)
    refunds = fields.List(fields.Nested(RefundView), required=True)
    receipts = fields.List(fields.Nested(ReceiptLink), required=True)


class BillList(Schema):
    bills = fields.List(fields.Nested(BillView), required=True)
    count = fields.Integer(required=True)


class PaymentAnswer(Schema):
    """Cash or card: the payment, the bill and its receipt. Online: the payment (pending),
    the gateway's URL to send the citizen to, and when that offer expires."""
    payment = fields.Nested(PaymentView, required=True)
    bill = fields.Nested(BillView)
    receipt = fields.Nested(ReceiptLink)
    pay_url = fields.String()
    expires_at = fields.AwareDateTime(allow_none=True)


class RefundAnswer(Schema):
    refund = fields.Nested(RefundView, required=True)
    bill = fields.Nested(BillView, required=True)


class GatewayAck(Schema):
    """VNPay's own answer format: the gateway retries until RspCode is 00 or 02."""
    RspCode = fields.String(required=True, metadata={"example": "00"})
    Message = fields.String(required=True, metadata={"example": "Confirm Success"})


class GatewayReturnView(Schema):
    txn_ref = fields.String(allow_none=True)
    gateway_says = fields.String(required=True, metadata={"enum": ["paid", "not paid"]})
    gateway_response_code = fields.String(allow_none=True)
    payment_status = fields.String(allow_none=True, metadata={"enum": list(PAYMENT_STATUSES)})
    bill_id = fields.UUID(allow_none=True)


class PortalConfirmationSchema(Schema):
    """The portal payment platform's confirmation, loaded as sent: MaXacThuc covers the
    fields, so none is converted and none required here (a missing one is the platform's
    "invalid MaXacThuc" answer, never a 422 it would not understand)."""

    class Meta:
        unknown = INCLUDE

    LoaiBanTin = fields.Raw(allow_none=True, metadata={"example": "CONFIRM"})
    MaLoi = fields.Raw(allow_none=True, metadata={"description": "00 paid, another code not"})
    MaDoiTac = fields.Raw(allow_none=True, metadata={"example": "MOTCUA"})
    MaThamChieu = fields.Raw(allow_none=True, metadata={"description": "the payment's reference"})
    SoTien = fields.Raw(allow_none=True, metadata={"description": "VND", "example": 200000})
    MaTienTe = fields.Raw(allow_none=True, metadata={"example": "VND"})
    MaGiaoDich = fields.Raw(allow_none=True, metadata={"description": "the platform's transaction number"})
    MaNganHang = fields.Raw(allow_none=True)
    ThoiGianGD = fields.Raw(allow_none=True, metadata={"description": "yyyyMMddHHmmss"})
    ThongTinGiaoDich = fields.Raw(allow_none=True)
    MaXacThuc = fields.Raw(allow_none=True, metadata={"description": "SHA-256 over the configured fields"})


class PortalConfirmationAck(Schema):
    """MaLoi 00 confirmed, 01 unknown, 02 already confirmed, 04 amount differs, 97 invalid
    MaXacThuc, 99 error (the platform retries); MaXacThuc is the confirmation's."""
    MaLoi = fields.String(required=True, metadata={"example": "00"})
    MoTaLoi = fields.String(required=True)
    MaDoiTac = fields.String(required=True)
    MaThamChieu = fields.String(required=True)
    ThoiGianGD = fields.String(required=True)
    MaXacThuc = fields.String(required=True)
