"""The deadline watch: due-soon, overdue and closure done exactly once, even with two routing
instances ticking together (the law's periods themselves: test_law_periods.py)."""
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
    # on Monday 23/11 (24/11 a day off) an extension can be asked until Wednesday 25/11 for a
    # dossier due Thursday 26/11: it is due soon; one due Friday 27/11 not yet
    due_soon = receive(db, topology, SHORT, at("2026-11-20", 9), "2026-11-26")
    not_yet = receive(db, topology, SHORT, at("2026-11-20", 9), "2026-11-27")
    act(instances[0], late[0], "accept", officer("sxd"))
    awaited = late[1]  # awaits a supplement asked 03/11: not overdue, closed after 18/11
    act(instances[0], awaited, "accept", officer("sxd"), at("2026-11-03", 9))
    asked = act(instances[0], awaited, "request_supplement", officer("sxd"),
                documents=[{"name": "Tờ khai"}], reason="thiếu tờ khai")
    assert asked.status_code == 200, asked.text
    for instance in instances:
        instance.clock.pinned = at("2026-11-23", 10)
    for _ in range(3):  # both instances tick at the same moment, three times
        for thread in [eventlet.spawn(tick, instance) for instance in instances]:
            thread.wait()
    overdue = outbox(db, "dossier.overdue")
    assert sorted(e["dossier_code"] for e in overdue) == sorted(set(late) - {awaited})
    assert [e["dossier_code"] for e in outbox(db, "dossier.closed")] == [awaited]
    assert [e["dossier_code"] for e in outbox(db, "sxd.dossier.closed")] == [awaited]
    assert all(e["data"]["due_date"] == "2026-11-04" for e in overdue)
    assert [e["dossier_code"] for e in outbox(db, "sxd.dossier.due_soon")] == [due_soon]
    assert len(outbox(db, "sxd.dossier.overdue")) == 11
    assert not query(db, "SELECT 1 FROM routing.dossiers WHERE code = %s AND"
                         " (due_soon_at IS NOT NULL OR overdue_at IS NOT NULL)", (not_yet,))
    relays("routing")
    wait_for(lambda: not query(db, "SELECT 1 FROM routing.outbox WHERE published_at IS NULL"))
    on_queue = drain(topology, "department.sxd", 0.3)
    assert sum(m["type"] == "dossier.overdue" for _, m in on_queue) == 11
    for _, message in on_queue:  # overdue, due_soon, closed
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
