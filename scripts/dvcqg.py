"""A fake National Public Service Portal (DVCQG): a real HTTP server that the tests, the demo
and the fault suite talk to, and that is as strict as the portal.

It enforces what provincial systems must respect (services/nationalportal/README.md names
the open-source implementations its rules were checked against): a session from POST
/login {username, password} with the `dstcode` header; every call POST /service {session,
madonvi, service, ...} with the same header; every required field of DongBoHoSoMC and
CapNhatTienDoHoSoMC present, a string, dates as yyyyMMddHHmmss, codes in their ranges, no
field and no list item field that no public client sends; an add of a dossier it holds
answered "đã tồn tại", an update or progress of one it does not hold refused; the status of
an online dossier it handed out set under its own id (DongBoTrangThaiHoSo, type "2"); the
monthly rating summaries (DongBoDanhGia), a later one of a month, procedure and unit
replacing the earlier. It keeps what it accepted for the tests to read (GET
/_control/received, with `journal`: every accepted record, row and status in the order
they came),
hands out online dossiers queued by POST /_control/online, and can be told to misbehave
(POST /_control/faults): time out, answer 500 (to every call, or to the calls of the
services listed in `down_services`), expire every session, or hold an added dossier
already (an earlier add whose answer was lost) and so answer "đã tồn tại".

Its payment platform (POST /thanhtoan, no session or dstcode) checks MaDoiTac, MaXacThuc
(SHA-256 over PAY_FIELDS of the message and the secret, `|`-joined), SoTien, ThoiGianGD and
the ThongTinBienLai fields (the public ones only), and answers `{MaLoi, MoTaLoi}` naming
what is wrong; INIT gives UrlThanhToan, QUERY the TrangThaiGD (1 paid, 3 pending, 4
failed), GET_BILL the e-receipt. POST /_control/pay {MaThamChieu, paid} plays the citizen
paying and returns the signed confirmation the platform sends to the province (MaLoi "00"
when paid).

    python -m scripts.dvcqg --port 8090
"""
import argparse
import hashlib
import json
import re
import secrets
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK, REFUSED, SESSION_EXPIRED = "00", "-1", "-2"
DATE = re.compile(r"^\d{14}$")
DOSSIER_REQUIRED = ("MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "LoaiDoiTuong",
                    "Email", "SoDienThoai", "TrichYeuHoSo", "NgayTiepNhan", "NgayHenTra",
                    "TrangThaiHoSo", "HinhThuc", "DonViXuLy")
# Public clients leave these empty: a citizen without e-mail, a dossier without a due date.
DOSSIER_MAY_BE_EMPTY = ("Email", "NgayHenTra")
DOSSIER_OPTIONAL = ("SoBienNhan", "ChuHoSo", "NgayTra", "ThongTinTra", "NgayKetThucXuLy",
                    "GhiChu", "NoiNopHoSo", "DuocThanhToanTrucTuyen", "NgayTuChoi",
                    "NgayNopHoSo", "MaHoSoQG", "MaDoiTuong", "ThongTinKhac", "Fax",
                    "KenhThucHien", "SoGiayToChuHoSo", "HoSoCoThanhPhanSoHoa",
                    "TaiKhoanDuocXacThucVoiVNeID")
DOSSIER_LISTS = ("TaiLieuNop", "DanhSachLePhi", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua",
                 "DinhDanhCHS", "DanhSachTepDinhKemKhac", "DSKetNoiCSDL")
# The fields public clients send in the items of a list (the others' are not known: their
# items are not checked).
LIST_ITEMS = {
    "TaiLieuNop": ("TepDinhKemId", "TenTepDinhKem", "IsDeleted", "MaThanhPhanHoSo",
                   "DuongDanTaiTepTin"),
    "DanhSachLePhi": ("TenPhiLePhi", "MaPhiLePhi", "HinhThucThu", "Gia", "LoaiPhiLePhi"),
    "DanhSachGiayToKetQua": ("TenGiayTo", "MaThanhPhanHoSo", "GiayToId",
                             "DuongDanTepTinKetQua", "MaGiayToKetQua"),
    "DinhDanhCHS": ("LoaiDinhDanh", "SoDinhDanh"),
    "DSKetNoiCSDL": ("MaCSDL",),
}
DOSSIER_DATES = ("NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy", "NgayTuChoi",
                 "NgayNopHoSo")
