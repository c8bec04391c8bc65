"""The online payment gateway, in VNPay's conventions (API 2.1.0).

- Pay: the citizen's browser is redirected to the gateway with `vnp_*` parameters signed by
  HMAC-SHA512 (secret from settings) over the parameters sorted by name and URL-encoded
  (`key=quote_plus(value)` joined by `&`); the signature travels as `vnp_SecureHash`.
- Return URL (browser) and IPN (gateway → us, server to server) carry the result signed the
  same way; a notification is trusted only when its signature verifies. The IPN answers with
  VNPay's JSON `{"RspCode", "Message"}`: 00 confirmed, 01 order not found, 02 already
  confirmed, 04 invalid amount, 97 invalid signature, 99 unknown error.
- querydr: the merchant asks the gateway for a transaction's outcome (POST JSON, signed over
  the `|`-joined fields in the documented order); its answer is signed the same way.
"""
import hashlib
import hmac
import json
import logging
import secrets
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta

from services.common.errors import Unavailable
from services.common.events import TIMEZONE

log = logging.getLogger("motcua.payment.gateway")

VERSION = "2.1.0"
DATE_FORMAT = "%Y%m%d%H%M%S"  # in GMT+7, as the gateway expects
SIGNATURE_FIELDS = ("vnp_SecureHash", "vnp_SecureHashType")
SUCCESS = "00"

IPN_CONFIRMED = {"RspCode": "00", "Message": "Confirm Success"}
IPN_NOT_FOUND = {"RspCode": "01", "Message": "Order not found"}
IPN_ALREADY_CONFIRMED = {"RspCode": "02", "Message": "Order already confirmed"}
IPN_INVALID_AMOUNT = {"RspCode": "04", "Message": "Invalid amount"}
IPN_INVALID_SIGNATURE = {"RspCode": "97", "Message": "Invalid signature"}
IPN_UNKNOWN_ERROR = {"RspCode": "99", "Message": "Unknown error"}

QUERY_REQUEST_FIELDS = ("vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode",
                        "vnp_TxnRef", "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr",
                        "vnp_OrderInfo")
QUERY_RESPONSE_FIELDS = ("vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message",
                         "vnp_TmnCode", "vnp_TxnRef", "vnp_Amount", "vnp_BankCode",
                         "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType",
                         "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode",
                         "vnp_PromotionAmount")
QUERY_NOT_FOUND = "91"


class GatewayError(Exception):
    """The gateway could not be asked, or its answer cannot be trusted."""


class GatewayNotConfigured(Unavailable):
    code = "gateway_not_configured"
    retry_after = None  # configuration, not a passing outage


def hmac_sha512(secret, data):
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def canonical_query(params):
    """The string VNPay signs: `vnp_*` parameters sorted by name, values URL-encoded."""
    items = sorted((k, v) for k, v in params.items()
                   if k.startswith("vnp_") and k not in SIGNATURE_FIELDS and v not in (None, ""))
    return "&".join(f"{k}={urllib.parse.quote_plus(str(v))}" for k, v in items)


def sign(secret, params):
    return hmac_sha512(secret, canonical_query(params))


def signature_valid(secret, params):
    """The gateway's signature checked in constant time, as bytes: a value with characters
    the gateway never sends (non-ASCII, a lone surrogate) is simply not its signature."""
    try:
        expected = sign(secret, params)
    except UnicodeEncodeError:  # a parameter no gateway could have signed
        return False
    return same_signature(params.get("vnp_SecureHash"), expected)


def same_signature(given, expected):
    return hmac.compare_digest(str(given or "").lower().encode("utf-8", "replace"),
                               expected.encode("ascii"))


def gateway_time(moment):
    return moment.astimezone(TIMEZONE).strftime(DATE_FORMAT)


def parse_gateway_time(text):
    return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=TIMEZONE)


def new_txn_ref(moment):
    """Unique per merchant and day as VNPay requires; also the statement reference."""
    return f"{moment.astimezone(TIMEZONE):%y%m%d}{secrets.token_hex(5).upper()}"


def ascii_text(text):
    """VNPay asks for order info without Vietnamese diacritics."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


class Vnpay:
    def __init__(self, settings):
        """`settings`: payment's (services.payment.settings)."""
        self.tmn_code = settings.vnpay_tmn_code
        self.secret = settings.vnpay_hash_secret
        self.pay_url = settings.vnpay_pay_url
        self.api_url = settings.vnpay_api_url
        self.return_url = settings.vnpay_return_url
        self.expire_minutes = settings.vnpay_expire_minutes
        self.timeout = settings.vnpay_timeout_seconds

    @property
    def configured(self):
        return bool(self.secret and self.tmn_code)

    def require_configured(self):
        if not self.configured:
            raise GatewayNotConfigured("Chưa cấu hình thanh toán trực tuyến (VNPAY_TMN_CODE, "
                                       "VNPAY_HASH_SECRET); xin báo quản trị hệ thống.")

    def payment_url(self, txn_ref, amount, order_info, ip_addr, created_at, bank_code=None,
                    locale="vn"):
        """The signed redirect URL and when it expires."""
        self.require_configured()
        expires_at = created_at + timedelta(minutes=self.expire_minutes)
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(amount * 100),  # the gateway counts in 1/100 VND
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": txn_ref,
            "vnp_OrderInfo": ascii_text(order_info),
            "vnp_OrderType": "other",
            "vnp_Locale": locale,
            "vnp_ReturnUrl": self.return_url,
            "vnp_IpAddr": ip_addr,
            "vnp_CreateDate": gateway_time(created_at),
            "vnp_ExpireDate": gateway_time(expires_at),
        }
        if bank_code:
            params["vnp_BankCode"] = bank_code
        query = canonical_query(params)
        return f"{self.pay_url}?{query}&vnp_SecureHash={hmac_sha512(self.secret, query)}", expires_at

    def verify(self, params):
        return self.configured and signature_valid(self.secret, params)

    # querydr ------------------------------------------------------------------------------
    def query(self, txn_ref, transaction_date, ip_addr="127.0.0.1"):
        """The gateway's answer about one transaction (dict of vnp_* fields), signature checked."""
        self.require_configured()
        request = {
            "vnp_RequestId": secrets.token_hex(16),
            "vnp_Version": VERSION,
            "vnp_Command": "querydr",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": txn_ref,
            "vnp_TransactionDate": gateway_time(transaction_date),
            "vnp_CreateDate": gateway_time(datetime.now(TIMEZONE)),
            "vnp_IpAddr": ip_addr,
            "vnp_OrderInfo": f"Truy van giao dich {txn_ref}",
        }
        request["vnp_SecureHash"] = hmac_sha512(
            self.secret, "|".join(request[f] for f in QUERY_REQUEST_FIELDS))
        answer = self._post(request)
        expected = query_response_signature(self.secret, answer)
        if not same_signature(answer.get("vnp_SecureHash"), expected):
            raise GatewayError(f"querydr answer for {txn_ref} has an invalid signature")
        if answer.get("vnp_ResponseCode") == SUCCESS and answer.get("vnp_TxnRef") != txn_ref:
            raise GatewayError(f"querydr answered about {answer.get('vnp_TxnRef')}, not {txn_ref}")
        return answer

    def _post(self, body):
        data = json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.api_url, data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise GatewayError(f"querydr failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(answer, dict):
            raise GatewayError("querydr answer is not a JSON object")
        return answer


def query_response_signature(secret, answer):
    """How the gateway signs a querydr answer (used by whoever plays the gateway in tests)."""
    return hmac_sha512(secret, "|".join(str(answer.get(f) or "") for f in QUERY_RESPONSE_FIELDS))
