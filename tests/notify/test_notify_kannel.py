"""notify with the real gateways: Kannel (bearerbox + smsbox + fakesmsc) and an SMTP server.

A dossier submitted over HTTP to intake reaches notify through the outbox relay and the
broker; the receipt goes out as one SMS at the fake SMSC and one email, and Kannel's
delivery report marks the SMS delivered."""
import secrets
from datetime import date

import pytest

from services.common.phones import international
from services.intake.service import IntakeService
from services.notify.service import NotifyService
from tests.conftest import dossier_body, procedure, query, token, wait_for
from tests.notify import notify_gateways
from tests.notify.notify_gateways import settle

kannel = notify_gateways.kannel
smtp_server = notify_gateways.smtp_server



@pytest.fixture
def start_stack(container_factory, config_for, client_for, topology, relays, kannel, smtp_server):
    """intake and notify in containers, their relays, Kannel and the SMTP server."""
    def start(**overrides):
        intake_config = config_for("intake")
        notify_config = config_for("notify", **{
            "KANNEL_SENDSMS_URL": kannel.sendsms_url, "KANNEL_USERNAME": kannel.username,
            "KANNEL_PASSWORD": kannel.password, "DLR_SECRET": secrets.token_urlsafe(24),
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port, "SMTP_STARTTLS": False,
            "MAIL_FROM": "tiepnhan@motcua.example.vn", "QUIET_HOURS": "",
            "RETRY_FIRST_SECONDS": 0.5, "RETRY_MAX_SECONDS": 1, **overrides,
        })
        notify_config["NOTIFY_PUBLIC_URL"] = f"http://{notify_config['WEB_SERVER_ADDRESS']}"
        container_factory(IntakeService, intake_config).start()
        container_factory(NotifyService, notify_config).start()
        relays("intake", "notify")
        return client_for(intake_config), client_for(notify_config)
    return start


@pytest.fixture
def stack(start_stack):
    return start_stack()


def submit(intake, phone, department="sxd"):
    proc = procedure(department=department)
    body = dossier_body(proc)
    body["applicant"]["phone"] = phone
    response = intake.post("/api/v1/dossiers", json=body,
                           token=token("counter_officer", department=department))
    assert response.status_code == 201, response.text
    return response.json()


def statuses(db, channel="sms"):
    return [r["status"] for r in query(
        db, "SELECT status FROM notify.notifications WHERE channel = %s", (channel,))]


def test_submitted_dossier_gets_one_receipt_sms_delivered_and_one_email(stack, kannel,
                                                                         smtp_server, db):
    intake, notify = stack
    created = submit(intake, "0912 345 678")
    wait_for(lambda: statuses(db) == ["delivered"], timeout=20)
    due = date.fromisoformat(created["due_at"][:10]).strftime("%d/%m/%Y")
    [(to, text)] = kannel.received()
    assert to == "+84912345678"
    assert f"Hồ sơ {created['code']} đã được tiếp nhận" in text
    assert f"Hẹn trả kết quả ngày {due}" in text
    assert created["lookup_secret"] in text
    [mail] = wait_for(smtp_server.messages)
    assert mail["To"] == "ngoc.tran@example.vn"
    assert created["code"] in mail["Subject"]
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert f"Ngày hẹn trả kết quả: {due}" in plain and "<b>" + due + "</b>" in html
    wait_for(lambda: statuses(db, "email") == ["delivered"])
    # the outcome is announced through the outbox
    wait_for(lambda: len(query(db, "SELECT 1 FROM notify.outbox WHERE routing_key ="
                                   " 'notification.delivered' AND published_at IS NOT NULL")) == 2)
    settle(1.5)  # a later tick must not send it again
    assert len(kannel.received()) == 1
    listing = notify.get(f"/api/v1/dossiers/{created['code']}/notifications",
                         token=token("manager")).json()["notifications"]
    assert {(n["channel"], n["status"]) for n in listing} == {("sms", "delivered"),
                                                              ("email", "delivered")}
    assert all("0912345678" not in n["recipient"] for n in listing)
    metrics = notify.get("/metrics").text
    assert 'motcua_notifications_total{channel="sms",status="delivered",template="receipt"}' in metrics
    assert ('motcua_notify_gateway_seconds_count{channel="sms",outcome="accepted",'
            'provider="kannel"}') in metrics


def test_gateway_stopped_mid_run_every_sms_delivered_once(stack, kannel, db):
    intake, _ = stack
    phones = [f"09123450{i:02d}" for i in range(6)]
    first = [submit(intake, p) for p in phones[:3]]
    wait_for(lambda: statuses(db).count("delivered") == 3, timeout=20)
    kannel.stop()
    second = [submit(intake, p) for p in phones[3:]]
    # the gateway is down: the sender keeps them pending and retries
    wait_for(lambda: query(db, "SELECT 1 FROM notify.notifications WHERE channel = 'sms'"
                               " AND status = 'pending' AND attempts >= 2"
                               " HAVING count(*) = 3"), timeout=20)
    kannel.start()
    wait_for(lambda: statuses(db).count("delivered") == 6, timeout=30)
    settle(1.5)
    received = kannel.received()
    assert sorted(to for to, _ in received) == sorted(international(p) for p in phones)
    for dossier in first + second:
        assert sum(dossier["code"] in text for _, text in received) == 1
    assert query(db, "SELECT sum(attempts) AS n FROM notify.notifications WHERE channel = 'sms'"
                 )[0]["n"] > 6  # retries happened


def test_unaccented_setting_reaches_the_smsc_as_gsm_text(start_stack, kannel, db):
    intake, _ = start_stack(SMS_UNACCENTED=True)
    created = submit(intake, "0987654321")
    wait_for(lambda: statuses(db) == ["delivered"], timeout=20)
    [(to, text)] = kannel.received()
    assert to == "+84987654321"
    assert text.startswith(f"TT PVHCC: Ho so {created['code']} da duoc tiep nhan. Hen tra ket qua")
