"""What DVCQG is told of a dossier: the one module a province changes when the Government
Office gives it another reading of the interface (codes, field names, formats).

The status table is domain.md's ("DVCQG codes"); the pairs marked there as our reading stay
marked here. Every value goes as a string, as the open-source provincial implementations
send it. README.md ("Where each name comes from") names the public source of each name and
what remains our reading."""
from datetime import date, datetime, time

from services.common.events import TIMEZONE, jsonable
from services.common.rating_scale import SCALE

# TrangThaiHoSo / TrangThai by motcua status (routing's statuses).
STATUS_CODES = {
    "received": "2",
    "assigned": "2",
    "processing": "4",
    "consulting": "4",
    "resubmitted": "4",
    "awaiting_approval": "4",     # inside the agency: the applicant sees it as processing
    "supplement_requested": "5",
    "fees_due": "6",
    "withdrawn": "7",
    "closed": "8",                # a supplement not completed in time
    "refused": "8",               # refused after appraisal (opencps-v2: denied)
    "result_ready": "9",
    "returned": "10",
}
# NoiDungXuLy of a progress row: what happened, as an officer would write it.
STATUS_WORDS = {
    "received": "Tiếp nhận hồ sơ",
    "assigned": "Chuyển hồ sơ đến cơ quan giải quyết",
    "processing": "Đang xử lý hồ sơ",
    "consulting": "Lấy ý kiến cơ quan phối hợp",
    "resubmitted": "Tiếp nhận hồ sơ bổ sung",
    "awaiting_approval": "Trình lãnh đạo phê duyệt",
    "supplement_requested": "Yêu cầu bổ sung, hoàn thiện hồ sơ",
    "withdrawn": "Dừng xử lý theo yêu cầu rút hồ sơ của người nộp",
    "closed": "Dừng xử lý: quá hạn bổ sung hồ sơ",
    "refused": "Từ chối giải quyết hồ sơ",
    "result_ready": "Đã có kết quả giải quyết",
    "returned": "Đã trả kết quả",
}
# An online dossier's status before its formal reception goes with DongBoTrangThaiHoSo
# under the portal's id (type "2"), as opencps-v2 and the Thanh Hóa system send it: 2 once
# received (with motcua's code as MaHoSoDonVi), 5 when the officer asks for corrections
# (opencps-v2 sends 5 for a supplement or a refusal). 1 once intake registered it is our
# reading: no public client sends it with this service.
RECEPTION_CODES = {"awaiting_reception": "1", "corrections_requested": "5", "received": "2"}
RECEPTION_WORDS = {
    "awaiting_reception": "Đã nhận hồ sơ trực tuyến, chờ tiếp nhận chính thức",
    "corrections_requested": "Yêu cầu bổ sung, hoàn thiện hồ sơ trực tuyến",
    "received": "Tiếp nhận hồ sơ",
}
RECEPTION_TYPE = "2"
# LoaiDoiTuong by applicant kind (domain.md, "Applicants").
APPLICANT_KINDS = {"citizen": "1", "business": "2", "state_agency": "3", "organisation": "4"}
# KenhThucHien by channel (the Thanh Hóa system: 1 in person, 2 online, 3 postal).
CHANNELS = {"counter": "1", "online": "2", "postal": "3"}
# HinhThuc is how the result is delivered (opencps-v2, Thanh Hóa: 0 in person, 1 by post).
RESULT_DELIVERIES = {"counter": "0", "post": "1"}
DATE_FORMAT = "%Y%m%d%H%M%S"
# NgayHenTra is a day in motcua; the portal wants a moment: the end of that day's office hours.
DUE_AT = time(17, 0)

# The evaluations go as DongBoDanhGia's monthly summary per procedure (opencps-v2's
# payloadSummaryVote): each answer of the province's scale counts in one of the portal's
# three shares; "not applicable" in none. Counting every applicable answer of the month's
# evaluations (TongSoNguoiDanhGia: the evaluations) is our reading.
RATING_LEVELS = {"very_satisfied": "RatHaiLong", "satisfied": "HaiLong",
                 "not_satisfied": "ChuaHaiLong"}
if set(SCALE.levels) - set(RATING_LEVELS):  # the province's scale (config/evaluation.yml)
    raise ValueError("services/nationalportal/mapping.py RATING_LEVELS has no portal level for "
                     f"{sorted(set(SCALE.levels) - set(RATING_LEVELS))}")
