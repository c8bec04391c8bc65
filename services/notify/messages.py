"""What the citizen is told about each event: the event's contract, its template, and the
fields the template may use.

`dossier.overdue` is deliberately not sent to the citizen: a department that will be late
asks, before the due date, for the one extension the law allows (Mẫu 04), and the citizen
hears of it with the new appointment date and the apology (`dossier.extended`); an overdue
flag without a new date would only worry them.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from services.common import contracts
from services.common.events import TIMEZONE
from services.common.money import vnd


def day(value):
    """dd/mm/yyyy of a date, or of a time's day in Vietnam."""
    if isinstance(value, datetime):
        value = value.astimezone(TIMEZONE)
    return value.strftime("%d/%m/%Y")


def moment(value):
    return value.astimezone(TIMEZONE).strftime("%H:%M %d/%m/%Y")


def brief(text, limit=50):
    """Free text an officer typed, cut at a word to `limit` characters with an ellipsis, for an
    SMS whose length is bounded (the email carries it whole)."""
    if len(text) <= limit:
        return text
    return text[:limit - 1].rsplit(" ", 1)[0] + "…"


COMMON_FIELDS = ("center", "full_name", "code")

FIELDS = {
    "receipt": COMMON_FIELDS + ("procedure_name", "due_date", "lookup_secret", "received_at"),
    "supplement_requested": COMMON_FIELDS + ("procedure_name", "documents", "reason",
                                             "documents_brief", "complete_by"),
    "result_ready_counter": COMMON_FIELDS + ("procedure_name", "result_reference", "payment_note",
                                             "evaluation_url"),
    "result_ready_post": COMMON_FIELDS + ("procedure_name", "result_reference", "payment_note",
                                          "evaluation_url"),
    "extension": COMMON_FIELDS + ("procedure_name", "letter_number", "reason", "reason_brief",
                                  "previous_due_date", "new_due_date", "agency"),
    "refused": COMMON_FIELDS + ("reason", "reason_brief", "refused_on"),
    "closed": COMMON_FIELDS + ("procedure_name", "requested_on", "complete_by"),
    "withdrawn": COMMON_FIELDS + ("procedure_name", "reason", "withdrawn_on"),
    "payment_requested": COMMON_FIELDS + ("amount", "description", "how_to_pay"),
    "shipment_created": COMMON_FIELDS + ("tracking_number", "post_office"),
    "shipment_delivered": COMMON_FIELDS + ("tracking_number", "delivered_at"),
    "result_issued": COMMON_FIELDS + ("issued_on",),
}

# The longest values a field plausibly takes: every template's SMS must fit with these.
_SAMPLE = {
    "center": "TT PVHCC", "full_name": "Nguyễn Thị Phương Thảo",
    "code": "000.00.31.H33-261123-0001", "procedure_name": "Cấp giấy phép xây dựng",
    "due_date": "25/11/2026", "lookup_secret": "ABCD2345", "received_at": "08:30 23/11/2026",
    "documents": "Bản vẽ thiết kế; Giấy tờ về quyền sử dụng đất", "reason": "Thiếu bản vẽ",
    "result_reference": "123/GP-SXD", "payment_note": "", "letter_number": "45/SXD-VP",
    "previous_due_date": "25/11/2026", "new_due_date": "02/12/2026", "amount": "1.500.000 đồng",
    "description": "Lệ phí cấp giấy phép", "how_to_pay": "tại quầy hoặc trực tuyến",
    "tracking_number": "EB123456789VN", "post_office": "Bưu điện Sài Gòn",
    "delivered_at": "10:15 27/11/2026", "complete_by": "08/12/2026",
    "refused_on": "27/11/2026", "requested_on": "23/11/2026", "withdrawn_on": "27/11/2026",
    "reason_brief": "Đ" * 50, "documents_brief": "Đ" * 50,
    "agency": "Sở Văn hóa, Thể thao và Du lịch", "issued_on": "27/11/2026",
    "evaluation_url": "https://dichvucong.angiang.gov.vn/danh-gia/000.00.31.H33-261123-0001",
}
SAMPLES = {name: {field: _SAMPLE[field] for field in fields} for name, fields in FIELDS.items()}


@dataclass(frozen=True)
class Message:
    template: str
    context: dict


@dataclass(frozen=True)
class Sealed:
    """A value encrypted for notify alone (the lookup secret, services/common/lookup.py):
    opened only when the message is rendered, so nothing else notify keeps holds it."""
    token: str


