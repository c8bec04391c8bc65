"""notify in nameko containers on the real broker and database: idempotency, ordering,
opt-out, dead letters, retries, expiry, two competing senders, HTTP."""
import json
import secrets
import shutil
import uuid
from collections import Counter
from datetime import date, datetime, timedelta

import eventlet
import pytest
from eventlet import wsgi
from werkzeug.wrappers import Request, Response

from services.common.consumer import DEAD_LETTER_QUEUE
from services.common.events import TIMEZONE, new_envelope
from services.notify import store
from services.notify.gateways import SmtpMail
from services.notify.service import NotifyService
from services.notify.templates import TEMPLATES_DIR
from tests.conftest import (
    connect,
    drain,
    free_port,
    publish_all,
    query,
    token,
    wait_for,
)
from tests.notify import notify_gateways
from tests.notify.events import (
    apology_event,
    bill_event,
    closed_event,
    extension_event,
    publish,
    received_event,
    refused_event,
    result_issued_event,
    result_ready_event,
    shipment_created_event,
    shipment_delivered_event,
    supplement_event,
    supplement_event_version_1,
    withdrawn_event,
)
from tests.notify.notify_gateways import settle

smtp_server = notify_gateways.smtp_server
secure_smtp_server = notify_gateways.secure_smtp_server

DLR_SECRET = secrets.token_urlsafe(24)


def notifications(db, code=None):
    sql = "SELECT * FROM notify.notifications"
    rows = query(db, sql + " WHERE dossier_code = %s" if code else sql, (code,) if code else ())
    return sorted(rows, key=lambda r: (r["template"], r["channel"]))


def summary(db, code=None):
    return [(r["template"], r["channel"], r["status"]) for r in notifications(db, code)]


@pytest.fixture
def notify(container_factory, config_for, client_for, topology):
    """Starts notify with the log providers (no gateway configured) unless told otherwise."""
    def start(**overrides):
        config = config_for("notify", **{"QUIET_HOURS": "", "DLR_SECRET": DLR_SECRET, **overrides})
        config["NOTIFY_PUBLIC_URL"] = f"http://{config['WEB_SERVER_ADDRESS']}"
        container_factory(NotifyService, config).start()
        return client_for(config)
    start.amqp_uri = topology
    return start


def test_redelivered_event_makes_one_notification_per_channel(notify, db):
    notify()
    event = received_event("000.00.31.H33-261123-0001")
    publish(notify.amqp_uri, "intake", event)
    publish(notify.amqp_uri, "intake", event)
    wait_for(lambda: summary(db) == [("receipt", "email", "delivered"),
                                     ("receipt", "sms", "delivered")])
    settle(1.5)
    assert len(notifications(db)) == 2
    assert len(query(db, "SELECT 1 FROM notify.outbox WHERE routing_key = 'notification.delivered'")) == 2
    [sms] = [r for r in notifications(db) if r["channel"] == "sms"]
    assert sms["recipient"] == "0912345678" and sms["provider"] == "log"


def test_a_landline_gets_no_sms_and_the_email_still_goes(notify, db):
    notify()
    publish(notify.amqp_uri, "intake", received_event("000.00.31.H33-261123-0002",
                                                      phone="028 3812 3456"))
    wait_for(lambda: summary(db) == [("receipt", "email", "delivered")])
    settle(1.0)
    assert summary(db) == [("receipt", "email", "delivered")]


def test_events_before_the_dossier_is_known_wait_for_it(notify, db):
    """payment.requested can overtake dossier.received (payment bills faster than notify
    consumes): it waits for the contact, neither retried nor dead-lettered nor lost."""
    notify()
    code = "000.00.31.H33-261123-0002"
    bill = bill_event(code, "B2", 100000, "Lệ phí")
    publish(notify.amqp_uri, "routing", result_ready_event(code, "post"))
    publish(notify.amqp_uri, "payment", bill)
    publish(notify.amqp_uri, "payment", bill)  # redelivered
    wait_for(lambda: query(db, "SELECT count(*) AS n FROM notify.awaiting_contact")[0]["n"] == 2)
    assert notifications(db) == []
    publish(notify.amqp_uri, "intake", received_event(code, email=None))
    wait_for(lambda: summary(db) == [("payment_requested", "sms", "delivered"),
                                     ("receipt", "sms", "delivered"),
                                     ("result_ready_post", "sms", "delivered")], timeout=10)
    [post] = [r for r in notifications(db) if r["template"] == "result_ready_post"]
    assert "qua bưu điện" in post["content"]["text"]
    # the link to evaluate the dossier once the result is in hand (the desk's page)
    assert post["content"]["text"].endswith(f"/danh-gia/{code}")
    assert query(db, "SELECT count(*) AS n FROM notify.awaiting_contact")[0]["n"] == 0
    assert drain(notify.amqp_uri, DEAD_LETTER_QUEUE, wait=0.2) == []


