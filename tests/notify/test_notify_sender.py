"""notify's sender on the real database: a batch's outcomes recorded together, a delivery report
that overtakes the record, two senders racing, and the consumer waking the sender."""
import collections
import uuid
from datetime import datetime, timedelta

import eventlet
import psycopg2
import pytest
from nameko.testing.utils import get_extension

from services.common.events import TIMEZONE
from services.notify import store
from services.notify.gateways import (
    GatewayError,
    Gateways,
    Outcome,
    OutcomeUnknown,
    RecipientRejected,
)
from services.notify.service import NotifyService
from services.notify.wakeup import Wakeup
from tests.conftest import query, wait_for
from tests.notify.events import publish, received_event
from tests.notify.test_notify import DLR_SECRET


class StubSms:
    """An SMS gateway that answers as told per notification: `refuse` (retry later), `reject`
    (for good), else accepted with `status`. `report_first`: the delivery report of that
    notification reaches notify while the gateway is still answering, i.e. between the send and
    the sender's record."""

    name = "stub"

    def __init__(self, status="sent", client=None, report_first=(), refuse=(), reject=(),
                 pause=0.0, answer_lost=()):
        self.status, self.client, self.pause = status, client, pause
        self.report_first, self.refuse, self.reject = set(report_first), set(refuse), set(reject)
        self.answer_lost = set(answer_lost)  # the first send of these: accepted, answer lost
        self.sent = collections.Counter()

    def send(self, notification_id, phone, message):
        self.sent[notification_id] += 1
        eventlet.sleep(self.pause)
        if notification_id in self.answer_lost and self.sent[notification_id] == 1:
            raise OutcomeUnknown("stub: the answer was lost")
        if notification_id in self.refuse:
            raise GatewayError("stub: try again later")
        if notification_id in self.reject:
            raise RecipientRejected("stub: no such subscriber")
        if notification_id in self.report_first:
            report = self.client.get(f"/api/v1/notify/dlr/{DLR_SECRET}?id={notification_id}"
                                     "&status=delivered")
            assert report.status_code == 200
        return Outcome(self.status, self.name, f"stub-{notification_id}")


@pytest.fixture
def sender(container_factory, config_for, client_for, topology):
    """A notify container whose SMS gateway is `gateway`; returns (container, client)."""
    def start(gateway, **overrides):
        config = config_for("notify", **{"QUIET_HOURS": "", "DLR_SECRET": DLR_SECRET,
                                         "RETRY_FIRST_SECONDS": 60, **overrides})
        container = container_factory(NotifyService, config)
        container.start()
        client = client_for(config)
        gateway.client = gateway.client or client
        get_extension(container, Gateways).sms = gateway
        return container, client
    return start


def add_pending(db, count, due_in=0.0):
    """`count` pending SMS, due in `due_in` seconds; their ids in order."""
    when = datetime.now(TIMEZONE) + timedelta(seconds=due_in)
    with db.cursor() as cur:
        cur.execute(store.insert_notifications(cur, [{
            "event_id": uuid.uuid4(), "event_type": "dossier.received",
            "dossier_code": f"000.00.31.H33-261123-{n:04d}", "correlation_id": f"c-{n}",
            "channel": "sms", "template": "receipt", "recipient": f"09123{n:05d}",
            "content": {"text": "t", "coding": "gsm", "segments": 1}, "urgent": True,
            "next_attempt_at": when, "status": "pending",
        } for n in range(count)]))
    return [r["id"] for r in query(db, "SELECT id FROM notify.notifications ORDER BY dossier_code")]


def rows(db):
    return {r["id"]: r for r in query(db, "SELECT * FROM notify.notifications")}


def events(db, kind):
    return collections.Counter(
        r["body"]["data"]["notification_id"]
        for r in query(db, "SELECT body FROM notify.outbox WHERE routing_key = %s", (kind,)))


