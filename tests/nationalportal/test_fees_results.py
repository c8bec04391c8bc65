"""Fees and results reach DVCQG: payment's bills and settlements as DanhSachLePhi, a result
held until the fees are paid as status 6, the result's papers as DanhSachGiayToKetQua, and
every acknowledged sync announced as portal.dossier_synced."""
import uuid

from services.common.events import events_exchange, new_envelope
from tests.conftest import publish_envelope, query, wait_for
from tests.nationalportal.conftest import later, shown, status_changed, synced
from tests.nationalportal.test_sync import receive


def publish(amqp_uri, source, event_type, code, data):
    envelope = new_envelope(event_type, source, {"code": code, **data}, "corr-fees",
                            dossier_code=code)
    publish_envelope(amqp_uri, envelope, events_exchange(source))


def test_fees_the_held_result_and_its_papers_reach_the_portal(linked, db):
    intake, national, portal, amqp_uri = linked
    code = receive(intake)
    synced(national, code)
    bill = str(uuid.uuid4())
    publish(amqp_uri, "payment", "payment.requested", code, {
        "bill_id": bill, "kind": "fee", "amount": 200000,
        "description": "Lệ phí cấp phiếu lý lịch tư pháp", "pay_url": None})
    publish(amqp_uri, "payment", "payment.requested", code, {  # postal: not a fee
        "bill_id": str(uuid.uuid4()), "kind": "postal", "amount": 30000,
        "description": "Cước chuyển phát kết quả", "pay_url": None})
    ready_at = later(5)
    status_changed(amqp_uri, code, "result_ready", ready_at)
    publish(amqp_uri, "routing", "dossier.result_ready", code, {
        "department": "stp", "procedure_name": "Cấp phiếu lý lịch tư pháp",
        "result_reference": "125/QĐ-STP", "ready_at": ready_at.isoformat(),
        "delivery": {"method": "counter", "recipient_name": None, "phone": None,
                     "address": None},
        "releasable": False})

    def held():
        record, _ = shown(portal, code)
        return record if record["TrangThaiHoSo"] == "6" and \
            record["DanhSachGiayToKetQua"] else None
    record = wait_for(held, timeout=20)
    [fee] = record["DanhSachLePhi"]
    assert fee == {"TenPhiLePhi": "Lệ phí cấp phiếu lý lịch tư pháp", "Gia": "200000",
                   "LoaiPhiLePhi": "1"}
    [paper] = record["DanhSachGiayToKetQua"]
    assert paper["GiayToId"] == "125/QĐ-STP" and len(record["NgayKetThucXuLy"]) == 14

    publish(amqp_uri, "payment", "payment.settled", code, {
        "bill_id": bill, "kind": "fee", "amount": 200000, "paid": 200000,
        "settled_at": later(6).isoformat()})
    record = wait_for(lambda: shown(portal, code)[0]
                      if shown(portal, code)[0]["TrangThaiHoSo"] == "9" else None, timeout=20)
    assert record["DanhSachLePhi"] == [fee]  # paid: the status says it, not the item
    state = synced(national, code)
    announced = query(db, "SELECT body FROM nationalportal.outbox"
                          " WHERE routing_key = 'portal.dossier_synced' ORDER BY seq")
    assert announced and all(row["body"]["data"]["code"] == code for row in announced)
    last = announced[-1]["body"]["data"]
    assert last["status_code"] == "9" and last["version"] == state["version"]