def test_the_electronic_result_is_announced_by_sms_and_email_once(notify, db, caplog):
    """docstore's result.issued: the citizen hears the signed result can be downloaded, in
    Vietnamese, once however often it is delivered, and no log line holds the phone."""
    notify()
    code = "000.00.31.H33-261123-0003"
    publish(notify.amqp_uri, "intake", received_event(code))
    issued = result_issued_event(code)
    publish(notify.amqp_uri, "docstore", issued)
    publish(notify.amqp_uri, "docstore", issued)  # redelivered
    wait_for(lambda: summary(db, code) == [("receipt", "email", "delivered"),
                                           ("receipt", "sms", "delivered"),
                                           ("result_issued", "email", "delivered"),
                                           ("result_issued", "sms", "delivered")], timeout=10)
    settle(1.0)
    assert len(notifications(db, code)) == 4
    sms, = [r for r in notifications(db, code)
            if (r["template"], r["channel"]) == ("result_issued", "sms")]
    assert f"Hồ sơ {code} đã có kết quả điện tử ký số" in sms["content"]["text"]
    assert "mã tra cứu" in sms["content"]["text"]
    email, = [r for r in notifications(db, code)
              if (r["template"], r["channel"]) == ("result_issued", "email")]
    assert "Kính gửi Trần Thị Bích Ngọc" in email["content"]["text"]
    assert "0912345678" not in caplog.text and "ngoc.tran@example.vn" not in caplog.text


def test_a_burst_of_dossiers_gets_one_receipt_each_and_what_waited(notify, db):
    """Dossiers that arrive together are recorded in batches: still one receipt per channel
    each, a redelivered one ignored, and the fee message that overtook its dossier sent."""
    notify()
    codes = [f"000.00.31.H33-261123-{n:04d}" for n in range(100, 130)]
    bill = bill_event(codes[7], "B9", 50000, "Lệ phí")
    publish(notify.amqp_uri, "payment", bill)
    wait_for(lambda: query(db, "SELECT 1 FROM notify.awaiting_contact"))
    events = [received_event(code, email=None) for code in codes]
    publish_all(notify.amqp_uri, [*events[:15], events[3], *events[15:]])
    wait_for(lambda: len(notifications(db)) == 31, timeout=20)
    settle(1)
    assert Counter((r["dossier_code"], r["template"]) for r in notifications(db)) == {
        **{(code, "receipt"): 1 for code in codes}, (codes[7], "payment_requested"): 1}
    assert query(db, "SELECT 1 FROM notify.awaiting_contact") == []

    unknown = "000.00.31.H33-261123-0199"  # its dossier.received is still on its way
    bills = [bill_event(code, f"B{n}", 50000, "Lệ phí")
             for n, code in enumerate([*codes[10:20], unknown])]
    publish_all(notify.amqp_uri, [*bills[:5], bills[2], *bills[5:]], "payment.events",
                "payment.requested")
    wait_for(lambda: len(notifications(db)) == 41, timeout=20)
    settle(1)
    fees = Counter(r["dossier_code"] for r in notifications(db)
                   if r["template"] == "payment_requested")
    assert fees == {code: 1 for code in [codes[7], *codes[10:20]]}
    [kept] = query(db, "SELECT dossier_code FROM notify.awaiting_contact")
    assert kept["dossier_code"] == unknown


