"""The receipt and appointment slip (Mẫu 01, Giấy tiếp nhận hồ sơ và hẹn trả kết quả,
Circular 03/2025/TT-VPCP) as JSON, and as a printable page (A4) with the dossier code as text
and as the QR code of the public lookup address; and the transfer slip (Phiếu chuyển xử lý,
Decree 118/2025 art. 20(2)(a)) that goes with the paper dossier from the receiving unit to
the competent agency. Both from templates/ a province may edit."""
from datetime import datetime

from services.common.documents import environment, lookup_addresses
from services.common.events import TIMEZONE

from .applicants import printed_applicant

FORM = "Mẫu 01"
TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
TRANSFER_TITLE = "PHIẾU CHUYỂN XỬ LÝ HỒ SƠ"
_ENV = environment(__package__)
CHANNEL_LABELS = {
    "counter": "Trực tiếp tại Bộ phận Một cửa",
    "online": "Trực tuyến (Cổng Dịch vụ công quốc gia)",
    "postal": "Qua dịch vụ bưu chính công ích",
}
DELIVERY_LABELS = {"counter": "Tại Bộ phận Một cửa", "post": "Qua dịch vụ bưu chính công ích"}
DOCUMENT_FORM_LABELS = {"original": "Bản chính", "certified_copy": "Bản sao có chứng thực",
                        "copy": "Bản sao"}
DAY_KIND_LABELS = {"working": "ngày làm việc", "calendar": "ngày"}
DOSSIER_SETS = 1  # one dossier is one set of documents (số lượng hồ sơ: 01 bộ)


def build_receipt(dossier, procedure, receiving_unit, agency, calendar):
    """The receipt as it is stored with the dossier; `agency` is the competent agency's
    {code, name}. Its register entry is given when the dossier is stored (receipt_view)."""
    received = dossier["received_at"].astimezone(TIMEZONE)
    return {
        "form": FORM,
        "title": TITLE,
        "receiving_unit": {"code": receiving_unit["code"], "name": receiving_unit["name"]},
        "agency": {"code": procedure["department"], "name": agency["name"]},
        "code": dossier["code"],
        "lookup_secret": dossier["lookup_secret"],
        "applicant": printed_applicant(dossier["applicant"]),
        "procedure": {"code": procedure["code"], "name": procedure["name"]},
        "channel": dossier["channel"],
        "documents": dossier["documents"],
        "sets": DOSSIER_SETS,
        "processing_time": {"days": procedure["processing_days"], "kind": procedure["day_kind"]},
        "received_at": received.isoformat(),
        "due_date": dossier["due_date"].isoformat(),
        "return_at": return_moment(calendar, received, dossier["due_date"]).isoformat(),
        "paper_handover_on": (dossier["paper_handover_on"].isoformat()
                              if dossier["paper_handover_on"] else None),
        "result_delivery": dossier["result_delivery"],
        "delivery_address": dossier["delivery_address"],
        "fee": procedure["fee"],
        "charge": procedure["charge"],
        "receiver": dossier["receiver"].get("id"),
    }


def return_moment(calendar, received, due_date):
    """When the result is promised: the close of office hours on a same-day dossier's due
    date, the opening of the offices on any later one."""
    opening, _ = calendar.office_hours[0]
    at = calendar.office_close if due_date == received.date() else opening
    return datetime.combine(due_date, at, TIMEZONE)


def receipt_view(row):
    """The stored receipt with its register entry (the book of its unit and day, and its
    number in it); a receipt stored before it named the agency gets the catalogue's name."""
    return {"agency": {"code": row["department"],
                       "name": row["department_name"] or row["department"]},
            **row["receipt"],
            "register": {"unit": row["receiving_unit"], "day": row["register_day"].isoformat(),
                         "entry": row["register_entry"]}}


def transfer_slip(receipt):
    """The transfer slip as JSON: what goes, from which unit, to which agency, when."""
    keys = ("code", "procedure", "applicant", "documents", "received_at", "due_date",
            "register")
    return {"form": "Phiếu chuyển xử lý", "title": TRANSFER_TITLE,
            "from": receipt["receiving_unit"], "to": receipt["agency"],
            "paper_handover_on": receipt.get("paper_handover_on"),
            **{key: receipt[key] for key in keys}}


def processing_time_label(time):
    if time["days"] == 0:
        return "Trong ngày"
    return f"{time['days']:02d} {DAY_KIND_LABELS[time['kind']]}"


def render_html(receipt, letterhead):
    """The printable Mẫu 01. A receipt stored before the standard fields were kept prints
    without them."""
    qr_url, lookup_address = lookup_addresses(letterhead, receipt["code"],
                                              receipt["lookup_secret"])
    return _ENV.get_template("receipt.html").render(
        receipt=receipt, letterhead=letterhead, form_number=FORM, title=TITLE,
        paper="A4", issuer=receipt["receiving_unit"]["name"],
        number=receipt["register"]["entry"], issued=receipt["received_at"],
        qr_url=qr_url, lookup_address=lookup_address,
        channel=CHANNEL_LABELS[receipt["channel"]],
        delivery=DELIVERY_LABELS[receipt["result_delivery"]],
        processing_time=(processing_time_label(receipt["processing_time"])
                         if "processing_time" in receipt else None),
        document_forms=DOCUMENT_FORM_LABELS,
    )


def render_transfer_slip(receipt, letterhead):
    return _ENV.get_template("transfer_slip.html").render(
        receipt=receipt, letterhead=letterhead, form_number="Phiếu chuyển xử lý",
        title=TRANSFER_TITLE, paper="A4", issuer=receipt["receiving_unit"]["name"],
        number=receipt["register"]["entry"], issued=receipt["received_at"],
        document_forms=DOCUMENT_FORM_LABELS,
        processing_time=(processing_time_label(receipt["processing_time"])
                         if "processing_time" in receipt else None),
    )
