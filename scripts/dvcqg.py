"""A fake National Public Service Portal (DVCQG): a real HTTP server that the tests, the demo
and the fault suite talk to, and that is as strict as the portal.

It enforces what provincial systems must respect (services/nationalportal/README.md names
the open-source implementations its rules were checked against): a session from POST
/login {username, password} with the `dstcode` header; every call POST /service {session,
madonvi, service, ...} with the same header; every required field of DongBoHoSoMC and
CapNhatTienDoHoSoMC present, a string, dates as yyyyMMddHHmmss, codes in their ranges; an
add of a dossier it holds answered "đã tồn tại", an update or progress of one it does not
hold refused, except the progress of an online dossier it handed out, under its own id
(MaHoSoQG), before the province numbered it: 1 (registered) and 3 (not received) only. It
keeps what it accepted for the tests to read (GET /_control/received, with `journal`: every
accepted record and row in the order they came),
hands out online dossiers queued by POST /_control/online, and can be told to misbehave
(POST /_control/faults): time out, answer 500 (to every call, or to the calls of the
services listed in `down_services`), expire every session, or hold an added dossier
already (an earlier add whose answer was lost) and so answer "đã tồn tại".

Its payment platform (POST /thanhtoan, no session or dstcode) checks MaDoiTac, MaXacThuc
(SHA-256 over PAY_FIELDS of the message and the secret, `|`-joined), SoTien, ThoiGianTao and
every ThongTinBienLai field, and answers `{MaLoi, MoTa}` naming what is wrong; INIT gives
UrlThanhToan, GET_STATUS the TrangThai (1 paid, 3 pending, 4 failed), GET_BILL the
e-receipt. POST /_control/pay {MaThamChieu, paid} plays the citizen paying and returns the
signed confirmation the platform sends to the province.

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
DOSSIER_MAY_BE_EMPTY = ("Email",)
DOSSIER_OPTIONAL = ("SoBienNhan", "ChuHoSo", "NgayTra", "ThongTinTra", "NgayKetThucXuLy",
                    "GhiChu", "NoiNopHoSo", "DuocThanhToanTrucTuyen", "NgayTuChoi",
                    "NgayNopHoSo", "MaHoSoQG")
DOSSIER_LISTS = ("TaiLieuNop", "DanhSachLePhi", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua",
                 "DinhDanhCHS")
DOSSIER_DATES = ("NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy", "NgayTuChoi",
                 "NgayNopHoSo")
STEP_REQUIRED = ("MaHoSo", "NguoiXuLy", "ThoiDiemXuLy", "NoiDungXuLy", "TrangThai")
STEP_OPTIONAL = ("ChucDanh", "PhongBanXuLy", "NgayBatDau", "NgayKetThucTheoQuyDinh")
STEP_DATES = ("ThoiDiemXuLy", "NgayBatDau", "NgayKetThucTheoQuyDinh")
STATUS_CODES = {str(n) for n in range(1, 11)}
BEFORE_RECEPTION = {"1", "3"}  # what an online dossier may show under the portal's own id
SUBJECT_KINDS = {"1", "2", "3", "4"}
FORMS = {"0", "1", "2"}
RATING_ITEMS = {"a", "b", "c", "d", "dd", "e", "g", "h", "i"}  # Decree 118/2025 art. 33(1)
RATING_LEVELS = {"0", "1", "2", "3"}


# The payment platform (POST /thanhtoan): MaXacThuc = SHA-256 of these fields' values in
# this order and the secret, `|`-joined; the province receives the lists with its credentials.
PAY_FIELDS = {
    "INIT": ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "ThoiGianTao"),
    "GET_STATUS": ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu"),
    "GET_BILL": ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu"),
    "CONFIRM": ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "MaGiaoDich",
                "TrangThai"),
}
RECEIPT_REQUIRED = ("MaTTHC", "MaDVC", "MaDonVi", "MaHoSo", "TaiKhoanThuHuong", "NguoiNop")
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
            self.ratings = {}         # MaHoSo -> the latest rating (a later one replaces it)
            self.catalogue = {"procedures": [], "agencies": [], "sectors": []}
            self.faults = {}
            self.payments = {}        # MaThamChieu -> the platform's transaction
            self.journal = []         # [service, MaHoSo, status] of every accepted record/row

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
        if kind not in ("INIT", "GET_STATUS", "GET_BILL"):
            raise PayRefusal(f"LoaiBanTin không hợp lệ: {kind}")
        for name in ("PhienBan", "MaDoiTac", "MaThamChieu", "MaXacThuc"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise PayRefusal(f"Thiếu trường {name}")
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
            if kind == "GET_STATUS":
                return {"MaLoi": "00", "MaThamChieu": reference, "TrangThai": payment["status"],
                        "SoTien": payment["amount"], "MaGiaoDich": payment["transaction_no"]}
            if payment["status"] != PAY_PAID:
                raise PayRefusal(f"Giao dịch {reference} chưa thanh toán", "05")
            return {"MaLoi": "00", "MaThamChieu": reference, "BienLai": payment["receipt"]}

    def _init(self, body, reference):
        if not isinstance(body.get("SoTien"), str) or not body["SoTien"].isdigit() \
                or int(body["SoTien"]) <= 0:
            raise PayRefusal("SoTien phải là số nguyên dương (chuỗi)")
        if not isinstance(body.get("ThoiGianTao"), str) or not valid_date(body["ThoiGianTao"]):
            raise PayRefusal("ThoiGianTao phải có dạng yyyyMMddHHmmss")
        info = body.get("ThongTinBienLai")
        if not isinstance(info, dict):
            raise PayRefusal("Thiếu trường ThongTinBienLai")
        for name in RECEIPT_REQUIRED:
            if not isinstance(info.get(name), str) or not info[name]:
                raise PayRefusal(f"Thiếu trường ThongTinBienLai.{name}")
        fees = info.get("PhiLePhi")
        if not isinstance(fees, list) or not fees or \
                sum(int(fee.get("SoTien") or 0) for fee in fees) != int(body["SoTien"]):
            raise PayRefusal("ThongTinBienLai.PhiLePhi phải có và cộng lại bằng SoTien")
        if reference in self.payments:
            raise PayRefusal(f"MaThamChieu {reference} đã tồn tại", "06")
        self.payments[reference] = {"amount": body["SoTien"], "status": PAY_PENDING,
                                    "transaction_no": "", "info": info, "receipt": None}
        return {"MaLoi": "00", "MaThamChieu": reference,
                "UrlThanhToan": f"{self.base_url}/thanhtoan/pay?MaThamChieu={reference}"}

    def settle(self, reference, paid=True):
        """The citizen paid (or gave up): the transaction's new state and the confirmation
        the platform sends to the province, signed."""
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
            message = {"LoaiBanTin": "CONFIRM", "PhienBan": "1.0.0",
                       "MaDoiTac": self.pay_partner, "MaThamChieu": reference,
                       "SoTien": payment["amount"], "MaGiaoDich": payment["transaction_no"],
                       "TrangThai": payment["status"]}
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
            if row["MaHoSo"] in self.online and row["MaHoSo"] not in self.dossiers:
                if row["TrangThai"] not in BEFORE_RECEPTION:
                    raise Refusal(f"data[{index}].TrangThai: hồ sơ {row['MaHoSo']} chưa được "
                                  "tiếp nhận, chỉ nhận trạng thái 1 hoặc 3")
            elif row["MaHoSo"] not in self.dossiers:
                raise Refusal(f"data[{index}].MaHoSo: hồ sơ {row['MaHoSo']} chưa được "
                              "đồng bộ")
        for row in rows:
            self.progress.setdefault(row["MaHoSo"], []).append(row)
            self.journal.append(["CapNhatTienDoHoSoMC", row["MaHoSo"], row["TrangThai"]])
        return {}

    def rate(self, body):
        rows = body.get("data")
        if not isinstance(rows, list) or not rows:
            raise Refusal("data phải là danh sách đánh giá")
        for index, row in enumerate(rows):
            check_fields(row, ("MaHoSo", "NgayDanhGia"), (), ("DanhSachDanhGia",),
                         ("NgayDanhGia",), index)
            if row["MaHoSo"] not in self.dossiers:
                raise Refusal(f"data[{index}].MaHoSo: hồ sơ {row['MaHoSo']} chưa được đồng bộ")
            for item in row.get("DanhSachDanhGia") or []:
                if not isinstance(item, dict) or item.get("MaTieuChi") not in RATING_ITEMS \
                        or item.get("KetQua") not in RATING_LEVELS:
                    raise Refusal(f"data[{index}].DanhSachDanhGia: tiêu chí hoặc kết quả "
                                  "không hợp lệ")
        for row in rows:
            self.ratings[row["MaHoSo"]] = row
        return {}

    def lookup(self, body):
        code = body.get("mahoso")
        if not isinstance(code, str) or not code:
            raise Refusal("Thiếu mahoso")
        found = self.dossiers.get(code)
        if found is None and code in self.online:  # handed out, not yet numbered
            found = {"MaHoSoQG": code}
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
                    "ratings": dict(self.ratings), "journal": [list(e) for e in self.journal]}


def listing(kind):
    return lambda portal, body: {"result": list(portal.catalogue[kind])}


SERVICES = {
    "DongBoHoSoMC": Portal.sync, "CapNhatTienDoHoSoMC": Portal.add_progress,
    "TraCuuHoSo": Portal.lookup, "LayDanhSachHoSoMoi": Portal.new_dossiers,
    "LayChiTietHoSo": Portal.dossier, "CapNhatDaNhanHoSo": Portal.acknowledge,
    "LayDanhSachTTHC": listing("procedures"),
    "LayDanhMucCoQuan": listing("agencies"),
    "LayDanhMucLinhVuc": listing("sectors"),
    "DongBoDanhGiaHaiLong": Portal.rate,
}


def check_fields(record, required, optional, lists, dates, index):
    where = f"data[{index}]"
    if not isinstance(record, dict):
        raise Refusal(f"{where}: phải là một đối tượng")
    for field in required:
        if field not in record:
            raise Refusal(f"{where}.{field}: trường bắt buộc")
        if record[field] == "" and field not in DOSSIER_MAY_BE_EMPTY:
            raise Refusal(f"{where}.{field}: trường bắt buộc, không được để trống")
    for field in (*required, *optional):
        if field in record and not isinstance(record[field], str):
            raise Refusal(f"{where}.{field}: phải là chuỗi ký tự")
    for field in lists:
        if field in record and not isinstance(record[field], list):
            raise Refusal(f"{where}.{field}: phải là danh sách")
    unknown = set(record) - set(required) - set(optional) - set(lists)
    if unknown:
        raise Refusal(f"{where}.{sorted(unknown)[0]}: trường không có trong đặc tả")
    for field in dates:
        value = record.get(field, "")
        if value and not valid_date(value):
            raise Refusal(f"{where}.{field}: ngày giờ phải theo định dạng yyyyMMddHHmmss")


def check_dossier(record, index):
    check_fields(record, DOSSIER_REQUIRED, DOSSIER_OPTIONAL, DOSSIER_LISTS, DOSSIER_DATES,
                 index)
    for field, allowed in (("TrangThaiHoSo", STATUS_CODES), ("LoaiDoiTuong", SUBJECT_KINDS),
                           ("HinhThuc", FORMS)):
        if record[field] not in allowed:
            raise Refusal(f"data[{index}].{field}: giá trị {record[field]} không hợp lệ")
    for person in record.get("DinhDanhCHS", []):
        if not {"LoaiDinhDanh", "SoDinhDanh"} <= set(person or {}):
            raise Refusal(f"data[{index}].DinhDanhCHS: cần LoaiDinhDanh và SoDinhDanh")


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
                return 200, {"MaLoi": exc.code, "MoTa": str(exc)}
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
