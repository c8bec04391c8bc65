"""The center's manager in Chromium (tests/browser/manager_scenarios.py): the dashboard draws
its charts as SVG with their figures in tables, without JavaScript too; Biểu 06 of November
2026, over fixture dossiers with known counts, is shown with the month's sentence, downloaded
as CSV whose figures are those counts, and printed; the other reports open; a date typed
wrong is named; a manager purges a dead letter and replays another, each recorded with who
and when; a fee paid twice is refunded; axe-core finds no serious or critical violation."""
import csv
import io
import json
from contextlib import closing
from datetime import datetime

import pika
import psycopg2
import pytest
import requests

from scripts.payment_gateway import ipn_params
from services.common.consumer import DEAD_LETTER_QUEUE
from services.common.dead_letters import message_key
from services.common.events import TIMEZONE, new_envelope
from tests.browser.conftest import receive_by_api, scenario
from tests.browser.test_desk import serious_violations
from tests.conftest import AXE_RESULTS, token, wait_for
from tests.routing.november_dossiers import HOTICH, SXD, TOTAL, insert_november

pytestmark = pytest.mark.e2e
SCENARIOS = "tests.browser.manager_scenarios"
GATEWAY_SECRET = "manager-pages-gateway-secret-0123456789"
# the CSV's columns of figures, in Vietnamese, and where each is in routing's figures
FIGURE_COLUMNS = {
    "Tiếp nhận: tổng số": ("received", "total"), "Tiếp nhận: trực tuyến": ("received", "online"),
    "Tiếp nhận: trực tiếp và bưu chính": ("received", "direct_and_postal"),
    "Tiếp nhận: từ kỳ trước chuyển sang": ("received", "carried_over"),
    "Đã giải quyết: tổng số": ("resolved", "total"),
    "Đã giải quyết: trước hạn": ("resolved", "early"),
    "Đã giải quyết: đúng hạn": ("resolved", "on_time"),
    "Đã giải quyết: quá hạn": ("resolved", "late"),
    "Đang giải quyết: tổng số": ("pending", "total"),
    "Đang giải quyết: trong hạn": ("pending", "within_time"),
    "Đang giải quyết: quá hạn": ("pending", "overdue"),
    "Rút, dừng hoặc đóng hồ sơ": ("withdrawn_or_closed", None)}


def stack_env(folder):
    """Online payment on: the gateway's confirmation can come after the counter took cash."""
    return {"VNPAY_TMN_CODE": "MOTCUA01", "VNPAY_HASH_SECRET": GATEWAY_SECRET}


@pytest.fixture(scope="module")
def november(stack):
    """The fixture dossiers of November 2026 in routing's table, and one received today."""
    with psycopg2.connect(stack.env["DB_URL"]) as conn, conn.cursor() as cur:
        insert_november(cur)
    receive_by_api(stack, "Hoàng Văn Minh", "0911222333")


def figures_of(row):
    return {column: int(row[column]) for column in FIGURE_COLUMNS}


def expected(figures):
    return {column: figures[section] if key is None else figures[section][key]
            for column, (section, key) in FIGURE_COLUMNS.items()}


def test_a_manager_downloads_bieu06_of_a_month_and_its_figures_are_the_dossiers(
        desk, november):
    found = scenario("reports", desk, module=SCENARIOS)
    bieu06 = found["bieu06"]
    assert "01/11/2026" in bieu06["title"] and "30/11/2026" in bieu06["title"]
    assert ("tiếp nhận 10 hồ sơ, trong đó nhận trực tiếp 5 hồ sơ, nhận trực tuyến 3 hồ sơ, "
            "nhận qua dịch vụ bưu chính 2 hồ sơ") in bieu06["sentence"]
    assert bieu06["csv_bom"], "Excel needs the byte-order mark to read UTF-8"
    assert bieu06["csv_name"] == "bieu06_2026-11-01_2026-11-30.csv"
    rows = list(csv.DictReader(io.StringIO(bieu06["csv"])))
    [total] = [row for row in rows if row["Cơ quan"] == "Tổng cộng"]
    assert figures_of(total) == expected(TOTAL)
    [hotich] = [row for row in rows if row["Lĩnh vực"] == "Hộ tịch"]
    assert (hotich["Mã cơ quan"], hotich["Cơ quan"]) == ("stp", "Sở Tư pháp")
    assert figures_of(hotich) == expected(HOTICH)
    [sxd] = [row for row in rows if row["Mã cơ quan"] == "sxd" and row["Lĩnh vực"] == "Cộng cơ quan"]
    assert figures_of(sxd) == expected(SXD)
    assert bieu06["printed_missing"] == [] and bieu06["printed_chrome"] == 0
    # the other reports: a row per agency and the total; per agency; this month's procedure
    assert found["agencies"] == 3 and found["channels"] == 2
    assert "2.000488" in found["steps"]
    assert "Từ ngày" in found["typed_wrong"] and "dd/mm/yyyy" in found["typed_wrong"]
    assert found["typed_kept"] == "2026-11-01"
    AXE_RESULTS.update(found["axe"])
    assert not serious_violations(found["axe"])
    assert found["csp_refused"] == []