SUMMARY_MONTH = "{month}-{year}"  # NgayTongHop, "M-YYYY" as opencps-v2 sends it

# A result held until the fees are paid shows as 6 ("fees due before the result is
# released", domain.md) while a fee is unpaid; False: the portal sees 9 (result ready).
FEES_DUE_HOLDS_RESULT = True

DOSSIER_REQUIRED = ("MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "LoaiDoiTuong",
                    "Email", "SoDienThoai", "TrichYeuHoSo", "NgayTiepNhan", "NgayHenTra",
                    "TrangThaiHoSo", "HinhThuc", "DonViXuLy")
# Required keys the portal takes empty: a citizen without an e-mail address; NgayHenTra, as
# public clients send it for a dossier without a due date.
MAY_BE_EMPTY = ("Email", "NgayHenTra")
STEP_REQUIRED = ("MaHoSo", "NguoiXuLy", "ThoiDiemXuLy", "NoiDungXuLy", "TrangThai")
RECEPTION_REQUIRED = ("MaHoSo", "TrangThai", "NgayXuLy")


class MissingField(ValueError):
    """motcua lacks a value the portal requires: the dossier cannot be synced until the
    catalogue (or the mapping) gives it."""

    def __init__(self, field, code):
        super().__init__(f"Thiếu trường {field} mà Cổng DVCQG bắt buộc (hồ sơ {code}).")
        self.field = field