@pytest.mark.parametrize("accepted_as", ["sent", "delivered"])
def test_a_report_between_send_and_record_keeps_delivered_with_one_event(sender, db, accepted_as):
    ids = add_pending(db, 8)
    early = ids[3]
    gateway = StubSms(accepted_as, report_first={early})
    sender(gateway)
    wait_for(lambda: all(r["status"] not in ("pending", "sending") for r in rows(db).values()))
    after = rows(db)
    assert after[early]["status"] == "delivered"  # the report's status, not the gateway's
    assert after[early]["provider"] == "stub" and after[early]["sent_at"] is not None
    assert after[early]["provider_message_id"] == f"stub-{early}"
    assert {after[i]["status"] for i in ids if i != early} == {accepted_as}
    assert all(r["attempts"] == 1 for r in after.values())  # one batch, each sent once
    delivered = events(db, "notification.delivered")
    expected = {str(early): 1} if accepted_as == "sent" else {str(i): 1 for i in ids}
    assert delivered == expected
    assert events(db, "notification.failed") == {}


def test_a_batch_mixing_accepted_and_refused_sends_records_each(sender, db):
    ids = add_pending(db, 6)
    refused, rejected = ids[1], ids[4]
    gateway = StubSms("sent", refuse={refused}, reject={rejected})
    started = datetime.now(TIMEZONE)
    sender(gateway)
    wait_for(lambda: rows(db)[rejected]["status"] == "failed"
             and rows(db)[refused]["last_error"] is not None)
    after = rows(db)
    for i in set(ids) - {refused, rejected}:
        assert after[i]["status"] == "sent" and after[i]["sent_at"] is not None
        assert after[i]["provider"] == "stub" and after[i]["provider_message_id"] == f"stub-{i}"
        assert after[i]["last_error"] is None and after[i]["finished_at"] is None
    retry = after[refused]
    assert retry["status"] == "pending" and retry["sent_at"] is None and retry["provider"] is None
    assert retry["last_error"] == "stub: try again later" and retry["finished_at"] is None
    # RETRY_FIRST_SECONDS after this first attempt, not the lease
    assert timedelta(seconds=55) < retry["next_attempt_at"] - started < timedelta(seconds=70)
    failed = after[rejected]
    assert failed["last_error"] == "stub: no such subscriber" and failed["finished_at"]
    assert failed["sent_at"] is None
    assert events(db, "notification.failed") == {str(rejected): 1}
    assert events(db, "notification.delivered") == {}


def test_two_senders_racing_over_200_notifications_send_each_once(sender, db):
    gateways = [StubSms("delivered", pause=0.02), StubSms("delivered", pause=0.02)]
    settings = {"SEND_BATCH": 20, "SEND_CONCURRENCY": 5}
    containers = [sender(gateway, **settings)[0] for gateway in gateways]
    ids = add_pending(db, 200)
    for container in containers:  # both at once, as two instances woken by their consumers
        get_extension(container, Wakeup).wake()
    wait_for(lambda: all(r["status"] == "delivered" for r in rows(db).values()), timeout=30)
    sent = gateways[0].sent + gateways[1].sent
    assert set(sent) == set(ids) and set(sent.values()) == {1}
    assert gateways[0].sent and gateways[1].sent  # both took part
    assert events(db, "notification.delivered") == {str(i): 1 for i in ids}


def test_a_recorded_notification_is_sent_at_once_not_at_the_next_tick(sender, db):
    gateway = StubSms("delivered")
    container, _ = sender(gateway)
    eventlet.sleep(1.2)  # past the first tick
    for n in range(5):
        code = f"000.00.31.H33-261123-{n:04d}"
        publish(container.config["AMQP_URI"], "intake", received_event(code, email=None))
        [row] = wait_for(lambda code=code: query(
            db, "SELECT created_at, sent_at FROM notify.notifications"
                " WHERE dossier_code = %s AND status = 'delivered'", (code,)))
        # the sender ticks every second: five in a row this soon means the consumer woke it
        assert row["sent_at"] - row["created_at"] < timedelta(seconds=0.3)


