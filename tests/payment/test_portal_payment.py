"""The portal's payment platform as an online channel of payment, against the fake DVCQG
(scripts/dvcqg.py) as a real HTTP server: INIT (signed over the public clients' fields, with
ThoiGianGD and ThongTinBienLai's public names) gives the platform's URL, the confirmation is
trusted only with a valid MaXacThuc, settles once when MaLoi is 00 and is answered with
{MaLoi, MoTaLoi, MaDoiTac, MaThamChieu, ThoiGianGD, MaXacThuc}, pending payments are
resolved by the QUERY (TrangThaiGD), the e-receipt (GET_BILL) is kept, and the day's
reconciliation matches it."""
import hashlib
import threading
from datetime import datetime, time, timedelta

import pytest
import requests

from scripts.dvcqg import PAY_FIELDS, pay_hash, serve
from services.common.db import Pool
from services.common.events import TIMEZONE, now
from services.payment import portal_online
from services.payment.portalpay import PortalPay
from tests.conftest import free_port, query, token, wait_for
from tests.payment import test_service as service_tests
from tests.payment.test_service import outbox, pay, payment_settings

# payment's fixtures, with `payment` below talking to the fake platform
start_payment, bill_for = service_tests.start_payment, service_tests.bill_for

PARTNER, PAY_SECRET = "MOTCUA", "dvcqg-pay-secret-for-tests-0123456789"


@pytest.fixture
def dvcqg():
    server, portal = serve(free_port(), pay_partner=PARTNER, pay_secret=PAY_SECRET)
    yield f"http://127.0.0.1:{server.server_address[1]}", portal
    server.shutdown()
    server.server_close()


def platform(url, **overrides):
    return {"DVCQG_PAY_URL": f"{url}/thanhtoan", "DVCQG_PAY_PARTNER": PARTNER,
            "DVCQG_PAY_SECRET": PAY_SECRET, "DVCQG_PAY_UNIT": "000.00.31.H33",
            "DVCQG_PAY_SERVICE_CODE": "MOTCUA-DVC", "DVCQG_PAY_ACCOUNT": "3511.0.1234567",
            "DVCQG_PAY_BANK": "970415", "DVCQG_PAY_ACCOUNT_NAME": "Kho bạc Nhà nước tỉnh",
            **overrides}


@pytest.fixture
def payment(start_payment, dvcqg):
    return start_payment(**platform(dvcqg[0]))


def start(client, bill):
    started = pay(client, bill, "online", provider="dvcqg")
    assert started.status_code == 201, started.text
    return started.json()


def confirm(client, message):
    answer = client.post("/api/v1/gateway/dvcqg/confirm", json=message)
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"MaLoi", "MoTaLoi", "MaDoiTac", "MaThamChieu", "ThoiGianGD",
                                  "MaXacThuc"}
    return answer.json()["MaLoi"]


def settle(url, reference, paid=True):
    """The citizen pays on the platform: its signed confirmation for us."""
    return requests.post(f"{url}/_control/pay", json={"MaThamChieu": reference, "paid": paid},
                         timeout=5).json()


def test_paid_through_the_portal_confirmed_once_receipt_kept_reconciled(payment, bill_for,
                                                                         dvcqg, db):
    url, portal = dvcqg
    bill = bill_for()
    started = start(payment, bill)
    reference = started["payment"]["reference"]
    assert started["payment"]["provider"] == "dvcqg"
    assert started["pay_url"].startswith(f"{url}/thanhtoan/pay?MaThamChieu={reference}")
    sent = portal.payments[reference]
    assert sent["amount"] == str(bill["amount"])
    assert sent["info"]["MaHoSo"] == bill["dossier_code"]
    assert sent["info"]["MaTTHC"] == bill["procedure_code"]
    assert (sent["info"]["TKThuHuong"], sent["info"]["MaNHThuHuong"]) == ("3511.0.1234567",
                                                                          "970415")
    [fee] = sent["info"]["PhiLePhi"]
    assert set(fee) == {"LoaiPhiLePhi", "MaPhiLePhi", "TenPhiLePhi", "SoTien"}

    message = settle(url, reference)
    assert message["MaLoi"] == "00" and message["SoTien"] == bill["amount"]
    assert confirm(payment, {**message, "SoTien": 1000}) == "97"  # tampered: hash fails
    wrong_amount = {**message, "SoTien": 1000}
    wrong_amount["MaXacThuc"] = pay_hash(PAY_SECRET, wrong_amount, PAY_FIELDS["CONFIRM"])
    assert confirm(payment, wrong_amount) == "04"
    forged = {**message, "MaXacThuc": hashlib.sha256(b"guess").hexdigest()}
    assert confirm(payment, forged) == "97"
    assert not outbox(db, "payment.settled")
    answered = payment.post("/api/v1/gateway/dvcqg/confirm", json=message).json()
    assert answered == {"MaLoi": "00", "MoTaLoi": "Xác nhận thành công", "MaDoiTac": PARTNER,
                        "MaThamChieu": reference, "ThoiGianGD": message["ThoiGianGD"],
                        "MaXacThuc": message["MaXacThuc"]}
    assert confirm(payment, message) == "02"  # a replay changes nothing
    [settled] = outbox(db, "payment.settled")
    assert settled["bill_id"] == str(bill["id"])
    view = payment.get(f"/api/v1/bills/{bill['id']}", token=token("portal")).json()
    assert view["status"] == "paid" and len(view["receipts"]) == 1

    [row] = wait_for(lambda: query(db, "SELECT portal_receipt FROM payment.payments"
                                       " WHERE portal_receipt IS NOT NULL"))
    assert row["portal_receipt"]["MaThamChieu"] == reference
    assert row["portal_receipt"]["SoBienLai"].startswith("BL")

    day = now().date().isoformat()
    csv = (f"reference,amount,value_date,description\n"
           f"{message['MaGiaoDich']},{bill['amount']},{day},DVCQG settlement\n")
    imported = payment.post("/api/v1/statements", token=token("manager"),
                            params={"day": day, "channel": "online", "source": "gateway"},
                            data=csv.encode(), headers={"Content-Type": "text/csv"})
    assert imported.status_code == 201, imported.text
    [report] = imported.json()["channels"]
    assert report["summary"]["mismatches"] == 0 and report["summary"]["counts"]["matched"] == 1