def test_the_dashboard_draws_its_charts_as_svg_with_the_figures_in_a_table(desk, november):
    """And the national portal's sync status opens beside it."""
    dashboard = scenario("dashboard", desk, module=SCENARIOS)
    assert dashboard["home"].endswith("/dashboard"), "the manager's page after signing in"
    assert dashboard["charts"] == 2 and dashboard["scripts_in_charts"] == 0
    assert "Công an tỉnh" in dashboard["month_chart_text"]
    [police] = [row for row in dashboard["received_rows"] if row.startswith("Công an tỉnh")]
    cells = police.split("\t")
    assert cells[1:4] == ["1", "0", "0"], "today: one dossier at the counter"
    [pending] = [row for row in dashboard["pending_rows"] if row.startswith("Công an tỉnh")]
    assert pending.split("\t")[1:] == ["1", "0"], "within time, overdue"
    assert "Tỉ lệ đã đồng bộ" in dashboard["portal_sync"], "the national portal's sync status"
    AXE_RESULTS.update(dashboard["axe"])
    assert not serious_violations(dashboard["axe"])
    assert dashboard["csp_refused"] == []
    plain = scenario("without_javascript", desk, module=SCENARIOS)
    assert plain["charts"] == 2 and plain["rows"] > 0


def dead_letter(amqp_uri, body, headers):
    """A message put in the dead-letter queue as a consumer parks one."""
    with closing(pika.BlockingConnection(pika.URLParameters(amqp_uri))) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish("", DEAD_LETTER_QUEUE, body, mandatory=True, properties=(
            pika.BasicProperties(content_type="application/json", headers=headers,
                                 delivery_mode=pika.DeliveryMode.Persistent)))


