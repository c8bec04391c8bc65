"""The National Public Service Portal's payment platform (DVCQG), an online channel beside
VNPay. Every message is JSON with `LoaiBanTin` (INIT, GET_BILL, the status query QUERY),
`PhienBan`, `MaDoiTac`, `MaThamChieu` (our payment's reference, also the statement
reference) and `ThoiGianGD` (when the payment was started), signed by `MaXacThuc` = SHA-256
over the listed fields and the shared secret joined by `|`. The fields and their order come
with the province's credentials, so they are settings (DVCQG_PAY_FIELDS_*), never constants
here; the defaults are what the public clients sign (README.md names them).

- INIT: the bill and its receipt data (ThongTinBienLai) → `UrlThanhToan` for the citizen.
- Confirmation: the platform POSTs the outcome to us (paid when MaLoi is "00"); trusted only
  when MaXacThuc verifies, settled once (a replay changes nothing).
- Status query for pending ones: TrangThaiGD 1 paid, 3 pending, 4 failed.
- GET_BILL: the platform's e-receipt, kept beside the payment once it is paid.
"""
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request

from services.common.errors import Unavailable

from .gateway import GatewayError, ascii_text, gateway_time

log = logging.getLogger("motcua.payment.portalpay")

PAID, PENDING, FAILED = "1", "3", "4"
OK, NOT_FOUND = "00", "01"
# Our answer to a confirmation: MaLoi and MoTaLoi (the codes are ours).
ACK_CONFIRMED = ("00", "Xác nhận thành công")
ACK_NOT_FOUND = ("01", "Không tìm thấy giao dịch")
ACK_ALREADY_CONFIRMED = ("02", "Giao dịch đã được xác nhận")
ACK_INVALID_AMOUNT = ("04", "Số tiền không khớp")
ACK_INVALID_HASH = ("97", "Mã xác thực không hợp lệ")
ACK_UNKNOWN_ERROR = ("99", "Lỗi không xác định")
# INIT's fixed values, as the Thanh Hóa system sends them.
INIT_VALUES = {"LoaiHinhThanhToan": "PAY", "MaKenhThanhToan": "1", "MaThietBi": "1",
               "NgonNgu": "vi-VN", "MaTienTe": "VND", "MaNganHang": "PAYMENT"}
SERVICE_KIND = "2"  # ThongTinBienLai.MaDichVu: fees of a public service (the same system)


def confirmation_answer(ack, message, partner):
    """The province's answer to a confirmation: {MaLoi, MoTaLoi, MaDoiTac, MaThamChieu,
    ThoiGianGD, MaXacThuc}; MaXacThuc is the confirmation's, as the Thanh Hóa system
    answers it."""
    code, words = ack
    return {"MaLoi": code, "MoTaLoi": words, "MaDoiTac": partner,
            "MaThamChieu": _text(message.get("MaThamChieu"))[:100],
            "ThoiGianGD": _text(message.get("ThoiGianGD"))[:20],
            "MaXacThuc": _text(message.get("MaXacThuc"))[:128]}


class PlatformRefused(GatewayError):
    """The platform answered, with an error code (MaLoi): what was asked was not done."""

    def __init__(self, kind, reference, code):
        super().__init__(f"{kind} {reference} refused (MaLoi {code})")
        self.code = code


class PortalPayNotConfigured(Unavailable):
    code = "portal_payment_not_configured"
    retry_after = None  # configuration, not a passing outage


def fields_of(text):
    return tuple(name.strip() for name in text.split(",") if name.strip())


def auth_code(secret, message, fields):
    """MaXacThuc: SHA-256 (hex) of the fields' values in order, then the secret, `|`-joined."""
    values = [_text(message.get(name)) for name in fields]
    return hashlib.sha256("|".join([*values, secret]).encode("utf-8")).hexdigest()


def _text(value):
    return "" if value is None else str(value)


def auth_valid(secret, message, fields):
    try:
        expected = auth_code(secret, message, fields)
    except UnicodeEncodeError:  # a value no platform could have signed
        return False
    given = str(message.get("MaXacThuc") or "").lower().encode("utf-8", "replace")
    return hmac.compare_digest(given, expected.encode("ascii"))