def test_pending_ones_resolved_by_the_status_query(payment, bill_for, dvcqg, db, db_url):
    url, _ = dvcqg
    paid, failed, waiting = (start(payment, bill_for())["payment"]["reference"]
                             for _ in range(3))
    settle(url, paid)  # the confirmations were lost on the way
    settle(url, failed, paid=False)
    settings = payment_settings(**platform(url), PENDING_MIN_AGE_SECONDS=0)
    pool = Pool(db_url, 2)
    try:
        summary = portal_online.run_pending_check(pool, PortalPay(settings), settings, "corr")
    finally:
        pool.close()
    assert summary == {"settled": 1, "failed": 1, "still_pending": 1}
    statuses = {r["reference"]: (r["status"], r["portal_receipt"] is not None) for r in
                query(db, "SELECT reference, status, portal_receipt FROM payment.payments")}
    assert statuses == {paid: ("succeeded", True), failed: ("failed", False),
                        waiting: ("pending", False)}
    assert len(outbox(db, "payment.settled")) == 1


def test_the_platform_refuses_a_missing_receipt_field_and_we_answer_503(start_payment,
                                                                        bill_for, dvcqg, db):
    url, portal = dvcqg
    client = start_payment(**platform(url, DVCQG_PAY_ACCOUNT=""))
    answer = pay(client, bill_for(), "online", provider="dvcqg")
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "portal_payment_unavailable"
    assert not portal.payments  # reserved first, then cancelled: the platform holds nothing
    assert [row["status"] for row in query(db, "SELECT status FROM payment.payments")] == \
        ["cancelled"]
    init = {"LoaiBanTin": "INIT", "PhienBan": "1.0.6", "MaDoiTac": PARTNER,
            "MaThamChieu": "X1", "SoTien": "1000", "LoaiHinhThanhToan": "PAY",
            "MaKenhThanhToan": "1", "MaThietBi": "1", "NgonNgu": "vi-VN", "MaTienTe": "VND",
            "MaNganHang": "PAYMENT", "ThongTinGiaoDich": "x", "ThoiGianGD": "20261206120000",
            "Ip": "", "MaXacThuc": "0" * 64}
    refused = requests.post(f"{url}/thanhtoan", json=init).json()
    assert refused["MaLoi"] == "97" and "MaXacThuc" in refused["MoTaLoi"]
    refused = requests.post(f"{url}/thanhtoan", json={
        key: value for key, value in init.items() if key != "ThoiGianGD"}).json()
    assert "ThoiGianGD" in refused["MoTaLoi"]
    receipt = {"MaDichVu": "2", "MaDVC": "D", "MaTTHC": "1.0", "MaDonVi": "U",
               "MaHoSo": "H", "TKThuHuong": "1", "MaNHThuHuong": "2", "TenTKThuHuong": "3",
               "HoTenNguoiNop": "An", "TaiKhoanThuHuong": "1",
               "PhiLePhi": [{"LoaiPhiLePhi": "1", "MaPhiLePhi": "", "TenPhiLePhi": "Phí",
                             "SoTien": "1000"}]}
    signed = {**init, "ThongTinBienLai": receipt}
    signed["MaXacThuc"] = pay_hash(PAY_SECRET, signed, PAY_FIELDS["INIT"])
    refused = requests.post(f"{url}/thanhtoan", json=signed).json()
    assert "ThongTinBienLai.TaiKhoanThuHuong" in refused["MoTaLoi"]  # no public client has it