STEP_REQUIRED = ("MaHoSo", "NguoiXuLy", "ThoiDiemXuLy", "NoiDungXuLy", "TrangThai")
STEP_OPTIONAL = ("ChucDanh", "PhongBanXuLy", "NgayBatDau", "NgayKetThucTheoQuyDinh")
STEP_DATES = ("ThoiDiemXuLy", "NgayBatDau", "NgayKetThucTheoQuyDinh")
STATUS_CODES = {str(n) for n in range(1, 11)}
SUBJECT_KINDS = {"1", "2", "3", "4"}
RESULT_DELIVERIES = {"0", "1"}  # HinhThuc: in person, by post
CHANNELS = {"1", "2", "3"}  # KenhThucHien: in person, online, postal
# DongBoTrangThaiHoSo (type "2"): an online dossier's status under the portal's id.
STATUS_TYPES = {"2"}
STATUS_REQUIRED = ("MaHoSo", "TrangThai", "NgayXuLy")
STATUS_OPTIONAL = ("MaHoSoDonVi", "MaDoiTuong", "NoiDung")
# DongBoDanhGia: a monthly summary per procedure and unit.
RATING_REQUIRED = ("NgayTongHop", "PhanTramDanhGiaRatHaiLong", "PhanTramDanhGiaHaiLong",
                   "PhanTramDanhGiaChuaHaiLong", "MaThuTuc", "Madonvi")
RATING_OPTIONAL = ("TenDonVi", "NoiDung", "DanhSachNoiDungYKien",
                   "PhanTramDanhGiaDichVuRatHaiLong", "PhanTramDanhGiaDichVuHaiLong",
                   "PhanTramDanhGiaDichVuChuaHaiLong")
RATING_MAY_BE_EMPTY = ("MaThuTuc", "NoiDung", "DanhSachNoiDungYKien", "TenDonVi")
MONTH = re.compile(r"^(1[0-2]|[1-9])-\d{4}$")
SHARE = re.compile(r"^(100|\d{1,2})%$")


# The payment platform (POST /thanhtoan): MaXacThuc = SHA-256 of these fields' values in
# this order and the secret, `|`-joined; the province receives the lists with its credentials.
PAY_FIELDS = {
    "INIT": ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien",
             "LoaiHinhThanhToan", "MaKenhThanhToan", "MaThietBi", "NgonNgu", "MaTienTe",
             "MaNganHang", "ThongTinGiaoDich", "ThoiGianGD", "Ip"),
    "QUERY": ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "ThoiGianGD"),
    "GET_BILL": ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "ThoiGianGD"),
    "CONFIRM": ("LoaiBanTin", "MaLoi", "MaDoiTac", "MaThamChieu", "SoTien", "MaTienTe",
                "MaGiaoDich", "MaNganHang", "ThoiGianGD", "ThongTinGiaoDich"),
}
RECEIPT_REQUIRED = ("MaDichVu", "MaDVC", "MaTTHC", "MaDonVi", "MaHoSo", "TKThuHuong",
                    "MaNHThuHuong", "TenTKThuHuong", "HoTenNguoiNop")
RECEIPT_OPTIONAL = ("TenDVC", "TenTTHC", "TenDonVi", "NoiDungThanhToan", "SoCMNDNguoiNop",
                    "DiaChiNguoiNop", "HuyenNguoiNop", "TinhNguoiNop", "MaLoaiHinhThuPhat",
                    "TenLoaiHinhThuPhat", "MaCoQuanQD", "TenCoQuanQD", "KhoBac", "NgayQD",
                    "SoQD", "ThoiGianViPham", "DiaDiemViPham", "TenNguoiViPham",
                    "TaiKhoanThuNSNN")
RECEIPT_FEE = ("LoaiPhiLePhi", "MaPhiLePhi", "TenPhiLePhi", "SoTien")
RECEIPT_ITEM = ("NoiDung", "SoTien")
PAY_PAID, PAY_PENDING, PAY_FAILED = "1", "3", "4"
# The partner code and shared secret the platform gives a province, unless told others.
PAY_PARTNER, PAY_SECRET = "MOTCUA", "dvcqg-pay-secret-for-tests-0123456789"