class PortalPay:
    def __init__(self, settings):
        """`settings`: payment's (services.payment.settings)."""
        self.url = settings.dvcqg_pay_url
        self.partner = settings.dvcqg_pay_partner
        self.secret = settings.dvcqg_pay_secret
        self.version = settings.dvcqg_pay_version
        self.unit = settings.dvcqg_pay_unit
        self.service_code = settings.dvcqg_pay_service_code
        self.account = settings.dvcqg_pay_account
        self.account_name = settings.dvcqg_pay_account_name
        self.bank = settings.dvcqg_pay_bank
        self.unit_name = settings.dvcqg_pay_unit_name
        self.service_name = settings.dvcqg_pay_service_name
        self.ip = settings.dvcqg_pay_ip
        self.timeout = settings.dvcqg_pay_timeout_seconds
        self.fields = {"INIT": fields_of(settings.dvcqg_pay_fields_init),
                       "CONFIRM": fields_of(settings.dvcqg_pay_fields_confirm),
                       "QUERY": fields_of(settings.dvcqg_pay_fields_query),
                       "GET_BILL": fields_of(settings.dvcqg_pay_fields_query)}
        self.query_type = settings.dvcqg_pay_query_type

    @property
    def configured(self):
        return bool(self.url and self.partner and self.secret)

    def require_configured(self):
        if not self.configured:
            raise PortalPayNotConfigured(
                "Chưa cấu hình nền tảng thanh toán của Cổng DVCQG (DVCQG_PAY_URL, "
                "DVCQG_PAY_PARTNER, DVCQG_PAY_SECRET); xin báo quản trị hệ thống.")

    def verify_confirmation(self, message):
        return self.configured and auth_valid(self.secret, message, self.fields["CONFIRM"])

    def init(self, reference, amount, bill, created_at):
        """The platform's payment URL for a pending payment."""
        self.require_configured()
        about = ascii_text(f"Thanh toan phi ho so {bill['dossier_code']}")
        message = self._message("INIT", reference, created_at, SoTien=str(amount),
                                **INIT_VALUES, ThongTinGiaoDich=about, Ip=self.ip,
                                ThongTinBienLai=self._receipt_info(bill, amount, about))
        answer = self._post(message, "INIT", self.fields["INIT"])
        url = answer.get("UrlThanhToan")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise GatewayError(f"INIT {reference}: the platform gave no payment URL")
        return url

    def status(self, reference, created_at):
        """The platform's answer about one payment: TrangThaiGD, SoTien, MaGiaoDich."""
        return self._post(self._message(self.query_type, reference, created_at), "QUERY",
                          self.fields["QUERY"])

    def bill(self, reference, created_at):
        """GET_BILL: the e-receipt the platform issued for a paid payment."""
        answer = self._post(self._message("GET_BILL", reference, created_at), "GET_BILL",
                            self.fields["GET_BILL"])
        receipt = answer.get("BienLai")
        if not isinstance(receipt, dict):
            raise GatewayError(f"GET_BILL {reference}: no e-receipt in the answer")
        return receipt

    def _receipt_info(self, bill, amount, about):
        """ThongTinBienLai with the public clients' field names; LoaiPhiLePhi 1 a fee (phí),
        2 a charge (lệ phí) is our reading."""
        return {"MaDichVu": SERVICE_KIND, "MaDVC": self.service_code,
                "TenDVC": self.service_name, "MaTTHC": bill["procedure_code"] or "",
                "MaDonVi": self.unit, "TenDonVi": self.unit_name,
                "MaHoSo": bill["dossier_code"], "TKThuHuong": self.account,
                "MaNHThuHuong": self.bank, "TenTKThuHuong": self.account_name,
                "NoiDungThanhToan": about, "HoTenNguoiNop": bill["payer_name"] or "",
                "PhiLePhi": [{"LoaiPhiLePhi": "1" if bill["fee"] else "2", "MaPhiLePhi": "",
                              "TenPhiLePhi": bill["description"], "SoTien": str(amount)}],
                "DSKhoanNop": [{"NoiDung": bill["description"], "SoTien": str(amount)}]}

    def _message(self, kind, reference, created_at, **more):
        return {"LoaiBanTin": kind, "PhienBan": self.version, "MaDoiTac": self.partner,
                "MaThamChieu": reference, "ThoiGianGD": gateway_time(created_at), **more}

    def _post(self, message, kind, fields):
        self.require_configured()
        message["MaXacThuc"] = auth_code(self.secret, message, fields)
        request = urllib.request.Request(self.url, data=json.dumps(message).encode("utf-8"),
                                         method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise GatewayError(f"{kind} failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(answer, dict):
            raise GatewayError(f"{kind} {message['MaThamChieu']}: the answer is not an object")
        if answer.get("MaLoi") != OK:
            raise PlatformRefused(kind, message["MaThamChieu"], answer.get("MaLoi"))
        if answer.get("MaThamChieu") not in (None, message["MaThamChieu"]):
            raise GatewayError(f"{kind} answered about {answer.get('MaThamChieu')}")
        return answer


class PortalPayUnavailable(Unavailable):
    code = "portal_payment_unavailable"
    retry_after = 30
