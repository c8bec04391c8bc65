"""notify killed exactly between Kannel's acceptance of an SMS and its own record of it.

notify runs as a real process; a proxy on its links with Kannel (tests/notify/
gateway_proxy.py) holds Kannel's answer while the SMS goes out to the fake SMSC, and keeps the
delivery reports away until the test lets them through, so the crash falls in that window
every time and nothing in notify's code knows about it."""
import secrets
import uuid

import pytest
import requests

from scripts.stack import Stack
from tests.conftest import NOTIFY_SECRET_KEY, TOKEN_SECRET, query, wait_for
from tests.faults.audit import texts_by_code
from tests.notify import notify_gateways
from tests.notify.events import publish, received_event
from tests.notify.gateway_proxy import GatewayProxy
from tests.notify.notify_gateways import settle

kannel = notify_gateways.kannel

LEASE_SECONDS = 4
PORT_OFFSET = 250


@pytest.fixture
def crashable_notify(db, db_url, topology, kannel, tmp_path):
    """Start notify as a process behind the gateway proxy: returns (stack, proxy)."""
    running = []

    def start(window_seconds):
        notify_url = f"http://127.0.0.1:{8003 + PORT_OFFSET}"
        proxy = GatewayProxy(kannel.sendsms_url, notify_url)
        stack = Stack(db_url, topology, TOKEN_SECRET, tmp_path / "logs", port_offset=PORT_OFFSET,
                      extra_env={
                          "KANNEL_SENDSMS_URL": proxy.sendsms_url,
                          "KANNEL_USERNAME": kannel.username, "KANNEL_PASSWORD": kannel.password,
                          "NOTIFY_DLR_SECRET": secrets.token_urlsafe(24),
                          "NOTIFY_SECRET_KEY": NOTIFY_SECRET_KEY,
                          "NOTIFY_PUBLIC_URL": proxy.dlr_url, "NOTIFY_QUIET_HOURS": "",
                          "NOTIFY_SEND_BATCH": "2", "NOTIFY_SEND_CONCURRENCY": "2",
                          "NOTIFY_GATEWAY_TIMEOUT_SECONDS": "1",
                          "NOTIFY_SEND_LEASE_SECONDS": str(LEASE_SECONDS),
                          "NOTIFY_ACCEPTANCE_WINDOW_SECONDS": str(window_seconds),
                      })
        running.append((stack, proxy))
        stack.start(["notify"])
        return stack, proxy

    yield start
    for stack, proxy in running:
        stack.stop()
        proxy.close()


def receipts_at_smsc(kannel, code):
    return texts_by_code(kannel.received(), {code}).get(code, 0)


def crash_between_acceptance_and_record(stack, proxy, kannel, code):
    """The receipt SMS of `code` accepted by Kannel and at the SMSC, notify killed before it
    hears so, then started again; its reports are kept away until the lease has run out."""
    proxy.set("sendsms", "hold")
    proxy.set("dlr", "down")
    publish(stack.env["AMQP_URI"], "intake", received_event(code, email=None))
    wait_for(lambda: proxy.held() == 1, timeout=20)
    wait_for(lambda: receipts_at_smsc(kannel, code) == 1, timeout=20)
    stack.kill("notify")
    proxy.set("sendsms", "pass")
    stack.restart("notify")
    settle(LEASE_SECONDS + 3)


def the_sms(db, code):
    [row] = query(db, "SELECT status, attempts FROM notify.notifications"
                      " WHERE dossier_code = %s AND channel = 'sms'", (code,))
    return row


def test_a_crash_after_the_gateway_accepted_sends_the_sms_once(crashable_notify, kannel, db):
    stack, proxy = crashable_notify(window_seconds=60)
    code = f"000.00.31.H33-261206-{uuid.uuid4().int % 10000:04d}"
    crash_between_acceptance_and_record(stack, proxy, kannel, code)
    # not sent again when the lease ended
    assert (the_sms(db, code)["status"], receipts_at_smsc(kannel, code)) == ("unknown", 1)
    proxy.set("dlr", "pass")  # Kannel's next try of its reports reaches notify
    wait_for(lambda: the_sms(db, code)["status"] == "delivered", timeout=20)
    settle(2)
    assert receipts_at_smsc(kannel, code) == 1
    assert the_sms(db, code)["attempts"] == 1
    metrics = requests.get(stack.url("notify", "/metrics"), timeout=5).text
    assert 'motcua_notify_outcome_unknown_total{channel="sms",stage="settled"} 1.0' in metrics


def test_an_unknown_attempt_with_no_report_in_the_window_is_sent_again(crashable_notify, kannel,
                                                                      db):
    """A missing receipt is worse than a second one: with no report at all, it goes again."""
    stack, proxy = crashable_notify(window_seconds=3)
    code = f"000.00.31.H33-261206-{uuid.uuid4().int % 10000:04d}"
    crash_between_acceptance_and_record(stack, proxy, kannel, code)
    wait_for(lambda: receipts_at_smsc(kannel, code) == 2, timeout=20)
    wait_for(lambda: the_sms(db, code)["status"] == "sent", timeout=20)
    assert the_sms(db, code)["attempts"] == 2
