"""The dossier register (Mẫu 07, Sổ theo dõi hồ sơ, Circular 03/2025/TT-VPCP): one book per
receiving unit (the counter) and day, each dossier entered in the order it was stored
(store.NUMBERED_DOSSIER numbers it in the statement that stores it). As JSON, as a printable
page (A4 landscape, one book per page; the columns of the result's return are filled in by
hand) and as CSV."""
import csv
import io
from itertools import groupby

from services.common.documents import day as day_text
from services.common.documents import environment
from services.common.events import TIMEZONE

from . import store
from .applicants import applicant_address, applicant_name
from .receipt import CHANNEL_LABELS, DELIVERY_LABELS

FORM = "Mẫu 07"
TITLE = "SỔ THEO DÕI HỒ SƠ"
_ENV = environment(__package__)
CSV_COLUMNS = ("Sổ (đơn vị tiếp nhận)", "Ngày", "Số thứ tự", "Mã hồ sơ", "Mã thủ tục",
               "Tên thủ tục hành chính", "Số lượng hồ sơ (bộ)", "Tên cá nhân, tổ chức",
               "Địa chỉ", "Số điện thoại", "Cơ quan chủ trì giải quyết", "Hình thức nộp",
               "Thời gian nhận hồ sơ", "Hẹn trả kết quả", "Chuyển hồ sơ giấy đến cơ quan",
               "Nơi nhận kết quả")


def register_of(cur, caller, day, unit):
    """The books of `day` (of `unit` when given): a counter officer's agency's entries only."""
    department = caller.department if caller.role == "counter_officer" else None
    rows = store.register_entries(cur, day, unit, department)
    books = [{"unit": {"code": code, "name": entries[0]["unit_name"]},
              "entries": [_entry(row) for row in entries]}
             for code, entries in ((code, list(group)) for code, group in
                                   groupby(rows, key=lambda row: row["receiving_unit"]))]
    return {"form": FORM, "title": TITLE, "day": day.isoformat(), "books": books}


def _entry(row):
    applicant = row["applicant"]
    return {
        "entry": row["register_entry"], "code": row["code"],
        "procedure": {"code": row["procedure_code"], "name": row["procedure_name"]},
        "sets": 1,
        "applicant": {"name": applicant_name(applicant), "address": applicant_address(applicant),
                      "phone": applicant["phone"]},
        "agency": {"code": row["department"], "name": row["department_name"]},
        "channel": row["channel"],
        "received_at": row["received_at"].astimezone(TIMEZONE).isoformat(),
        "due_date": row["due_date"].isoformat(),
        "paper_handover_on": (row["paper_handover_on"].isoformat()
                              if row["paper_handover_on"] else None),
        "result_delivery": row["result_delivery"],
    }


def render_html(register, letterhead):
    """Every book of the day on its pages, the first book's unit in the letterhead."""
    books = register["books"]
    return _ENV.get_template("register.html").render(
        register=register, letterhead=letterhead, form_number=FORM, title=TITLE,
        paper="A4 landscape", issuer=books[0]["unit"]["name"] if books else "Bộ phận Một cửa",
        number=None, issued=register["day"], channels=CHANNEL_LABELS,
        deliveries=DELIVERY_LABELS)


def to_csv(register):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for book in register["books"]:
        for entry in book["entries"]:
            applicant = entry["applicant"]
            writer.writerow((
                book["unit"]["code"], day_text(register["day"]), entry["entry"], entry["code"],
                entry["procedure"]["code"], entry["procedure"]["name"], entry["sets"],
                applicant["name"], applicant["address"], applicant["phone"],
                entry["agency"]["name"], CHANNEL_LABELS[entry["channel"]],
                entry["received_at"][11:16] + " " + day_text(entry["received_at"]),
                day_text(entry["due_date"]),
                day_text(entry["paper_handover_on"]) if entry["paper_handover_on"] else "",
                DELIVERY_LABELS[entry["result_delivery"]]))
    return out.getvalue()