def portal_time(value):
    """yyyyMMddHHmmss in Asia/Ho_Chi_Minh; a date is taken at DUE_AT."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = (datetime.fromisoformat(value) if "T" in value
                 else date.fromisoformat(value))
    if not isinstance(value, datetime):
        value = datetime.combine(value, DUE_AT, TIMEZONE)
    return value.astimezone(TIMEZONE).strftime(DATE_FORMAT)


def reception_facts(data):
    """What this service keeps of dossier.received: what the portal is told, no more."""
    procedure, applicant = data["procedure"], data["applicant"]
    organisation = applicant.get("organisation") or {}
    return jsonable({
        "code": data["code"], "channel": data["channel"], "received_at": data["received_at"],
        "due_date": data["due_date"], "submission_id": data.get("submission_id"),
        "result_delivery": data["result_delivery"],
        "procedure": {key: procedure.get(key) for key in (
            "code", "name", "department", "department_name", "sector_code", "sector_name",
            "fee", "charge")},
        "applicant": {"kind": applicant.get("kind") or "citizen",
                      "name": organisation.get("name") or applicant["full_name"],
                      "phone": applicant["phone"], "email": applicant.get("email") or ""},
        "documents": [document.get("name") or document.get("key")
                      for document in data["documents"]],
    })


def step_facts(data):
    """What a progress row needs of dossier.status_changed."""
    return jsonable({"status": data["public_status"], "actor": data["actor"],
                     "department": data["department"], "reason": data.get("reason"),
                     "at": data["at"], "due_date": data["due_date"]})


def reception_step_facts(status, at, reason=None, code=None):
    """A status of an online dossier before (or at) its formal reception: `code` is motcua's
    once it has one."""
    return jsonable({"status": status, "at": at, "reason": reason, "code": code})


def reception_status(portal_id, facts):
    """DongBoTrangThaiHoSo's data of one such status (opencps-v2's fields)."""
    words = RECEPTION_WORDS[facts["status"]]
    record = {
        "MaHoSo": portal_id,
        "MaHoSoDonVi": facts.get("code") or "",
        "TrangThai": RECEPTION_CODES[facts["status"]],
        "NoiDung": f"{words}: {facts['reason']}" if facts.get("reason") else words,
        "NgayXuLy": portal_time(facts["at"]),
    }
    check_required(record, RECEPTION_REQUIRED, portal_id)
    return record


def status_of(steps):
    """The dossier's status now: its latest step's, `received` before any."""
    return steps[-1]["facts"]["status"] if steps else "received"


def moment_of(steps, status):
    found = [step["facts"]["at"] for step in steps if step["facts"]["status"] == status]
    return portal_time(found[-1]) if found else ""


def fee_rows(procedure, bills):
    """DanhSachLePhi: payment's bills once it made them, the procedure's fee before. The
    public item fields carry no payment state: an unpaid fee shows as status 6."""
    if bills:
        return [{"TenPhiLePhi": bill["description"] or "Phí, lệ phí", "Gia": str(bill["amount"]),
                 "LoaiPhiLePhi": "1"} for bill in bills]
    return [{"TenPhiLePhi": "Phí, lệ phí", "Gia": str(procedure["fee"]), "LoaiPhiLePhi": "1"}
            ] if procedure.get("fee") else []


def status_code(steps, bills, result):
    status = status_of(steps)
    unpaid = any(bill["settled_at"] is None for bill in bills)
    if status == "result_ready" and FEES_DUE_HOLDS_RESULT and result and \
            not result["releasable"] and unpaid:
        return STATUS_CODES["fees_due"]
    return STATUS_CODES[status]


def result_papers(result):
    """DanhSachGiayToKetQua once the result is ready: the paper it names, its reference in
    the public fields (GiayToId, and the name), its date in NgayKetThucXuLy."""
    if not result:
        return []
    return [{"TenGiayTo": f"Kết quả giải quyết thủ tục hành chính số {result['reference']}",
             "MaThanhPhanHoSo": "", "GiayToId": result["reference"]}]


def dossier_record(facts, steps, portal_id=None, bills=(), result=None):
    """The DongBoHoSoMC record of a dossier, with `steps` (oldest first), payment's `bills`
    and the `result` as they stand; MissingField when motcua lacks a required value."""
    procedure, applicant = facts["procedure"], facts["applicant"]
    due = steps[-1]["facts"]["due_date"] if steps else facts["due_date"]
    fees = fee_rows(procedure, bills)
    record = {
        "MaHoSo": facts["code"],
        "MaTTHC": procedure["code"],
        "TenTTHC": procedure["name"],
        "MaLinhVuc": procedure.get("sector_code") or "",
        "TenLinhVuc": procedure.get("sector_name") or "",
        "LoaiDoiTuong": APPLICANT_KINDS[applicant["kind"]],
        "ChuHoSo": applicant["name"],
        "Email": applicant["email"],
        "SoDienThoai": applicant["phone"],
        "TrichYeuHoSo": procedure["name"],
        "NgayTiepNhan": portal_time(facts["received_at"]),
        "NgayHenTra": portal_time(due),
        "TrangThaiHoSo": status_code(steps, bills, result),
        "HinhThuc": RESULT_DELIVERIES[facts["result_delivery"]],
        "KenhThucHien": CHANNELS[facts["channel"]],
        "DonViXuLy": procedure.get("department_name") or procedure["department"],
        "NgayKetThucXuLy": moment_of(steps, "result_ready"),
        "NgayTra": moment_of(steps, "returned"),
        "NgayTuChoi": moment_of(steps, "refused"),
        "NgayNopHoSo": portal_time(facts["received_at"]),
        "TaiLieuNop": [{"TenTepDinhKem": name} for name in facts["documents"]],
        "DanhSachLePhi": fees,
        "DanhSachGiayToKetQua": result_papers(result),
        "DuocThanhToanTrucTuyen": "1" if procedure.get("fee") else "0",
    }
    if portal_id:
        record["MaHoSoQG"] = portal_id
    check_required(record, DOSSIER_REQUIRED, facts["code"])
    return record


def step_row(code, facts, received_at):
    """The CapNhatTienDoHoSoMC row of one step."""
    words = STATUS_WORDS.get(facts["status"], facts["status"])
    row = {
        "MaHoSo": code,
        "NguoiXuLy": facts["actor"],
        "ChucDanh": "",
        "ThoiDiemXuLy": portal_time(facts["at"]),
        "PhongBanXuLy": facts["department"],
        "NoiDungXuLy": f"{words}: {facts['reason']}" if facts.get("reason") else words,
        "TrangThai": STATUS_CODES[facts["status"]],
        "NgayBatDau": portal_time(received_at),
        "NgayKetThucTheoQuyDinh": portal_time(facts["due_date"]),
    }
    check_required(row, STEP_REQUIRED, code)
    return row


def rating_summary(month, procedure_code, evaluations, unit_code, unit_name):
    """DongBoDanhGia's item of one month (a date in it) and procedure: `evaluations`, the
    answers of each (the latest evaluation of each dossier). Shares are whole percents as
    opencps-v2 rounds them, the last the rest of 100 so that they add up."""
    counts = dict.fromkeys(("RatHaiLong", "HaiLong", "ChuaHaiLong"), 0)
    for answers in evaluations:
        for answer in answers.values():
            if answer in RATING_LEVELS:
                counts[RATING_LEVELS[answer]] += 1
    total = sum(counts.values())
    very = round(100 * counts["RatHaiLong"] / total) if total else 0
    good = round(100 * counts["HaiLong"] / total) if total else 0
    rest = 100 - very - good if total else 0
    shares = {"RatHaiLong": f"{very}%", "HaiLong": f"{good}%", "ChuaHaiLong": f"{rest}%"}
    return {
        "NgayTongHop": SUMMARY_MONTH.format(month=month.month, year=month.year),
        "TongSoNguoiDanhGia": len(evaluations),
        **{f"PhanTramDanhGia{level}": share for level, share in shares.items()},
        # opencps-v2 sends the service's shares as the same figures
        **{f"PhanTramDanhGiaDichVu{level}": share for level, share in shares.items()},
        "DanhSachNoiDungYKien": "",
        "MaThuTuc": procedure_code,
        "NoiDung": "",
        "Madonvi": unit_code,
        "TenDonVi": unit_name,
    }


def same_step(row, shown):
    """A progress row the portal already shows (TraCuuHoSo): a step sent before an answer
    was lost is recognised instead of sent twice."""
    return all(str(shown.get(key, "")) == row[key]
               for key in ("ThoiDiemXuLy", "TrangThai", "NoiDungXuLy"))


def check_required(record, required, code):
    for field in required:
        if record.get(field) in (None, "") and not (field in MAY_BE_EMPTY
                                                   and record.get(field) == ""):
            raise MissingField(field, code)


# inbound: an online dossier as DVCQG hands it over (LayChiTietHoSo) -------------------------
KINDS_OF_SUBJECT = {code: kind for kind, code in APPLICANT_KINDS.items()}
SUBMISSION_REQUIRED = ("MaTTHC", "ChuHoSo", "SoDinhDanh", "SoDienThoai", "DiaChi")


class Malformed(ValueError):
    """The portal's dossier cannot be handed to intake as it is: parked with this reason."""

    def __init__(self, field, problem):
        super().__init__(f"{field}: {problem}")
        self.field = field


