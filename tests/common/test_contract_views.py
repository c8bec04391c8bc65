"""Consumers of dossier.received check only the fields they read (their view of the
contract): what they build from a view is what they would build from the whole event (postal's
counts on the real database), a field they read is still refused when it is malformed, and one
they don't read cannot stop them."""
from datetime import date

import pytest

from services.common.consumer import PoisonMessage, run_deliveries, validate_data
from services.common.contracts import DossierReceived
from services.common.db import StatementBatch
from services.common.events import new_envelope
from services.notify import messages
from services.notify.contacts import contact_of
from services.payment import billing
from services.postal import reception as postal_reception
from tests.conftest import lookup_fields, query

DATA = {
    "code": "000.00.31.H33-261204-0001",
    "procedure": {"code": "1.001639", "name": "Cấp phiếu lý lịch tư pháp", "department": "STP",
                  "cooperating": ["CA"], "processing_days": 10, "day_kind": "working",
                  "fee": 200_000, "charge": 0, "postal_return": True, "refund_on_refusal": True,
                  "hold_result_until_paid": False},
    "channel": "postal", "receiving_unit": "BD-TRUNGTAM",
    "received_at": "2026-12-04T10:00:00+07:00", "due_date": "2026-12-18",
    "applicant": {"full_name": "Nguyễn Văn An", "citizen_id": "*********345",
                  "phone": "0912345678", "email": "An@Example.vn", "address": "12 Lê Lợi, Huế"},
    "documents": [{"key": "to_khai", "name": "Tờ khai", "copies": 1}],
    "result_delivery": "post", "delivery_address": "12 Lê Lợi, Huế", **lookup_fields("ABCDEFGH"),
    "receiver": {"kind": "postal_clerk", "id": "clerk-1", "post_office": "BD-TRUNGTAM"},
}
NOTIFY_FIELDS = messages.RECEIVED_FIELDS
POSTAL_FIELDS = postal_reception.RECEIVED_FIELDS
VIEWS = [POSTAL_FIELDS, billing.DOSSIER_BILL_FIELDS, NOTIFY_FIELDS]


def envelope(data):
    return new_envelope("dossier.received", "intake", data, "corr-views")


def whole_and_view(fields):
    event = envelope(DATA)
    return validate_data(DossierReceived, event), validate_data(DossierReceived, event, fields)


def test_notify_builds_the_same_receipt_sms_and_contact_from_its_view():
    whole, view = whole_and_view(NOTIFY_FIELDS)
    assert messages.receipt(view) == messages.receipt(whole)
    assert contact_of(view) == contact_of(whole)


def test_payment_builds_the_same_bill_from_its_view():
    whole, view = whole_and_view(billing.DOSSIER_BILL_FIELDS)
    event = envelope(DATA)
    ignore_id = {"id": None}
    assert ({**billing.dossier_bill(event, view), **ignore_id} ==
            {**billing.dossier_bill(event, whole), **ignore_id})


def test_an_organisation_is_the_payer_of_its_dossier_s_bill_a_citizen_of_theirs():
    company = {"name": "Công ty TNHH Mỹ Hòa", "tax_code": "1601234567", "address": "Long Xuyên"}
    by_company = envelope({**DATA, "applicant": {**DATA["applicant"], "kind": "business",
                                                 "organisation": company}})
    view = validate_data(DossierReceived, by_company, billing.DOSSIER_BILL_FIELDS)
    assert billing.dossier_bill(by_company, view)["payer_name"] == "Công ty TNHH Mỹ Hòa"
    _, citizen = whole_and_view(billing.DOSSIER_BILL_FIELDS)
    assert billing.dossier_bill(envelope(DATA), citizen)["payer_name"] == "Nguyễn Văn An"


def test_postal_counts_and_records_a_reception_from_its_view(db):
    _, view = whole_and_view(POSTAL_FIELDS)
    with db.cursor() as cur:  # postal's own statements, on the real database
        batch = StatementBatch(cur)
        postal_reception.count_received(batch, envelope(DATA), view)
        assert run_deliveries(batch, 1)
    assert query(db, "SELECT department, month, counted FROM postal.department_volumes") == [
        {"department": "STP", "month": date(2026, 12, 1), "counted": 1}]
    assert query(db, "SELECT dossier_code, post_office, department, procedure_code, clerk"
                     " FROM postal.receptions") == [
        {"dossier_code": DATA["code"], "post_office": "BD-TRUNGTAM", "department": "STP",
         "procedure_code": "1.001639", "clerk": "clerk-1"}]


@pytest.mark.parametrize("fields", VIEWS)
def test_a_malformed_field_the_consumer_reads_is_still_poison(fields):
    bad = {**DATA, "code": 42, "procedure": {**DATA["procedure"], "department": None}}
    with pytest.raises(PoisonMessage, match="code") as caught:
        validate_data(DossierReceived, envelope(bad), fields)
    assert "department" in str(caught.value)


@pytest.mark.parametrize("fields", VIEWS)
def test_a_malformed_field_the_consumer_does_not_read_does_not_stop_it(fields):
    bad = {**DATA, "documents": "not a list", "result_delivery": "by pigeon"}
    assert validate_data(DossierReceived, envelope(bad), fields)["code"] == DATA["code"]
    with pytest.raises(PoisonMessage, match="documents"):  # routing, which reads them all
        validate_data(DossierReceived, envelope(bad))