def test_without_the_platform_configured_the_channel_is_off(start_payment, bill_for):
    client = start_payment()
    answer = pay(client, bill_for(), "online", provider="dvcqg")
    assert answer.status_code == 503
    assert pay(client, bill_for(), "cash", provider="dvcqg").status_code == 422


def test_a_malformed_confirmation_is_refused_never_a_500(payment):
    for body in ({}, {"MaThamChieu": 5, "SoTien": None, "MaXacThuc": {"x": 1}},
                 {"MaThamChieu": "X", "MaXacThuc": "chữ ký"}, {"MaDoiTac": [PARTNER]}):
        assert confirm(payment, body) == "97"
    unstorable = payment.post("/api/v1/gateway/dvcqg/confirm", json={"MaThamChieu": "\ud800"})
    assert unstorable.status_code == 422 and "MaThamChieu" in unstorable.text
    for raw in (b"[]", b"not json", b'"x"'):
        answer = payment.post("/api/v1/gateway/dvcqg/confirm", data=raw,
                              headers={"Content-Type": "application/json"})
        assert 400 <= answer.status_code < 500, answer.text


def test_a_retry_after_init_went_unanswered_makes_no_second_payment(start_payment, bill_for,
                                                                    dvcqg, db):
    """INIT is sent with no transaction open (nothing waits on the platform holding a lock);
    its answer lost, a retry with the same Idempotency-Key takes the same payment."""
    url, portal = dvcqg
    client = start_payment(**platform(url, DVCQG_PAY_TIMEOUT_SECONDS=1))
    bill = bill_for()
    portal.faults = {"timeout": 1, "timeout_seconds": 2}  # does INIT, answers too late
    citizen = token("portal", subject="cong.dichvucong")  # the same caller every time

    def send():
        return client.post(f"/api/v1/bills/{bill['id']}/payments", token=citizen,
                           headers={"Idempotency-Key": "pay-once-1"},
                           json={"channel": "online", "provider": "dvcqg"})

    first = {}
    sending = threading.Thread(target=lambda: first.update(answer=send()))
    sending.start()
    wait_for(lambda: portal.payments)  # the platform has it; its answer is on its way
    assert query(db, "SELECT count(*) AS n FROM pg_stat_activity WHERE datname ="
                     " current_database() AND state LIKE 'idle in transaction%%'")[0]["n"] == 0
    sending.join()
    assert first["answer"].status_code == 503, first["answer"].text
    [lost] = portal.payments
    retried = send()
    assert retried.status_code == 201, retried.text
    again = send()
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == retried.json()
    [row] = query(db, "SELECT id, reference, status, pay_url FROM payment.payments")
    assert row["status"] == "pending" and row["reference"] != lost
    assert retried.json()["payment"]["id"] == str(row["id"])
    assert retried.json()["pay_url"] == row["pay_url"] and row["reference"] in row["pay_url"]
    assert set(portal.payments) == {lost, row["reference"]}


def test_yesterdays_pending_payments_are_settled_failed_or_expired_once_a_day(
        payment, start_payment, bill_for, dvcqg, db, db_url):
    url, portal = dvcqg
    paid, failed, abandoned, today = (start(payment, bill_for())["payment"]["reference"]
                                      for _ in range(4))
    settle(url, paid)  # the confirmations were lost on the way
    settle(url, failed, paid=False)
    yesterday = now().date() - timedelta(days=1)
    query(db, "UPDATE payment.payments SET created_at = %s WHERE reference IN (%s, %s, %s)"
              " RETURNING 1", (datetime.combine(yesterday, time(10), TIMEZONE), paid, failed,
                               abandoned))
    start_payment(**platform(url), DAILY_CHECK_TICK_SECONDS=0.3)  # its timer's first tick
    [check] = wait_for(lambda: query(
        db, "SELECT summary FROM payment.daily_checks WHERE day = %s AND provider = 'dvcqg'"
            " AND summary IS NOT NULL", (yesterday,)), timeout=20)
    assert check["summary"] == {"settled": 1, "failed": 1, "expired": 1}
    statuses = {r["reference"]: r["status"] for r in
                query(db, "SELECT reference, status FROM payment.payments")}
    assert statuses == {paid: "succeeded", failed: "failed", abandoned: "cancelled",
                        today: "pending"}
    wait_for(lambda: query(db, "SELECT 1 FROM payment.payments WHERE reference = %s"
                               " AND portal_receipt IS NOT NULL", (paid,)))
    settings = payment_settings(**platform(url))
    pool = Pool(db_url, 2)
    try:  # the day is done: another instance's tick, or a rerun, changes nothing
        assert portal_online.daily_check(pool, PortalPay(settings), settings, yesterday,
                                         "corr") is None
    finally:
        pool.close()
    assert len(outbox(db, "payment.settled")) == 1
    assert {r["reference"]: r["status"] for r in
            query(db, "SELECT reference, status FROM payment.payments")} == statuses
