"""payment's settings, read and checked once when the service starts (config.yml maps each to
its environment variable; the defaults here are for a config that leaves one out)."""
from marshmallow import fields, validate

from services.common.settings import SettingsSchema

SANDBOX = "https://sandbox.vnpayment.vn"
# MaXacThuc's fields as the public clients sign them (services/payment/README.md)
INIT_FIELDS = ("LoaiBanTin,PhienBan,MaDoiTac,MaThamChieu,SoTien,LoaiHinhThanhToan,"
               "MaKenhThanhToan,MaThietBi,NgonNgu,MaTienTe,MaNganHang,ThongTinGiaoDich,"
               "ThoiGianGD,Ip")
CONFIRM_FIELDS = ("LoaiBanTin,MaLoi,MaDoiTac,MaThamChieu,SoTien,MaTienTe,MaGiaoDich,"
                  "MaNganHang,ThoiGianGD,ThongTinGiaoDich")
QUERY_FIELDS = "LoaiBanTin,PhienBan,MaDoiTac,MaThamChieu,ThoiGianGD"


def _url(data_key, default):
    return fields.Url(data_key=data_key, load_default=default, require_tld=False,
                      schemes={"http", "https"})


def _seconds(data_key, default):
    return fields.Float(data_key=data_key, load_default=default,
                        validate=validate.Range(min=0, min_inclusive=False))


class PaymentSettings(SettingsSchema):
    # Printed on every receipt, and the receipt series (ký hiệu) by bill kind.
    collecting_unit = fields.String(data_key="COLLECTING_UNIT",
                                    load_default="Trung tâm Phục vụ hành chính công tỉnh",
                                    validate=validate.Length(min=1, max=200))
    receipt_series_fee = fields.String(data_key="RECEIPT_SERIES_FEE", load_default="PL",
                                       validate=validate.Length(min=1, max=20))
    receipt_series_postal = fields.String(data_key="RECEIPT_SERIES_POSTAL", load_default="BC",
                                          validate=validate.Length(min=1, max=20))
    # Where the portal lets a citizen pay a bill ({bill_id} is replaced); None: no link.
    portal_pay_url = fields.String(data_key="PORTAL_PAY_URL", load_default=None)
    # The online gateway; without the merchant code and secret online payment is off.
    vnpay_tmn_code = fields.String(data_key="VNPAY_TMN_CODE", load_default="")
    vnpay_hash_secret = fields.String(data_key="VNPAY_HASH_SECRET", load_default="")
    vnpay_pay_url = _url("VNPAY_PAY_URL", f"{SANDBOX}/paymentv2/vpcpay.html")
    vnpay_api_url = _url("VNPAY_API_URL", f"{SANDBOX}/merchant_webapi/api/transaction")
    vnpay_return_url = _url("VNPAY_RETURN_URL",
                            "http://127.0.0.1:8004/api/v1/gateway/vnpay/return")
    vnpay_expire_minutes = fields.Integer(data_key="VNPAY_EXPIRE_MINUTES", load_default=15,
                                          validate=validate.Range(min=1, max=24 * 60))
    vnpay_timeout_seconds = _seconds("VNPAY_TIMEOUT_SECONDS", 10.0)
    # The scheduled checks of pending online payments against the gateway (querydr).
    pending_check_seconds = _seconds("PENDING_CHECK_SECONDS", 900.0)
    pending_min_age_seconds = fields.Float(data_key="PENDING_MIN_AGE_SECONDS", load_default=300.0,
                                           validate=validate.Range(min=0))
    daily_check_tick_seconds = _seconds("DAILY_CHECK_TICK_SECONDS", 3600.0)

    # The portal's payment platform (DVCQG); without its URL, partner code and secret it is off.
    dvcqg_pay_url = fields.String(data_key="DVCQG_PAY_URL", load_default="")
    dvcqg_pay_partner = fields.String(data_key="DVCQG_PAY_PARTNER", load_default="")
    dvcqg_pay_secret = fields.String(data_key="DVCQG_PAY_SECRET", load_default="")
    dvcqg_pay_version = fields.String(data_key="DVCQG_PAY_VERSION", load_default="1.0.6")
    dvcqg_pay_unit = fields.String(data_key="DVCQG_PAY_UNIT", load_default="")
    dvcqg_pay_service_code = fields.String(data_key="DVCQG_PAY_SERVICE_CODE", load_default="")
    # ThongTinBienLai: the beneficiary account (TKThuHuong), its bank (MaNHThuHuong) and name
    # (TenTKThuHuong), the unit's name (TenDonVi), the service's name (TenDVC)
    dvcqg_pay_account = fields.String(data_key="DVCQG_PAY_ACCOUNT", load_default="")
    dvcqg_pay_bank = fields.String(data_key="DVCQG_PAY_BANK", load_default="")
    dvcqg_pay_account_name = fields.String(data_key="DVCQG_PAY_ACCOUNT_NAME", load_default="")
    dvcqg_pay_unit_name = fields.String(data_key="DVCQG_PAY_UNIT_NAME", load_default="")
    dvcqg_pay_service_name = fields.String(data_key="DVCQG_PAY_SERVICE_NAME", load_default="")
    # INIT's Ip: the address the platform knows the province's server by
    dvcqg_pay_ip = fields.String(data_key="DVCQG_PAY_IP", load_default="")
    dvcqg_pay_timeout_seconds = _seconds("DVCQG_PAY_TIMEOUT_SECONDS", 10.0)
    dvcqg_pay_query_type = fields.String(data_key="DVCQG_PAY_QUERY_TYPE",
                                         load_default="QUERY")
    # MaXacThuc's fields in order (comma-separated); given with the province's credentials.
    dvcqg_pay_fields_init = fields.String(
        data_key="DVCQG_PAY_FIELDS_INIT",
        load_default=INIT_FIELDS)
    dvcqg_pay_fields_confirm = fields.String(data_key="DVCQG_PAY_FIELDS_CONFIRM",
                                             load_default=CONFIRM_FIELDS)
    dvcqg_pay_fields_query = fields.String(data_key="DVCQG_PAY_FIELDS_QUERY",
                                           load_default=QUERY_FIELDS)