def pay_hash(secret, message, fields):
    values = ["" if message.get(name) is None else str(message[name]) for name in fields]
    return hashlib.sha256("|".join([*values, secret]).encode("utf-8")).hexdigest()


class PayRefusal(Exception):
    def __init__(self, message, code="03"):
        super().__init__(message)
        self.code = code


class Refusal(Exception):
    def __init__(self, message, code=REFUSED):
        super().__init__(message)
        self.code = code


class Portal:
    """The portal's state; every method runs under one lock."""

    def __init__(self, username="motcua", password="", dstcode="H15", pay_partner=PAY_PARTNER,
                 pay_secret=PAY_SECRET):
        self.username, self.password, self.dstcode = username, password, dstcode
        self.pay_partner, self.pay_secret = pay_partner, pay_secret
        self.base_url = ""
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.sessions = set()
            self.dossiers = {}        # MaHoSo -> the record as last accepted
            self.progress = {}        # MaHoSo -> [rows]
            self.calls = []           # (service, accepted) of every call
            self.online = {}          # portal id -> dossier handed out by LayChiTietHoSo
            self.taken = []           # portal ids acknowledged (CapNhatDaNhanHoSo)
            self.statuses = {}        # portal id -> [DongBoTrangThaiHoSo data], in order
            self.ratings = {}         # "NgayTongHop MaThuTuc Madonvi" -> the latest summary
            self.catalogue = {"procedures": [], "agencies": [], "sectors": []}
            self.faults = {}
            self.payments = {}        # MaThamChieu -> the platform's transaction
            self.journal = []         # [service, MaHoSo, status] of every accepted record,
            #                           row and status

    # faults ------------------------------------------------------------------------------
    def fault(self, kind):
        """Takes one use of a fault switch: True while it is on."""
        with self.lock:
            left = self.faults.get(kind)
            if not left:
                return False
            if left is not True:
                self.faults[kind] = left - 1
            return True

    # the payment platform --------------------------------------------------------------------
    def pay(self, body):
        kind = body.get("LoaiBanTin")
        if kind not in ("INIT", "QUERY", "GET_BILL"):
            raise PayRefusal(f"LoaiBanTin không hợp lệ: {kind}")
        for name in ("PhienBan", "MaDoiTac", "MaThamChieu", "MaXacThuc"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise PayRefusal(f"Thiếu trường {name}")
        for name in PAY_FIELDS[kind]:
            if not isinstance(body.get(name), str):
                raise PayRefusal(f"Thiếu trường {name} (chuỗi ký tự)")
        if not valid_date(body["ThoiGianGD"]):
            raise PayRefusal("ThoiGianGD phải có dạng yyyyMMddHHmmss")
        if body["MaDoiTac"] != self.pay_partner:
            raise PayRefusal("MaDoiTac không đúng", "02")
        if body["MaXacThuc"] != pay_hash(self.pay_secret, body, PAY_FIELDS[kind]):
            raise PayRefusal("MaXacThuc không hợp lệ", "97")
        reference = body["MaThamChieu"]
        with self.lock:
            if kind == "INIT":
                return self._init(body, reference)
            payment = self.payments.get(reference)
            if payment is None:
                raise PayRefusal(f"Không có giao dịch {reference}", "01")
            if kind == "QUERY":
                return {"MaLoi": "00", "MaThamChieu": reference,
                        "TrangThaiGD": payment["status"], "SoTien": int(payment["amount"]),
                        "MaGiaoDich": payment["transaction_no"],
                        "ThoiGianGD": payment["at"]}
            if payment["status"] != PAY_PAID:
                raise PayRefusal(f"Giao dịch {reference} chưa thanh toán", "05")
            return {"MaLoi": "00", "MaThamChieu": reference, "BienLai": payment["receipt"]}

    def _init(self, body, reference):
        if not body["SoTien"].isdigit() or int(body["SoTien"]) <= 0:
            raise PayRefusal("SoTien phải là số nguyên dương (chuỗi)")
        info = body.get("ThongTinBienLai")
        if not isinstance(info, dict):
            raise PayRefusal("Thiếu trường ThongTinBienLai")
        check_receipt(info)
        if sum(int(fee["SoTien"]) for fee in info["PhiLePhi"]) != int(body["SoTien"]):
            raise PayRefusal("ThongTinBienLai.PhiLePhi phải cộng lại bằng SoTien")
        if reference in self.payments:
            raise PayRefusal(f"MaThamChieu {reference} đã tồn tại", "06")
        self.payments[reference] = {"amount": body["SoTien"], "status": PAY_PENDING,
                                    "transaction_no": "", "info": info, "receipt": None,
                                    "at": body["ThoiGianGD"],
                                    "about": body["ThongTinGiaoDich"]}
        return {"MaLoi": "00", "MaThamChieu": reference,
                "UrlThanhToan": f"{self.base_url}/thanhtoan/pay?MaThamChieu={reference}"}

    def settle(self, reference, paid=True):
        """The citizen paid (or gave up): the transaction's new state and the confirmation
        the platform sends to the province, signed (MaLoi "00" when paid)."""
        with self.lock:
            payment = self.payments[reference]
            payment["status"] = PAY_PAID if paid else PAY_FAILED
            payment["transaction_no"] = f"DVCQG{secrets.randbelow(10**10):010d}"
            if paid:
                payment["receipt"] = {
                    "SoBienLai": f"BL{secrets.randbelow(10**7):07d}", "KyHieu": "DVCQG/26E",
                    "MaThamChieu": reference, "SoTien": payment["amount"],
                    "MaHoSo": payment["info"]["MaHoSo"],
                    "NgayThu": datetime.now().strftime("%Y%m%d%H%M%S")}
            message = {"LoaiBanTin": "CONFIRM", "MaLoi": "00" if paid else "99",
                       "MaDoiTac": self.pay_partner, "MaThamChieu": reference,
                       "SoTien": int(payment["amount"]), "MaTienTe": "VND",
                       "MaGiaoDich": payment["transaction_no"], "MaNganHang": "PAYMENT",
                       "ThoiGianGD": payment["at"], "ThongTinGiaoDich": payment["about"]}
        message["MaXacThuc"] = pay_hash(self.pay_secret, message, PAY_FIELDS["CONFIRM"])
        return message

    # the interface ------------------------------------------------------------------------
    def login(self, body):
        if body.get("username") != self.username or body.get("password") != self.password:
            raise Refusal("Sai tên đăng nhập hoặc mật khẩu", "-1")
        session = secrets.token_hex(16)
        with self.lock:
            self.sessions.add(session)
        return {"session": session, "error_code": 0}

    def service(self, body):
        with self.lock:
            if body.get("session") not in self.sessions:
                raise Refusal("Phiên làm việc không hợp lệ hoặc đã hết hạn", SESSION_EXPIRED)
            if not isinstance(body.get("madonvi"), str) or not body["madonvi"]:
                raise Refusal("Thiếu madonvi")
            name = body.get("service")
            handler = SERVICES.get(name)
            if handler is None:
                raise Refusal(f"Không có dịch vụ {name}")
            try:
                answer = handler(self, body)
            except Refusal:
                self.calls.append((name, False))
                raise
            self.calls.append((name, True))
            return {"error_code": OK, "message": "Thành công", **answer}

    def sync(self, body):
        updating = body.get("isUpdating")
        if updating not in (True, False, "True", "False", "true", "false"):
            raise Refusal("isUpdating phải là True hoặc False")
        updating = str(updating).lower() == "true"
        records = body.get("data")
        if not isinstance(records, list) or not records:
            raise Refusal("data phải là danh sách hồ sơ")
        for index, record in enumerate(records):
            check_dossier(record, index)
            code = record["MaHoSo"]
            if not updating and code not in self.dossiers and self.fault("exists"):
                self.dossiers[code] = record  # as if an earlier add had arrived unanswered
            if not updating and code in self.dossiers:
                raise Refusal(f"Hồ sơ {code} đã tồn tại")
            if updating and code not in self.dossiers:
                raise Refusal(f"Hồ sơ {code} không tồn tại")
        for record in records:
            self.dossiers[record["MaHoSo"]] = record
            self.journal.append(["DongBoHoSoMC", record["MaHoSo"], record["TrangThaiHoSo"]])
        return {}

    def add_progress(self, body):
        rows = body.get("data")
        if not isinstance(rows, list) or not rows:
            raise Refusal("data phải là danh sách tiến độ")
        for index, row in enumerate(rows):
            check_fields(row, STEP_REQUIRED, STEP_OPTIONAL, (), STEP_DATES, index)
            if row["TrangThai"] not in STATUS_CODES:
                raise Refusal(f"data[{index}].TrangThai: mã trạng thái {row['TrangThai']} "
                              "không hợp lệ")
            if row["MaHoSo"] not in self.dossiers:
                raise Refusal(f"data[{index}].MaHoSo: hồ sơ {row['MaHoSo']} chưa được "
                              "đồng bộ")
        for row in rows:
            self.progress.setdefault(row["MaHoSo"], []).append(row)
            self.journal.append(["CapNhatTienDoHoSoMC", row["MaHoSo"], row["TrangThai"]])
        return {}

    def set_status(self, body):
        """DongBoTrangThaiHoSo: the status of an online dossier it handed out, under its id."""
        if body.get("type") not in STATUS_TYPES:
            raise Refusal(f"type: giá trị {body.get('type')} không hợp lệ")
        data = body.get("data")
        if not isinstance(data, dict):
            raise Refusal("data phải là một đối tượng")
        check_fields(data, STATUS_REQUIRED, STATUS_OPTIONAL, ("TaiLieuXuLy",), ("NgayXuLy",),
                     None)
        if data["TrangThai"] not in STATUS_CODES:
            raise Refusal(f"data.TrangThai: mã trạng thái {data['TrangThai']} không hợp lệ")
        if data["MaHoSo"] not in self.online:
            raise Refusal(f"data.MaHoSo: không có hồ sơ {data['MaHoSo']} trên Cổng")
        self.statuses.setdefault(data["MaHoSo"], []).append(data)
        self.journal.append(["DongBoTrangThaiHoSo", data["MaHoSo"], data["TrangThai"]])
        return {}

    def rate(self, body):
        """DongBoDanhGia: monthly summaries; a later one of the same month, procedure and
        unit replaces the earlier."""
        rows = body.get("data")
        if not isinstance(rows, list) or not rows:
            raise Refusal("data phải là danh sách tổng hợp đánh giá")
        for index, row in enumerate(rows):
            check_fields(row, RATING_REQUIRED, RATING_OPTIONAL, (), (), index,
                         may_be_empty=RATING_MAY_BE_EMPTY, numbers=("TongSoNguoiDanhGia",))
            if not MONTH.match(row["NgayTongHop"]):
                raise Refusal(f"data[{index}].NgayTongHop: phải có dạng M-YYYY")
            for field in RATING_REQUIRED[1:4] + RATING_OPTIONAL[3:]:
                if field in row and not SHARE.match(row[field]):
                    raise Refusal(f"data[{index}].{field}: phải là tỉ lệ dạng NN%")
        for row in rows:
            self.ratings[f"{row['NgayTongHop']} {row['MaThuTuc']} {row['Madonvi']}"] = row
        return {}

    def lookup(self, body):
        code = body.get("mahoso")
        if not isinstance(code, str) or not code:
            raise Refusal("Thiếu mahoso")
        found = self.dossiers.get(code)
        return {"result": [{**found, "TienDo": list(self.progress.get(code, []))}]
                if found else []}

    def new_dossiers(self, body):
        waiting = [pid for pid in self.online if pid not in self.taken]
        return {"result": [{"MaHoSoQG": pid} for pid in waiting]}

    def dossier(self, body):
        pid = body.get("mahosoqg")
        if pid not in self.online:
            raise Refusal(f"Không có hồ sơ {pid}")
        return {"result": self.online[pid]}

    def acknowledge(self, body):
        pid = body.get("mahosoqg")
        if pid not in self.online:
            raise Refusal(f"Không có hồ sơ {pid}")
        self.taken.append(pid)
        return {}

    # what the tests read ------------------------------------------------------------------
    def received(self):
        with self.lock:
            return {"dossiers": dict(self.dossiers),
                    "progress": {code: list(rows) for code, rows in self.progress.items()},
                    "calls": [list(call) for call in self.calls], "taken": list(self.taken),
                    "statuses": {pid: list(rows) for pid, rows in self.statuses.items()},
                    "ratings": dict(self.ratings), "journal": [list(e) for e in self.journal]}


def listing(kind):
    return lambda portal, body: {"result": list(portal.catalogue[kind])}


SERVICES = {
    "DongBoHoSoMC": Portal.sync, "CapNhatTienDoHoSoMC": Portal.add_progress,
    "DongBoTrangThaiHoSo": Portal.set_status,
    "TraCuuHoSo": Portal.lookup, "LayDanhSachHoSoMoi": Portal.new_dossiers,
    "LayChiTietHoSo": Portal.dossier, "CapNhatDaNhanHoSo": Portal.acknowledge,
    "LayDanhSachTTHC": listing("procedures"),
    "LayDanhMucCoQuan": listing("agencies"),
    "LayDanhMucLinhVuc": listing("sectors"),
    "DongBoDanhGia": Portal.rate,
}


def check_fields(record, required, optional, lists, dates, index,
                 may_be_empty=DOSSIER_MAY_BE_EMPTY, numbers=()):
    where = "data" if index is None else f"data[{index}]"
    if not isinstance(record, dict):
        raise Refusal(f"{where}: phải là một đối tượng")
    for field in (*required, *numbers):
        if field not in record:
            raise Refusal(f"{where}.{field}: trường bắt buộc")
        if record[field] == "" and field not in may_be_empty:
            raise Refusal(f"{where}.{field}: trường bắt buộc, không được để trống")
    for field in (*required, *optional):
        if field in record and not isinstance(record[field], str):
            raise Refusal(f"{where}.{field}: phải là chuỗi ký tự")
    for field in numbers:
        if not isinstance(record[field], int) or record[field] < 0:
            raise Refusal(f"{where}.{field}: phải là số nguyên không âm")
    for field in lists:
        if field in record and not isinstance(record[field], list):
            raise Refusal(f"{where}.{field}: phải là danh sách")
    unknown = set(record) - set(required) - set(optional) - set(lists) - set(numbers)
    if unknown:
        raise Refusal(f"{where}.{sorted(unknown)[0]}: trường không có trong đặc tả")
    for field in dates:
        value = record.get(field, "")
        if value and not valid_date(value):
            raise Refusal(f"{where}.{field}: ngày giờ phải theo định dạng yyyyMMddHHmmss")


def check_items(record, index):
    """The items of the lists whose public item fields are known: objects with those
    fields only, each a string."""
    for field, known in LIST_ITEMS.items():
        for number, item in enumerate(record.get(field, [])):
            where = f"data[{index}].{field}[{number}]"
            if not isinstance(item, dict):
                raise Refusal(f"{where}: phải là một đối tượng")
            unknown = set(item) - set(known)
            if unknown:
                raise Refusal(f"{where}.{sorted(unknown)[0]}: trường không có trong đặc tả")
            for name, value in item.items():
                if not isinstance(value, str):
                    raise Refusal(f"{where}.{name}: phải là chuỗi ký tự")


def check_dossier(record, index):
    check_fields(record, DOSSIER_REQUIRED, DOSSIER_OPTIONAL, DOSSIER_LISTS, DOSSIER_DATES,
                 index)
    for field, allowed in (("TrangThaiHoSo", STATUS_CODES), ("LoaiDoiTuong", SUBJECT_KINDS),
                           ("HinhThuc", RESULT_DELIVERIES), ("KenhThucHien", CHANNELS)):
        if field in record and record[field] not in allowed:
            raise Refusal(f"data[{index}].{field}: giá trị {record[field]} không hợp lệ")
    check_items(record, index)
    for person in record.get("DinhDanhCHS", []):
        if not {"LoaiDinhDanh", "SoDinhDanh"} <= set(person):
            raise Refusal(f"data[{index}].DinhDanhCHS: cần LoaiDinhDanh và SoDinhDanh")


def check_receipt(info):
    """ThongTinBienLai: its required fields, its public ones only, PhiLePhi and DSKhoanNop
    with their items' public fields."""
    for name in RECEIPT_REQUIRED:
        if not isinstance(info.get(name), str) or not info[name]:
            raise PayRefusal(f"Thiếu trường ThongTinBienLai.{name}")
    for name in RECEIPT_OPTIONAL:
        if name in info and not isinstance(info[name], str):
            raise PayRefusal(f"ThongTinBienLai.{name} phải là chuỗi ký tự")
    unknown = set(info) - set(RECEIPT_REQUIRED) - set(RECEIPT_OPTIONAL) - {"PhiLePhi",
                                                                            "DSKhoanNop"}
    if unknown:
        raise PayRefusal(f"ThongTinBienLai.{sorted(unknown)[0]}: trường không có trong đặc tả")
    for name, fields, required in (("PhiLePhi", RECEIPT_FEE, True),
                                   ("DSKhoanNop", RECEIPT_ITEM, False)):
        items = info.get(name, [])
        if not isinstance(items, list) or (required and not items):
            raise PayRefusal(f"ThongTinBienLai.{name} phải là danh sách"
                             + (" có ít nhất một khoản" if required else ""))
        for number, item in enumerate(items):
            if not isinstance(item, dict) or set(item) != set(fields) or not all(
                    isinstance(value, str) for value in item.values()):
                raise PayRefusal(f"ThongTinBienLai.{name}[{number}] phải có đúng các trường "
                                 f"{', '.join(fields)} (chuỗi ký tự)")
            if not item["SoTien"].isdigit():
                raise PayRefusal(f"ThongTinBienLai.{name}[{number}].SoTien phải là số nguyên")


def valid_date(value):
    if not isinstance(value, str) or not DATE.match(value):
        return False
    try:
        datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


class Handler(BaseHTTPRequestHandler):
    portal = None  # set by serve()
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, status, body):
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError as exc:
            raise Refusal("Dữ liệu không phải JSON") from exc
        if not isinstance(body, dict):
            raise Refusal("Dữ liệu phải là một đối tượng JSON")
        return body

    def do_GET(self):
        if self.path == "/_control/received":
            self._answer(200, self.portal.received())
        else:
            self._answer(404, {"error_code": REFUSED, "message": "Không tìm thấy"})

    def do_POST(self):
        portal = self.portal
        try:
            body = self._body()
            if self.path.startswith("/_control/"):
                self._answer(200, control(portal, self.path, body))
                return
            if portal.fault("error500") or body.get("service") in portal.faults.get(
                    "down_services", ()):
                self._answer(500, {"error_code": "500", "message": "Lỗi hệ thống"})
                return
            # a slow portal does the work, then answers after the caller gave up
            slow = portal.fault("timeout")
            status, answer = self._call(portal, body)
            if slow:
                time.sleep(portal.faults.get("timeout_seconds", 30))
            self._answer(status, answer)
        except Refusal as exc:
            self._answer(200, {"error_code": exc.code, "message": str(exc)})

    def _call(self, portal, body):
        if self.path == "/thanhtoan":  # the payment platform: no session, its own hash
            try:
                return 200, portal.pay(body)
            except PayRefusal as exc:
                return 200, {"MaLoi": exc.code, "MoTaLoi": str(exc)}
        try:
            if self.headers.get("dstcode") != portal.dstcode:
                raise Refusal("Thiếu hoặc sai mã dstcode", "-3")
            if self.path == "/login":
                return 200, portal.login(body)
            if self.path == "/service":
                if portal.fault("expire_sessions"):
                    with portal.lock:
                        portal.sessions.clear()
                return 200, portal.service(body)
            return 404, {"error_code": REFUSED, "message": "Không tìm thấy"}
        except Refusal as exc:
            return 200, {"error_code": exc.code, "message": str(exc)}


def control(portal, path, body):
    """The tests' switches: faults, online dossiers to hand out, the catalogue, reset."""
    if path == "/_control/faults":
        with portal.lock:
            portal.faults = dict(body)
    elif path == "/_control/online":
        with portal.lock:
            portal.online.update(body)
    elif path == "/_control/catalogue":
        with portal.lock:
            portal.catalogue.update(body)
    elif path == "/_control/reset":
        portal.reset()
    elif path == "/_control/pay":
        return portal.settle(body["MaThamChieu"], bool(body.get("paid", True)))
    return {"ok": True}


def serve(port, host="127.0.0.1", **credentials):
    """The server, started on its own thread: (server, portal). server.shutdown() stops it."""
    portal = Portal(**credentials)
    handler = type("PortalHandler", (Handler,), {"portal": portal})
    server = ThreadingHTTPServer((host, port), handler)
    portal.base_url = f"http://{host}:{server.server_address[1]}"
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, portal


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    portal = Portal(password=args.password)
    portal.base_url = f"http://127.0.0.1:{args.port}"
    handler = type("PortalHandler", (Handler,), {"portal": portal})
    ThreadingHTTPServer(("127.0.0.1", args.port), handler).serve_forever()


if __name__ == "__main__":
    main()
