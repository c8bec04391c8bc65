"""The deadline watch: due-soon and overdue flagged exactly once, even with two routing
instances ticking together; the apology letter (Mẫu 04) and its new date."""
from datetime import date

import eventlet
from nameko.testing.services import entrypoint_hook

from tests.conftest import drain, query, wait_for
from tests.routing.lifecycle_helpers import (
    act,
    assert_documented,
    at,
    officer,
    outbox,
    receive,
    start_routing,
)

SHORT = "1.002861"  # sxd, 2 working days


def test_two_instances_flag_each_overdue_dossier_exactly_once(container_factory, config_for,
                                                              client_for, topology, relays, db):
    instances = [start_routing(container_factory, config_for, client_for, topology,
                               DEADLINE_WATCH_SECONDS=3600) for _ in range(2)]
    for instance in instances:
        instance.clock.pinned = at("2026-11-23", 10)
    late = [receive(db, topology, SHORT, at("2026-11-02", 9), "2026-11-04") for _ in range(12)]
    due_soon = receive(db, topology, SHORT, at("2026-11-20", 9), "2026-11-25")
    not_yet = receive(db, topology, SHORT, at("2026-11-20", 9), "2026-11-26")
    act(instances[0], late[0], "accept", officer("sxd"))
    paused = late[1]
    act(instances[0], paused, "accept", officer("sxd"))
    asked = act(instances[0], paused, "request_supplement", officer("sxd"),
                documents=[{"name": "Tờ khai"}], reason="thiếu tờ khai")
    assert asked.status_code == 200  # its clock is stopped: not overdue
    for _ in range(3):  # both instances tick at the same moment, three times
        for thread in [eventlet.spawn(tick, instance) for instance in instances]:
            thread.wait()
    overdue = outbox(db, "dossier.overdue")
    assert sorted(e["dossier_code"] for e in overdue) == sorted(set(late) - {paused})
    assert all(e["data"]["due_date"] == "2026-11-04" for e in overdue)
    assert [e["dossier_code"] for e in outbox(db, "sxd.dossier.due_soon")] == [due_soon]
    assert len(outbox(db, "sxd.dossier.overdue")) == 11
    assert not query(db, "SELECT 1 FROM routing.dossiers WHERE code = %s AND"
                         " (due_soon_at IS NOT NULL OR overdue_at IS NOT NULL)", (not_yet,))
    relays("routing")
    wait_for(lambda: not query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NULL"))
    on_queue = drain(topology, "department.sxd", 0.3)
    assert sum(m["type"] == "dossier.overdue" for _, m in on_queue) == 11
    for _, message in on_queue:  # overdue and due_soon
        assert_documented(message)


def tick(instance):
    with entrypoint_hook(instance.container, "watch_deadlines") as watch:
        watch()
    return True


def test_the_timer_itself_flags_overdue_dossiers(container_factory, config_for, client_for,
                                                 topology, db):
    for _ in range(2):  # two instances, their timers ticking every 0.1 s on real time
        start_routing(container_factory, config_for, client_for, topology,
                      DEADLINE_WATCH_SECONDS=0.1)
    codes = [receive(db, topology, SHORT, at("2026-11-02", 9), "2026-11-04") for _ in range(5)]
    wait_for(lambda: len(outbox(db, "dossier.overdue")) >= 5)
    eventlet.sleep(0.5)  # several more ticks of both instances
    assert sorted(e["dossier_code"] for e in outbox(db, "dossier.overdue")) == sorted(codes)


def test_apology_letter_sets_a_new_date_and_the_dossier_stays_late(container_factory,
                                                                   config_for, client_for,
                                                                   topology, db):
    routing = start_routing(container_factory, config_for, client_for, topology)
    code = receive(db, topology, SHORT, at("2026-11-18", 9), "2026-11-20", secret="SORRY001")
    act(routing, code, "accept", officer("sxd"), at("2026-11-18", 10))
    routing.clock.pinned = at("2026-11-23", 8)
    tick(routing)
    view = routing.http.get(f"/api/v1/dossiers/{code}?secret=SORRY001").json()
    assert view["overdue"] is True
    assert view["history"][-1]["label"] == "Hồ sơ quá hạn giải quyết"
    issued = act(routing, code, "issue_apology", officer("sxd"), reason="Chờ kết quả kiểm tra"
                 " thực địa", new_due_date="2026-11-27")
    assert issued.status_code == 200, issued.text
    letter = issued.json()["letter"]
    assert letter["letter_number"] == "1/XL-SXD" and letter["new_due_date"] == "2026-11-27"
    [event] = outbox(db, "dossier.apology_issued", code)
    assert event["data"]["previous_due_date"] == "2026-11-20"
    assert event["data"]["new_due_date"] == "2026-11-27"
    assert event["data"]["reason"] == "Chờ kết quả kiểm tra thực địa"
    html = routing.http.get(f"/api/v1/dossiers/{code}/apology?format=html&secret=SORRY001")
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    for text in ("Mẫu 04", "1/XL-SXD", "Chờ kết quả kiểm tra thực địa", "27/11/2026",
                 "20/11/2026", code):
        assert text in html.text
    assert routing.http.get(f"/api/v1/dossiers/{code}/apology",
                            token=officer("stp")).status_code == 404
    view = routing.http.get(f"/api/v1/dossiers/{code}?secret=SORRY001").json()
    assert view["due_date"] == "2026-11-27"
    [row] = query(db, "SELECT due_date, legal_due_date FROM routing.dossiers")
    assert row == {"due_date": date(2026, 11, 27), "legal_due_date": date(2026, 11, 20)}
    # the new date does not make it overdue again
    routing.clock.pinned = at("2026-11-30", 8)
    tick(routing)
    assert len(outbox(db, "dossier.overdue", code)) == 1
