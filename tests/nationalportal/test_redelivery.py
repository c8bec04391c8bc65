"""The redelivery contract for nationalportal's reliable handlers (tests/redelivery.py): each
envelope delivered twice is recorded for the portal once."""
from datetime import datetime, timedelta

import pytest

from services.common.contracts import EVALUATION_ITEMS
from services.common.events import TIMEZONE, new_envelope
from services.nationalportal.service import NationalPortalService
from tests.postal.test_redelivery import CODE
from tests.postal.test_redelivery import dossier_received as postal_dossier_received
from tests.redelivery import delivered_twice


def dossier_received(db):
    """A dossier received at a post office: a dossier to add to the portal."""
    return postal_dossier_received(db)


def status_changed(db):
    """A step of the dossier: a progress row for the portal."""
    at = datetime.now(TIMEZONE)
    return new_envelope("dossier.status_changed", "routing", {
        "code": CODE, "department": "stp", "from_status": "assigned", "to_status": "accepted",
        "public_status": "processing", "actor": "chuyenvien.stp.01", "reason": None,
        "at": at.isoformat(), "due_date": (at + timedelta(days=7)).date().isoformat(),
    }, "corr-redelivery", dossier_code=CODE)


def evaluated(db):
    """The applicant's evaluation: counted in the month's summary for the portal."""
    return new_envelope("dossier.evaluated", "routing", {
        "code": CODE, "department": "stp", "procedure_code": "1.001639", "status": "returned",
        "answers": {item: "satisfied" for item in EVALUATION_ITEMS},
        "officers": ["chuyenvien.stp.01"], "evaluated_at": datetime.now(TIMEZONE).isoformat(),
    }, "corr-redelivery", dossier_code=CODE)


BILL = "5b0c0e57-39d1-4d86-9a4b-3a4f1f0c2b11"


def bill(db):
    """A fee bill of the dossier: a line of DanhSachLePhi."""
    return new_envelope("payment.requested", "payment", {
        "bill_id": BILL, "code": CODE, "kind": "fee", "amount": 200000,
        "description": "Lệ phí cấp phiếu lý lịch tư pháp", "pay_url": None,
    }, "corr-redelivery", dossier_code=CODE)


def settled(db):
    """The fee paid: the dossier no longer shows fees due."""
    return new_envelope("payment.settled", "payment", {
        "bill_id": BILL, "code": CODE, "kind": "fee", "amount": 200000, "paid": 200000,
        "settled_at": datetime.now(TIMEZONE).isoformat(),
    }, "corr-redelivery", dossier_code=CODE)


def result_ready(db):
    """The result ready: its papers for DanhSachGiayToKetQua."""
    return new_envelope("dossier.result_ready", "routing", {
        "code": CODE, "department": "stp", "procedure_name": "Cấp phiếu lý lịch tư pháp",
        "result_reference": "125/QĐ-STP", "ready_at": datetime.now(TIMEZONE).isoformat(),
        "delivery": {"method": "counter", "recipient_name": None, "phone": None,
                     "address": None},
        "releasable": True,
    }, "corr-redelivery", dossier_code=CODE)


def corrections_requested(db):
    """An online dossier not received, corrections asked instead: status 5 for the portal."""
    return new_envelope("dossier.corrections_requested", "intake", {
        "submission_id": "0b8f3f3e-6c1a-4b7e-9f0e-2d8c5a1b7c44",
        "procedure": {"code": "1.001665", "name": "Đăng ký hoạt động Văn phòng công chứng"},
        "department": "stp", "documents": [{"name": "Đơn đăng ký hoạt động", "note": None}],
        "reason": "Đơn chưa ký.", "requested_at": datetime.now(TIMEZONE).isoformat(),
    }, "corr-redelivery")


REDELIVERY_CASES = {
    "handle_corrections_requested": corrections_requested,
    "handle_dossier_received": dossier_received,
    "handle_status_changed": status_changed,
    "handle_evaluated": evaluated,
    "handle_bill": bill,
    "handle_settled": settled,
    "handle_result_ready": result_ready,
}


@pytest.mark.parametrize("method", sorted(REDELIVERY_CASES))
def test_a_redelivered_envelope_has_its_effect_once(method, container_factory, config_for, db):
    envelope = REDELIVERY_CASES[method](db)
    delivered_twice(container_factory, NationalPortalService, config_for("nationalportal"), db,
                    method, envelope)
