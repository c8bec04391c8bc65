"""The events notify consumes, as their publishers make them, for notify's tests."""
from datetime import datetime, timedelta

from services.common.events import TIMEZONE, events_exchange, new_envelope
from tests.conftest import lookup_fields, publish_envelope


def publish(amqp_uri, source, envelope):
    publish_envelope(amqp_uri, envelope, events_exchange(source))


def received_event(code, phone="0912345678", email="ngoc.tran@example.vn", department="sxd"):
    now = datetime.now(TIMEZONE)
    return new_envelope("dossier.received", "intake", {
        "code": code,
        "procedure": {"code": "1.009972", "name": "Cấp giấy phép xây dựng", "department": department,
                      "cooperating": [], "processing_days": 15, "day_kind": "working", "fee": 0,
                      "charge": 75000, "postal_return": True, "refund_on_refusal": False,
                      "hold_result_until_paid": False},
        "channel": "counter", "receiving_unit": "000.00.31.H33", "received_at": now.isoformat(),
        "due_date": (now + timedelta(days=21)).date().isoformat(),
        "applicant": {"full_name": "Trần Thị Bích Ngọc", "citizen_id": "*********234",
                      "phone": phone, "email": email, "address": "25 Nguyễn Huệ"},
        "documents": [], "result_delivery": "counter", "delivery_address": None,
        **lookup_fields("ABCD2345"), "receiver": {"role": "counter_officer"},
    }, f"corr-{code}", dossier_code=code)


def result_ready_event(code, method="counter"):
    return new_envelope("dossier.result_ready", "routing", {
        "code": code, "department": "sxd", "procedure_name": "Cấp giấy phép xây dựng",
        "result_reference": "123/GP-SXD", "ready_at": datetime.now(TIMEZONE).isoformat(),
        "delivery": {"method": method}, "releasable": True,
    }, f"corr-{code}", dossier_code=code)


def result_issued_event(code):
    return new_envelope("result.issued", "docstore", {
        "document_id": "6f1c2b9e-3d4a-4c5b-8e7f-9a0b1c2d3e4f", "code": code,
        "department": "sxd", "issued_at": datetime.now(TIMEZONE).isoformat(),
    }, f"corr-{code}", dossier_code=code)


def supplement_event(code, documents):
    return new_envelope("dossier.supplement_requested", "routing", {
        "code": code, "department": "sxd", "procedure_name": "Cấp giấy phép xây dựng",
        "documents": [{"name": name} for name in documents], "reason": "Thiếu giấy tờ",
        "requested_at": "2026-12-01T10:00:00+07:00", "complete_by": "2026-12-16",
    }, f"corr-{code}", dossier_code=code)


def extension_event(code):
    return new_envelope("dossier.extended", "routing", {
        "code": code, "department": "sxd", "department_name": "Sở Xây dựng",
        "procedure_name": "Cấp giấy phép xây dựng", "letter_number": "45/XL-SXD",
        "reason": "Chờ ý kiến cơ quan phối hợp",
        "previous_due_date": "2026-12-01", "new_due_date": "2026-12-08",
        "legal_due_date": "2026-12-01", "issued_at": "2026-11-30T15:00:00+07:00",
    }, "c", dossier_code=code)


def supplement_event_version_1(code):
    """As routing announced a supplement before Decree 118/2025: no last day."""
    envelope = supplement_event(code, ["Bản vẽ thiết kế"])
    del envelope["data"]["complete_by"]
    return {**envelope, "version": 1}


def apology_event(code):
    """An extension as routing announced it before Decree 118/2025 (`dossier.apology_issued`)."""
    data = extension_event(code)["data"]
    del data["department_name"], data["legal_due_date"]
    return {**new_envelope("dossier.apology_issued", "routing", data, "c", dossier_code=code),
            "version": 1}


def refused_event(code, reason="Công trình nằm trong hành lang bảo vệ đê điều"):
    return new_envelope("dossier.refused", "routing", {
        "code": code, "department": "sxd", "reason": reason,
        "refused_at": "2026-12-02T16:30:00+07:00",
    }, "c", dossier_code=code)


def closed_event(code):
    return new_envelope("dossier.closed", "routing", {
        "code": code, "department": "sxd", "procedure_name": "Cấp giấy phép xây dựng",
        "supplement_requested_at": "2026-12-01T10:00:00+07:00", "complete_by": "2026-12-16",
        "closed_at": "2026-12-17T00:00:30+07:00",
    }, "c", dossier_code=code)


def withdrawn_event(code):
    return new_envelope("dossier.withdrawn", "routing", {
        "code": code, "department": "sxd", "procedure_name": "Cấp giấy phép xây dựng",
        "reason": "không còn nhu cầu", "withdrawn_at": "2026-12-03T09:00:00+07:00",
    }, "c", dossier_code=code)


def bill_event(code, bill_id="B1", amount=1500000, description="Lệ phí cấp giấy phép"):
    return new_envelope("payment.requested", "payment", {
        "bill_id": bill_id, "code": code, "kind": "fee", "amount": amount,
        "description": description, "pay_url": None,
    }, "c", dossier_code=code)


def shipment_created_event(code):
    return new_envelope("postal.shipment_created", "postal", {
        "shipment_id": "S1", "tracking_number": "EB123456789VN", "code": code,
        "post_office": "Bưu điện Sài Gòn", "fee": 30000,
        "created_at": datetime.now(TIMEZONE).isoformat(),
    }, "c", dossier_code=code)


def shipment_delivered_event(code):
    return new_envelope("postal.delivered", "postal", {
        "shipment_id": "S1", "tracking_number": "EB123456789VN", "code": code,
        "delivered_at": "2026-12-09T10:15:00+07:00",
    }, "c", dossier_code=code)