def receipt(data):
    return Message("receipt", {
        "code": data["code"], "procedure_name": data["procedure"]["name"],
        "due_date": day(data["due_date"]),
        "lookup_secret": Sealed(data["lookup_secret_for_notify"]),
        "received_at": moment(data["received_at"]),
    })


def supplement_requested(data):
    documents = "; ".join(d["name"] for d in data["documents"])
    return Message("supplement_requested", {
        "code": data["code"], "procedure_name": data["procedure_name"], "reason": data["reason"],
        "documents": documents, "documents_brief": brief(documents),
        "complete_by": day(data["complete_by"]),
    })


def result_ready(data):
    template = "result_ready_post" if data["delivery"]["method"] == "post" else "result_ready_counter"
    note = "" if data["releasable"] else " Vui lòng nộp đủ phí, lệ phí trước khi nhận kết quả."
    return Message(template, {
        "code": data["code"], "procedure_name": data["procedure_name"],
        "result_reference": data["result_reference"], "payment_note": note,
    })


def extension(data):
    return Message("extension", {
        "code": data["code"], "procedure_name": data["procedure_name"],
        "letter_number": data["letter_number"], "reason": data["reason"],
        "reason_brief": brief(data["reason"]), "previous_due_date": day(data["previous_due_date"]),
        "new_due_date": day(data["new_due_date"]),
        # the apology is the competent agency's (art. 19(6)); an event of before version 2
        # does not name it
        "agency": data.get("department_name") or "Cơ quan giải quyết hồ sơ",
    })


def refused(data):
    return Message("refused", {
        "code": data["code"], "reason": data["reason"], "reason_brief": brief(data["reason"]),
        "refused_on": day(data["refused_at"]),
    })


def closed(data):
    return Message("closed", {
        "code": data["code"], "procedure_name": data["procedure_name"],
        "requested_on": day(data["supplement_requested_at"]),
        "complete_by": day(data["complete_by"]),
    })


def withdrawn(data):
    return Message("withdrawn", {
        "code": data["code"], "procedure_name": data["procedure_name"],
        "reason": data["reason"], "withdrawn_on": day(data["withdrawn_at"]),
    })


def payment_requested(data):
    how = f"trực tuyến tại {data['pay_url']} hoặc tại quầy" if data["pay_url"] else "tại quầy thu"
    return Message("payment_requested", {
        "code": data["code"], "amount": vnd(data["amount"]),
        "description": data["description"], "how_to_pay": how,
    })


def shipment_created(data):
    return Message("shipment_created", {
        "code": data["code"], "tracking_number": data["tracking_number"],
        "post_office": data["post_office"],
    })


def shipment_delivered(data):
    return Message("shipment_delivered", {
        "code": data["code"], "tracking_number": data["tracking_number"],
        "delivered_at": moment(data["delivered_at"]),
    })


def result_issued(data):
    """docstore's result.issued: the signed electronic result may be downloaded."""
    return Message("result_issued", {"code": data["code"], "issued_on": day(data["issued_at"])})


# What notify reads of dossier.received (the receipt SMS and the dossier's contact): it is
# checked for these fields only.
RECEIVED_FIELDS = ("code", "applicant.full_name", "applicant.phone", "applicant.email",
                   "procedure.name", "procedure.department", "due_date",
                   "lookup_secret_for_notify", "received_at")


class Reading(NamedTuple):
    """How notify reads an event it tells the citizen about: its contract, the fields it
    reads (None: all of them) and the message it makes."""
    contract: type
    fields: tuple | None
    build: Callable


# event type -> how it is read; the handlers declare the same, and an event that waited for
# its dossier's contact is read again through it.
EVENTS = {
    "dossier.received": Reading(contracts.DossierReceived, RECEIVED_FIELDS, receipt),
    "dossier.supplement_requested": Reading(contracts.SupplementRequested, None,
                                            supplement_requested),
    "dossier.result_ready": Reading(contracts.ResultReady, None, result_ready),
    "dossier.extended": Reading(contracts.DossierExtended, None, extension),
    "dossier.apology_issued": Reading(contracts.ApologyIssued, None, extension),
    "dossier.refused": Reading(contracts.DossierRefused, None, refused),
    "dossier.closed": Reading(contracts.DossierClosed, None, closed),
    "dossier.withdrawn": Reading(contracts.DossierWithdrawn, None, withdrawn),
    "payment.requested": Reading(contracts.PaymentRequested, None, payment_requested),
    "postal.shipment_created": Reading(contracts.ShipmentCreated, None, shipment_created),
    "postal.delivered": Reading(contracts.ShipmentDelivered, None, shipment_delivered),
    "result.issued": Reading(contracts.ResultIssued, None, result_issued),
}