def test_a_lost_connection_while_recording_is_retried_not_sent_again(sender, db, monkeypatch):
    ids = add_pending(db, 5)
    real, calls = store.record_outcomes, []

    def connection_lost_once(cur, outcomes):
        calls.append(len(outcomes))
        if len(calls) == 1:
            raise psycopg2.OperationalError("server closed the connection unexpectedly")
        return real(cur, outcomes)

    monkeypatch.setattr(store, "record_outcomes", connection_lost_once)
    gateway = StubSms("delivered")
    sender(gateway)
    wait_for(lambda: all(r["status"] == "delivered" for r in rows(db).values()))
    assert calls[:2] == [5, 5]  # the same batch recorded again, not left to its lease
    assert set(gateway.sent) == set(ids) and set(gateway.sent.values()) == {1}
    assert events(db, "notification.delivered") == {str(i): 1 for i in ids}


def test_commits_in_quick_succession_are_sent_in_one_batch_after_the_linger(sender, db):
    gateway = StubSms("delivered")
    container, _ = sender(gateway, SEND_LINGER_SECONDS=1.0)
    wakeup = get_extension(container, Wakeup)
    eventlet.sleep(1.2)  # past the first tick; no tick comes while it lingers
    for _ in range(5):  # five consumers' commits, 50 ms apart, each waking the sender
        add_pending(db, 1)
        wakeup.wake()
        eventlet.sleep(0.05)
    wait_for(lambda: len(rows(db)) == 5 and all(r["status"] == "delivered"
                                               for r in rows(db).values()), timeout=5)
    assert len({r["sent_at"] for r in rows(db).values()}) == 1  # one batch, one transaction


def test_a_lost_answer_waits_for_the_acceptance_report_and_is_not_sent_again(sender, db):
    ids = add_pending(db, 3)
    lost = ids[1]
    gateway = StubSms("sent", answer_lost={lost})
    _, client = sender(gateway, ACCEPTANCE_WINDOW_SECONDS=2)
    wait_for(lambda: rows(db)[lost]["status"] == "unknown")
    assert {rows(db)[i]["status"] for i in ids if i != lost} == {"sent"}
    report = client.get(f"/api/v1/notify/dlr/{DLR_SECRET}?id={lost}&type=8")
    assert report.json() == {"id": str(lost), "status": "accepted"}
    eventlet.sleep(3)  # past the window: settled, so never sent again
    assert rows(db)[lost]["status"] == "sent" and rows(db)[lost]["sent_at"] is not None
    assert gateway.sent[lost] == 1
    client.get(f"/api/v1/notify/dlr/{DLR_SECRET}?id={lost}&type=1")
    assert rows(db)[lost]["status"] == "delivered"
    assert events(db, "notification.delivered") == {str(lost): 1}


def test_an_acceptance_report_after_the_delivery_report_changes_nothing(sender, db):
    [only] = add_pending(db, 1)
    _, client = sender(StubSms("sent"))
    wait_for(lambda: rows(db)[only]["status"] == "sent")
    client.get(f"/api/v1/notify/dlr/{DLR_SECRET}?id={only}&type=1")
    client.get(f"/api/v1/notify/dlr/{DLR_SECRET}?id={only}&type=8")
    assert rows(db)[only]["status"] == "delivered"


def test_an_attempt_left_sending_by_a_dead_sender_is_unknown_then_sent_again(sender, db):
    """As a sender killed mid-batch leaves it: claimed, its lease over, no outcome."""
    [only] = add_pending(db, 1)
    with db.cursor() as cur:
        cur.execute("UPDATE notify.notifications SET status = 'sending', attempts = 1,"
                    " next_attempt_at = now() WHERE id = %s", (only,))
    gateway = StubSms("sent")
    sender(gateway, ACCEPTANCE_WINDOW_SECONDS=1.5)
    wait_for(lambda: rows(db)[only]["status"] == "unknown")
    assert gateway.sent[only] == 0
    wait_for(lambda: rows(db)[only]["status"] == "sent", timeout=5)
    assert gateway.sent[only] == 1 and rows(db)[only]["attempts"] == 2