def test_a_manager_purges_one_dead_letter_and_replays_another_and_both_are_audited(
        desk, stack):
    amqp_uri = stack.env["AMQP_URI"]
    replayed_to = "motcua.test.replayed"
    with closing(pika.BlockingConnection(pika.URLParameters(amqp_uri))) as connection:
        channel = connection.channel()
        channel.queue_declare(replayed_to, auto_delete=False)
        channel.queue_purge(replayed_to)
    garbage = b"{not json"
    dead_letter(amqp_uri, garbage, {
        "x-motcua-reason": "UndecodableMessage: cannot decode body (application/json)",
        "x-motcua-original-queue": "evt-intake-dossier.received--notify.handle_dossier_received",
        "x-motcua-consumer": "notify.handle_dossier_received", "x-motcua-attempt": 1})
    envelope = new_envelope("dossier.received", "intake", {}, "corr-desk-dlq")
    dead_letter(amqp_uri, json.dumps(envelope).encode(), {
        "x-motcua-reason": "RuntimeError: the department's system was down",
        "x-motcua-original-queue": replayed_to, "x-motcua-consumer": "notify.probe",
        "x-motcua-attempt": 5})
    to_purge, to_replay = message_key(garbage), envelope["id"]
    found = scenario("dead_letters", desk, f"{to_purge},{to_replay}", module=SCENARIOS)
    assert found["listed"]
    assert "Chọn ít nhất một thư" in found["nothing_chosen"]
    assert "cannot decode body" in found["letter"] and "{not json" in found["letter"]
    assert "Xác nhận xóa" in found["unconfirmed"]
    assert found["purged"] == "Đã xóa 1 thư." and found["replayed"].startswith("Đã phát lại 1 thư")
    assert to_purge not in found["left"] and to_replay not in found["left"]
    with closing(pika.BlockingConnection(pika.URLParameters(amqp_uri))) as connection:
        _, _, body = connection.channel().basic_get(replayed_to, auto_ack=True)
    assert json.loads(body)["id"] == to_replay, "the replayed message is back on its queue"
    with psycopg2.connect(stack.env["DB_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT action, subject, outcome FROM desk.audit WHERE username = %s "
                    "AND action LIKE 'dead_letters_%%' ORDER BY id", ("trungtam.lanhdao",))
        assert cur.fetchall() == [("dead_letters_purge", to_purge, "ok"),
                                  ("dead_letters_replay", to_replay, "ok")]
    AXE_RESULTS.update(found["axe"])
    assert not serious_violations(found["axe"])


def test_a_manager_adds_a_day_off_typed_dd_mm_yyyy_and_gives_it_back_each_change_audited(
        desk, stack):
    found = scenario("calendar", desk, module=SCENARIOS)
    assert "Ngày" in found["typed_wrong"] and "dd/mm/yyyy" in found["typed_wrong"]
    assert found["national"].startswith("Có 1 lỗi"), "a day the national calendar has off"
    assert "Đã cập nhật lịch ngày 15/03/2027" in found["added"]
    assert "15/03/2027" in found["days_off"] and "Nghỉ bù theo quyết định" in found["days_off"]
    assert "Ngày 15/03/2027 trở lại theo lịch quốc gia" in found["removed"]
    assert "15/03/2027" not in found["left"].replace(found["removed"], "")
    with psycopg2.connect(stack.env["DB_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT action, subject, outcome FROM desk.audit WHERE username = %s "
                    "AND action LIKE 'calendar_%%' ORDER BY id", ("trungtam.lanhdao",))
        assert cur.fetchall() == [("calendar_day_set", "2027-01-01 day_off", "refused"),
                                  ("calendar_day_set", "2027-03-15 day_off", "ok"),
                                  ("calendar_day_removed", "2027-03-15", "ok")]
    AXE_RESULTS.update(found["axe"])
    assert not serious_violations(found["axe"])


def fee_bill(stack, code):
    """The dossier's fee bill, once payment has made it."""
    [bill] = wait_for(lambda: requests.get(stack.url("payment", "/api/v1/bills"), timeout=10,
                                           params={"dossier_code": code},
                                           headers={"Authorization": "Bearer " + token("manager")}
                                           ).json()["bills"], timeout=30)
    return bill


def pay(stack, bill, channel, role_token, key):
    answer = requests.post(stack.url("payment", f"/api/v1/bills/{bill['id']}/payments"),
                           json={"channel": channel}, timeout=10,
                           headers={"Authorization": f"Bearer {role_token}",
                                    "Idempotency-Key": key})
    assert answer.status_code == 201, answer.text
    return answer.json()


COUNTER = token("counter_officer", department="ca", center="trung_tam_tinh")


def paid_in_cash(stack):
    """A dossier received today whose fee the counter took in cash: (code, payment)."""
    code = receive_by_api(stack, "Trịnh Thị Hoa", "0933444555")
    return code, pay(stack, fee_bill(stack, code), "cash", COUNTER, f"cash-{code}")["payment"]


def test_a_manager_reconciles_the_day_from_an_uploaded_statement_and_sees_a_dossier_s_bill(
        desk, stack, tmp_path):
    code, payment = paid_in_cash(stack)
    day = datetime.now(TIMEZONE).date().isoformat()
    statement = tmp_path / "sao-ke.csv"
    statement.write_bytes("\ufeffreference,amount,value_date,description\r\n"
                          f"{payment['reference']},{payment['amount']},{day},Nộp lệ phí\r\n"
                          f"KHONGCO-0001,5000,{day},Không rõ\r\n".encode())
    found = scenario("money", desk, f"{code}|{statement}", module=SCENARIOS)
    assert "Tệp sao kê (CSV)" in found["no_file"]
    assert "Khớp: 1" in found["reconciled"] and "Không có trong hệ thống: 1" in found["reconciled"]
    assert "KHONGCO-0001" in found["reconciled"]
    assert "200.000 đ" in found["bill"], "the fee paid"
    assert found["refund_due"] == "0 đ" and found["refund_forms"] == 0, "nothing owed back"
    with psycopg2.connect(stack.env["DB_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT action, subject, outcome FROM desk.audit WHERE username = %s "
                    "AND action = 'statement_imported' ORDER BY id", ("trungtam.lanhdao",))
        assert cur.fetchall() == [("statement_imported", f"{day} cash bank", "ok")]
    AXE_RESULTS.update(found["axe"])
    assert not serious_violations(found["axe"])


def paid_twice(stack):
    """A dossier whose fee the citizen began paying online, then paid in cash at the counter,
    and then the gateway confirmed the online payment: 200.000 đ owed back."""
    code = receive_by_api(stack, "Lâm Văn Phúc", "0944555666")
    bill = fee_bill(stack, code)
    online = pay(stack, bill, "online", token("portal"), f"online-{code}")
    pay(stack, bill, "cash", COUNTER, f"cash-{code}")
    confirmed = requests.get(stack.url("payment", "/api/v1/gateway/vnpay/ipn"), timeout=10,
                             params=ipn_params(GATEWAY_SECRET, online["pay_url"]))
    assert confirmed.json()["RspCode"] == "00", confirmed.text
    return code, bill["id"]


def test_a_manager_refunds_a_fee_paid_twice_and_cannot_refund_more_than_is_owed(desk, stack):
    code, bill_id = paid_twice(stack)
    found = scenario("refund", desk, code, module=SCENARIOS)
    assert found["due"] == "200.000 đ"
    assert "Chỉ phải hoàn trả tối đa 200.000 đ" in found["too_much"]
    assert found["done"] == f"Đã hoàn 200.000 đ cho hồ sơ {code}."
    assert found["due_after"] == "0 đ" and found["forms_after"] == 0
    assert "PC20260001" in found["refunds"] and "Tiền mặt" in found["refunds"]
    answer = requests.get(stack.url("payment", f"/api/v1/bills/{bill_id}"), timeout=10,
                          headers={"Authorization": "Bearer " + token("manager")}).json()
    assert (answer.get("status"), answer.get("refunded")) == ("paid", 200000), answer
    with psycopg2.connect(stack.env["DB_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT outcome FROM desk.audit WHERE action = 'refund' AND subject = %s "
                    "ORDER BY id", (code,))
        assert [row[0] for row in cur.fetchall()] == ["refused", "ok"]
    AXE_RESULTS.update(found["axe"])
    assert not serious_violations(found["axe"])