def test_dossier_received_waiting_on_the_lock_takes_the_event_kept_meanwhile(db, db_url):
    """The race the dossier's lock settles: a later event keeps itself to wait for the
    contact while dossier.received waits on the lock; once the event commits,
    dossier.received sees it and takes it, so it does not wait for ever."""
    code = "000.00.31.H33-261123-0009"
    bill = bill_event(code, "B9", 100000, "Lệ phí")
    contact = {"code": code, "full_name": "Trần Thị Ngọc", "phone": "0912345678",
               "email": None, "department": "sxd"}
    later, received = connect(db_url), connect(db_url)
    later.autocommit = received.autocommit = True
    try:
        with later.cursor() as a, received.cursor() as b:
            [opened] = store.open_later_events(a, "handle_payment_requested", [bill])
            a.execute("SELECT event_id::text FROM notify.awaiting_contact")
            assert a.fetchall() == [{"event_id": bill["id"]}] and opened["contact"] is None
            racing = eventlet.spawn(store.receive_dossiers, b, "handle_dossier_received", [
                (new_envelope("dossier.received", "intake", {"code": code}, "c")["id"], contact)])
            eventlet.sleep(0.3)
            assert not racing.dead  # blocked on the dossier's lock
            store.commit(a)
            [taken] = racing.wait()
            store.commit(b)
        assert [event["id"] for event in taken["waiting"]] == [str(bill["id"])]
        assert taken["contact"]["full_name"] == "Trần Thị Ngọc" and taken["opted_out"] == []
        assert query(db, "SELECT count(*) AS n FROM notify.awaiting_contact")[0]["n"] == 0
    finally:
        later.close()
        received.close()


def test_opted_out_channel_is_never_sent_again(notify, db):
    client = notify()
    opt_out = {"channel": "sms", "address": "+84 912 345 678"}
    assert client.post("/api/v1/opt-outs", json=opt_out).status_code == 401
    bad = client.post("/api/v1/opt-outs", json={"channel": "sms", "address": "12345"},
                      token=token("portal"))
    assert bad.status_code == 422 and "address" in bad.json()["error"]["fields"]
    created = client.post("/api/v1/opt-outs", json=opt_out, token=token("portal"))
    assert created.status_code == 201 and created.json()["address"] == "*******678"
    code = "000.00.31.H33-261123-0003"
    publish(notify.amqp_uri, "intake", received_event(code))
    wait_for(lambda: summary(db) == [("receipt", "email", "delivered"),
                                     ("receipt", "sms", "opted_out")])
    assert notifications(db)[1]["sent_at"] is None


def test_opt_out_after_recording_stops_the_waiting_message(notify, db):
    client = notify(QUIET_HOURS=_quiet_now())
    code = "000.00.31.H33-261123-0004"
    publish(notify.amqp_uri, "intake", received_event(code))
    wait_for(lambda: len(notifications(db)) == 2)
    publish(notify.amqp_uri, "routing", supplement_event(code, ["Bản vẽ thiết kế"]))
    # quiet hours: the non-urgent supplement request waits, the urgent receipt went at once
    wait_for(lambda: ("supplement_requested", "sms", "pending") in summary(db))
    wait_for(lambda: ("receipt", "sms", "delivered") in summary(db))
    settle(1.5)
    assert ("supplement_requested", "sms", "pending") in summary(db)
    client.post("/api/v1/opt-outs", json={"channel": "sms", "address": "0912345678"},
                token=token("counter_officer", department="sxd"))
    with db.cursor() as cur:  # the quiet hours end
        cur.execute("UPDATE notify.notifications SET next_attempt_at = now() WHERE status = 'pending'")
    wait_for(lambda: ("supplement_requested", "sms", "opted_out") in summary(db))
    wait_for(lambda: ("supplement_requested", "email", "delivered") in summary(db))


def _quiet_now():
    """Quiet hours that cover the present moment, whatever time the tests run."""
    local = datetime.now(TIMEZONE)
    start, end = local - timedelta(hours=1), local + timedelta(hours=2)
    return f"{start:%H:%M}-{end:%H:%M}"