def submission_request(fetched):
    """intake's POST /api/v1/submissions body of a dossier the portal handed over."""
    if not isinstance(fetched, dict):
        raise Malformed("_body", "hồ sơ không phải một đối tượng")
    for field in SUBMISSION_REQUIRED:
        if not isinstance(fetched.get(field), str) or not fetched[field].strip():
            raise Malformed(field, "thiếu hoặc không phải chuỗi ký tự")
    documents = fetched.get("TaiLieuNop")
    if not isinstance(documents, list) or not all(
            isinstance(d, dict) and isinstance(d.get("MaThanhPhanHoSo"), str)
            for d in documents):
        raise Malformed("TaiLieuNop", "phải là danh sách giấy tờ có MaThanhPhanHoSo")
    kind = KINDS_OF_SUBJECT.get(str(fetched.get("LoaiDoiTuong") or "1"))
    if kind is None:
        raise Malformed("LoaiDoiTuong", f"giá trị {fetched.get('LoaiDoiTuong')} không hợp lệ")
    by_post = str(fetched.get("HinhThucNhanKetQua") or "0") == "1"
    request = {
        "procedure_code": fetched["MaTTHC"],
        "applicant": {"kind": kind, "full_name": fetched["ChuHoSo"],
                      "citizen_id": fetched["SoDinhDanh"], "phone": fetched["SoDienThoai"],
                      "email": fetched.get("Email") or None, "address": fetched["DiaChi"]},
        "documents": [{"key": d["MaThanhPhanHoSo"]} for d in documents],
        "result_delivery": "post" if by_post else "counter",
    }
    if by_post:
        request["delivery_address"] = fetched.get("DiaChiNhanKetQua") or fetched["DiaChi"]
    if fetched.get("MaCoQuan"):
        request["agency"] = fetched["MaCoQuan"]
    return request