def test_message_that_cannot_be_rendered_is_dead_lettered(notify, db):
    notify(SMS_MAX_SEGMENTS=2)
    code = "000.00.31.H33-261123-0005"
    publish(notify.amqp_uri, "intake", received_event(code))
    wait_for(lambda: len(notifications(db)) == 2)
    event = bill_event(code, description="Lệ phí cấp giấy phép xây dựng có thời hạn " * 8)
    publish(notify.amqp_uri, "payment", event)
    [(properties, body)] = wait_for(lambda: drain(notify.amqp_uri, DEAD_LETTER_QUEUE))
    assert body["id"] == event["id"]
    assert "template payment_requested" in properties.headers["x-motcua-reason"]
    assert len(notifications(db)) == 2  # nothing half-recorded


def test_gateway_down_is_retried_then_failed_and_announced(notify, db):
    notify(KANNEL_SENDSMS_URL=f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms",
           RETRY_FIRST_SECONDS=0.2, RETRY_MAX_SECONDS=0.4, RETRY_FOR_SECONDS=3)
    publish(notify.amqp_uri, "intake", received_event("000.00.31.H33-261123-0006", email=None))
    [row] = wait_for(lambda: [r for r in notifications(db) if r["status"] == "failed"], timeout=10)
    assert row["attempts"] >= 2 and "unreachable" in row["last_error"]
    [event] = query(db, "SELECT body FROM notify.outbox WHERE routing_key = 'notification.failed'")
    assert event["body"]["data"]["status"] == "failed"
    assert event["body"]["data"]["template"] == "receipt"


class Aggregator:
    """An SMS aggregator's HTTP API on loopback: counts what it is asked to send."""

    def __init__(self):
        self.port = free_port()
        self.requests = []
        sock = eventlet.listen(("127.0.0.1", self.port))
        self.server = eventlet.spawn(wsgi.server, sock, self.app, log_output=False)

    def app(self, environ, start_response):
        request = Request(environ)
        self.requests.append(request.get_json())
        response = Response(json.dumps({"message_id": f"agg-{len(self.requests)}"}), 200,
                            mimetype="application/json")
        return response(environ, start_response)

    def stop(self):
        self.server.kill()


@pytest.fixture
def aggregator():
    server = Aggregator()
    yield server
    server.stop()


def test_two_notify_instances_send_each_message_once(notify, db, aggregator):
    settings = dict(SMS_PROVIDER="http", SMS_HTTP_URL=f"http://127.0.0.1:{aggregator.port}/sms",
                    SMS_HTTP_TOKEN="t", DLR_TIMEOUT_SECONDS=3)
    first = notify(**settings)
    notify(**settings)
    codes = [f"000.00.31.H33-261123-{n:04d}" for n in range(10, 40)]
    for code in codes:
        publish(notify.amqp_uri, "intake", received_event(code, email=None))
    wait_for(lambda: len(aggregator.requests) >= 30, timeout=20)
    settle(1.5)
    references = Counter(r["reference"] for r in aggregator.requests)
    assert len(references) == 30 and set(references.values()) == {1}
    assert all(r["unicode"] and "Hồ sơ" in r["text"] for r in aggregator.requests)
    # a delivery report for one; the others never get one and expire
    sms = notifications(db)
    report = sms[0]["id"]
    wrong = first.get(f"/api/v1/notify/dlr/not-the-secret?id={report}&status=delivered")
    assert wrong.status_code == 403
    ok = first.get(f"/api/v1/notify/dlr/{DLR_SECRET}?id={report}&status=delivered")
    assert ok.status_code == 200
    wait_for(lambda: Counter(r["status"] for r in notifications(db)) ==
             {"delivered": 1, "expired": 29}, timeout=10)
    failed = query(db, "SELECT 1 FROM notify.outbox WHERE routing_key = 'notification.failed'")
    assert len(failed) == 29


def test_notifications_of_a_dossier_for_managers_and_its_department(notify, db):
    client = notify()
    code = "000.00.31.H33-261123-0050"
    publish(notify.amqp_uri, "intake", received_event(code, department="sxd"))
    wait_for(lambda: len(notifications(db)) == 2)
    path = f"/api/v1/dossiers/{code}/notifications"
    assert client.get(path).status_code == 401
    assert client.get(path, token=token("department_officer", department="syt")).status_code == 403
    assert client.get(path, token=token("portal")).status_code == 403
    own = client.get(path, token=token("department_officer", department="sxd"))
    assert own.status_code == 200
    assert [(n["channel"], n["recipient"]) for n in own.json()["notifications"]] == [
        ("email", "n***@example.vn"), ("sms", "*******678")]
    # the desk's dossier page: the agency's leader, and a center's own counter staff
    assert client.get(path, token=token("leader", department="sxd")).status_code == 200
    assert client.get(path, token=token("leader", department="syt")).status_code == 403
    assert client.get(path, token=token("counter_officer", center="tt_long_xuyen")
                      ).status_code == 200
    assert client.get(path, token=token("counter_officer", department="syt",
                                        center="tt_long_xuyen")).status_code == 403
    unknown = client.get("/api/v1/dossiers/nope/notifications", token=token("manager"))
    assert unknown.status_code == 404
    bad_id = client.get(f"/api/v1/notify/dlr/{DLR_SECRET}?id=xyz&type=1")
    assert bad_id.status_code == 422


def test_a_template_with_an_unknown_field_stops_the_service_at_start(container_factory,
                                                                    config_for, tmp_path):
    shutil.copytree(TEMPLATES_DIR, tmp_path / "templates")
    receipt = tmp_path / "templates" / "receipt.yml"
    receipt.write_text(receipt.read_text(encoding="utf-8").replace("{due_date}", "{due}"),
                       encoding="utf-8")
    config = config_for("notify", TEMPLATES_DIR=str(tmp_path / "templates"))
    container = container_factory(NotifyService, config)
    with pytest.raises(Exception, match="template receipt.*unknown field.*due"):
        container.start()


def test_due_date_in_the_receipt_is_the_vietnamese_date(notify, db):
    notify()
    event = received_event("000.00.31.H33-261123-0060")
    publish(notify.amqp_uri, "intake", event)
    wait_for(lambda: len(notifications(db)) == 2)
    due = date.fromisoformat(event["data"]["due_date"]).strftime("%d/%m/%Y")
    email, sms = notifications(db)
    assert f"Hẹn trả kết quả ngày {due}" in sms["content"]["text"]
    assert sms["content"]["coding"] == "ucs2" and sms["content"]["segments"] == 2
    assert "Kính gửi Trần Thị Bích Ngọc" in email["content"]["text"]


def test_every_attempt_of_one_email_carries_the_same_message_id(smtp_server):
    """A second attempt after a lost answer is recognisable as the same message."""
    mail = SmtpMail("127.0.0.1", smtp_server.port, "Trung tâm <tiepnhan@motcua.example.vn>",
                    False, None, "", timeout=5)
    notification_id = uuid.uuid4()
    content = {"subject": "Đã tiếp nhận", "text": "Hồ sơ", "html": "<p>Hồ sơ</p>"}
    for _ in range(2):
        mail.send(notification_id, "ngoc@example.vn", content)
    other = mail.send(uuid.uuid4(), "ngoc@example.vn", content)
    ids = [message["Message-ID"] for message in wait_for(
        lambda: len(smtp_server.messages()) == 3 and smtp_server.messages())]
    assert sorted(ids).count(f"<{notification_id}@motcua.example.vn>") == 2
    assert other.message_id in ids and other.message_id != f"<{notification_id}@motcua.example.vn>"


def test_email_through_smtp_and_a_refused_mailbox_fails_without_retrying(notify, db, smtp_server):
    notify(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_STARTTLS=False,
           MAIL_FROM="tiepnhan@motcua.example.vn")
    good, refused = "000.00.31.H33-261123-0070", "000.00.31.H33-261123-0071"
    publish(notify.amqp_uri, "intake", received_event(good, phone="", email="Ngoc@Example.vn"))
    publish(notify.amqp_uri, "intake", received_event(refused, phone="", email="nobody@example.vn"))
    wait_for(lambda: sorted(summary(db)) == [("receipt", "email", "delivered"),
                                             ("receipt", "email", "failed")])
    [mail] = smtp_server.messages()
    assert mail["To"] == "ngoc@example.vn" and mail["From"] == "tiepnhan@motcua.example.vn"
    assert mail["Subject"] == f"Đã tiếp nhận hồ sơ {good}"
    assert "Mã tra cứu: ABCD2345" in mail.get_body(("plain",)).get_content()
    assert "<b>ABCD2345</b>" in mail.get_body(("html",)).get_content()
    [failed] = notifications(db, refused)
    assert failed["attempts"] == 1 and "refused the recipient" in failed["last_error"]


def test_two_senders_never_claim_the_same_notification(db, db_url):
    """The claim itself: a notification one sender holds (locked, then leased) is invisible
    to the other, so it cannot be sent twice."""
    with db.cursor() as cur:
        cur.execute(store.insert_notifications(cur, [{
            "event_id": f"00000000-0000-0000-0000-00000000000{n}", "event_type": "x",
            "dossier_code": f"D{n}", "correlation_id": "c", "channel": "sms",
            "template": "receipt", "recipient": "0912345678",
            "content": {"text": "t", "coding": "gsm", "segments": 1}, "urgent": True,
            "next_attempt_at": datetime.now(TIMEZONE), "status": "pending",
        } for n in range(6)]))
    first, second = connect(db_url), connect(db_url)
    try:
        with first.cursor() as a, second.cursor() as b:
            mine = {r["id"] for r in store.claim_due(a, 4, 60)}  # held, not yet committed
            theirs = {r["id"] for r in store.claim_due(b, 10, 60)}
            assert len(mine) == 4 and len(theirs) == 2 and not mine & theirs
            first.commit()
            second.commit()
            assert store.claim_due(b, 10, 60) == []  # leased now, not just locked
    finally:
        first.close()
        second.close()


def test_every_later_event_gets_its_message(notify, db):
    notify()
    code = "000.00.31.H33-261123-0080"
    publish(notify.amqp_uri, "intake", received_event(code, email=None))
    wait_for(lambda: len(notifications(db)) == 1)
    publish(notify.amqp_uri, "routing", extension_event(code))
    publish(notify.amqp_uri, "payment", bill_event(code))
    publish(notify.amqp_uri, "postal", shipment_created_event(code))
    publish(notify.amqp_uri, "postal", shipment_delivered_event(code))
    wait_for(lambda: len(notifications(db)) == 5)
    texts = {r["template"]: r["content"]["text"] for r in notifications(db)}
    assert "hẹn trả mới ngày 08/12/2026" in texts["extension"]
    assert "Lý do: Chờ ý kiến cơ quan phối hợp" in texts["extension"]
    assert "1.500.000 đồng" in texts["payment_requested"]
    assert "tại quầy thu" in texts["payment_requested"]
    assert "EB123456789VN" in texts["shipment_created"]
    assert "10:15 09/12/2026" in texts["shipment_delivered"]


def test_the_applicant_hears_of_supplement_closure_extension_refusal_and_stop(notify, db):
    """Decree 118/2025 art. 19 and 21 in the applicant's words: the supplement's last day and
    the restart, the closure, the extension's new date and reason, the refusal's reason (Mẫu
    03), the stop (Mẫu 05), by SMS and by email."""
    notify()
    code = "000.00.31.H33-261201-0081"
    publish(notify.amqp_uri, "intake", received_event(code))
    wait_for(lambda: len(notifications(db)) == 2)
    reason = ("Công trình nằm trong hành lang bảo vệ đê điều theo quyết định phê duyệt quy "
              "hoạch phòng chống lũ của tỉnh")
    many = [f"Giấy tờ số {i} có chứng thực của cơ quan có thẩm quyền" for i in range(12)]
    for event in (supplement_event(code, many), closed_event(code), extension_event(code),
                  refused_event(code, reason), withdrawn_event(code)):
        publish(notify.amqp_uri, "routing", event)
    wait_for(lambda: len(notifications(db)) == 12)
    sms = {r["template"]: r["content"]["text"] for r in notifications(db) if r["channel"] == "sms"}
    mail = {r["template"]: r["content"] for r in notifications(db) if r["channel"] == "email"}
    assert sms["supplement_requested"].startswith(
        f"TT PVHCC: Hồ sơ {code} cần bổ sung: Giấy tờ số 0 có chứng thực")
    assert "…. Hạn nộp đến hết 16/12/2026, quá hạn hồ sơ bị đóng." in sms["supplement_requested"]
    assert "Giấy tờ số 11 có chứng thực" in mail["supplement_requested"]["text"]
    assert "tính lại từ đầu" in mail["supplement_requested"]["text"]
    assert "tạm dừng" not in mail["supplement_requested"]["text"]
    assert sms["closed"] == (f"TT PVHCC: Hồ sơ {code} đã bị đóng do không bổ sung, hoàn thiện "
                             "đến hết ngày 16/12/2026 theo yêu cầu ngày 01/12/2026.")
    assert sms["extension"] == (
        f"TT PVHCC: Hồ sơ {code} được gia hạn, hẹn trả mới ngày 08/12/2026. Lý do: Chờ ý "
        "kiến cơ quan phối hợp. Sở Xây dựng xin lỗi Ông/Bà.")
    assert "đúng hạn trả kết quả ngày 01/12/2026" in mail["extension"]["text"]
    assert "Sở Xây dựng thành thật xin lỗi" in mail["extension"]["text"]
    assert mail["extension"]["subject"] == (f"Gia hạn thời gian giải quyết hồ sơ {code}, hẹn "
                                            "trả mới ngày 08/12/2026")
    assert sms["refused"] == (f"TT PVHCC: Hồ sơ {code} bị từ chối giải quyết ngày 02/12/2026. "
                              "Lý do: Công trình nằm trong hành lang bảo vệ đê điều….")
    assert f"Lý do: {reason}" in mail["refused"]["text"] and "Mẫu 03" in mail["refused"]["text"]
    assert sms["withdrawn"] == (f"TT PVHCC: Theo đề nghị của Ông/Bà, hồ sơ {code} đã dừng giải "
                                "quyết từ ngày 03/12/2026.")
    assert mail["withdrawn"]["subject"] == f"Thông báo dừng giải quyết hồ sơ {code}"
    assert "Mẫu 05" in mail["withdrawn"]["text"]


def test_events_announced_before_the_upgrade_still_reach_the_applicant(notify, db):
    """A supplement (version 1, no last day) and an extension (then `dossier.apology_issued`)
    queued before the upgrade to Decree 118/2025 are told, not dead-lettered: the supplement
    with the last day routing's migration gave it, the notice's day plus 15."""
    notify()
    code = "000.00.31.H33-261201-0082"
    publish(notify.amqp_uri, "intake", received_event(code))
    wait_for(lambda: len(notifications(db)) == 2)
    publish(notify.amqp_uri, "routing", supplement_event_version_1(code))
    publish(notify.amqp_uri, "routing", apology_event(code))
    wait_for(lambda: len(notifications(db)) == 6)
    sms = {r["template"]: r["content"]["text"] for r in notifications(db) if r["channel"] == "sms"}
    assert "Hạn nộp đến hết 16/12/2026, quá hạn hồ sơ bị đóng." in sms["supplement_requested"]
    assert sms["extension"] == (
        f"TT PVHCC: Hồ sơ {code} được gia hạn, hẹn trả mới ngày 08/12/2026. Lý do: Chờ ý "
        "kiến cơ quan phối hợp. Cơ quan giải quyết hồ sơ xin lỗi Ông/Bà.")


def test_email_over_starttls_with_login(notify, db, secure_smtp_server):
    server = secure_smtp_server
    notify(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_STARTTLS=True,
           SMTP_CA_FILE=str(server.ca_file), SMTP_USERNAME=server.username,
           SMTP_PASSWORD=server.password)
    publish(notify.amqp_uri, "intake", received_event("000.00.31.H33-261123-0090", phone=""))
    wait_for(lambda: summary(db) == [("receipt", "email", "delivered")])
    [mail] = server.messages()
    assert mail["Subject"] == "Đã tiếp nhận hồ sơ 000.00.31.H33-261123-0090"


def test_wrong_smtp_password_is_retried_not_delivered(notify, db, secure_smtp_server):
    server = secure_smtp_server
    notify(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_STARTTLS=True,
           SMTP_CA_FILE=str(server.ca_file), SMTP_USERNAME=server.username,
           SMTP_PASSWORD="wrong", RETRY_FIRST_SECONDS=0.1, GATEWAY_TIMEOUT_SECONDS=2)
    publish(notify.amqp_uri, "intake", received_event("000.00.31.H33-261123-0091", phone=""))
    [row] = wait_for(lambda: [r for r in notifications(db) if r["last_error"]])
    assert row["status"] in ("pending", "sending") and row["last_error"].startswith("smtp: ")
    assert server.messages() == []
