"""The benchmark's own arithmetic: its audit finds a lost, a duplicated and an unexpected
effect; a redelivered department message is not counted as a second arrival; percentiles are
nearest-rank; a dossier's full path waits for every stage it needs; the bare pipeline repeats
exactly the run's counts of work; the load ends before a receiving unit runs out of the day's
dossier numbers; an online dossier is handed in by the portal, then received by an officer
of its agency, and only that reception's code counts."""
import argparse
import json
import random
import uuid
from collections import Counter

import pytest

from bench.e2e import (
    Arrivals,
    Submission,
    Workload,
    instances_option,
    percentile,
    receiving_unit,
    spread,
    stage_times,
    steady_window,
    submit_one,
)
from bench.stages import audit


def test_audit_finds_lost_duplicated_and_unexpected_effects():
    result = audit({"bill": {"A", "B", "C"}}, {"bill": {"A": 1, "B": 2, "D": 1}})["bill"]
    assert (result["expected"], result["lost"], result["duplicated"], result["unexpected"]) == (
        3, 1, 1, 1)
    assert (result["lost_codes"], result["duplicated_codes"], result["unexpected_codes"]) == (
        ["C"], ["B"], ["D"])


def test_audit_of_a_clean_run_is_zero_everywhere():
    result = audit({"routed": {"A", "B"}}, {"routed": {"A": 1, "B": 1}})["routed"]
    assert (result["lost"], result["duplicated"], result["unexpected"]) == (0, 0, 0)


def assigned(code, envelope_id=None, event_type="dossier.assigned"):
    return json.dumps({"id": envelope_id or str(uuid.uuid4()), "type": event_type,
                       "dossier_code": code}).encode()


def test_a_redelivery_is_not_a_second_arrival_but_a_second_envelope_is_a_duplicate():
    arrivals = Arrivals()
    redelivered = str(uuid.uuid4())
    arrivals.record(1.0, "STP", assigned("A", redelivered))
    arrivals.record(2.0, "STP", assigned("A", redelivered))  # at-least-once: same envelope
    arrivals.record(3.0, "SXD", assigned("B"))
    arrivals.record(4.0, "SXD", assigned("B"))  # a second envelope: routed twice
    arrivals.record(5.0, "SXD", assigned("C", event_type="dossier.due_soon"))
    assert arrivals.first == {"A": (1.0, "STP"), "B": (3.0, "SXD")}
    assert arrivals.duplicate_ids == 1
    assert dict(arrivals.ids_per_code) == {"A": 1, "B": 2}
    assert audit({"department_queue": {"A", "B", "C"}},
                 {"department_queue": dict(arrivals.ids_per_code)})["department_queue"][
        "duplicated_codes"] == ["B"]


def test_percentiles_are_nearest_rank():
    values = [v / 1000 for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (
        0.05, 0.099, 0.1)
    assert percentile([0.7], 99) == 0.7
    assert percentile([], 50) is None


class Collector:
    stages = ("receipt_sms", "bill")

    def __init__(self, seen):
        self.seen = seen


def submission(code, fee, start=10.0):
    return Submission("counter", "STP", "t", {}, start=start, done=start + 0.2, code=code,
                      fee=fee)


def test_full_path_waits_for_every_stage_a_dossier_needs_and_the_bill_only_with_a_fee():
    arrivals = Arrivals()
    for code in ("FEE", "FREE", "SLOW"):
        arrivals.record(10.5, "STP", assigned(code))
    collector = Collector({"receipt_sms": {"FEE": 11.0, "FREE": 10.8, "SLOW": 10.9},
                           "bill": {"FEE": 11.5}})
    times = stage_times([submission("FEE", True), submission("FREE", False),
                         submission("SLOW", True)], arrivals, collector)
    assert times["FEE"]["full_path"] == pytest.approx(1.5)   # its bill came last
    assert times["FREE"]["full_path"] == pytest.approx(0.8)  # no bill to wait for
    assert "full_path" not in times["SLOW"]                   # its bill never came
    assert times["SLOW"]["http"] == pytest.approx(0.2)


@pytest.mark.parametrize("per_dossier", [0.0, 0.4, 1.0, 5.598, 6.7])
def test_the_bare_pipeline_spreads_fractional_work_to_the_run_total(per_dossier):
    shares = [spread(per_dossier, i) for i in range(1000)]
    assert sum(shares) == int(1000 * per_dossier)
    assert set(shares) <= {int(per_dossier), int(per_dossier) + 1}


def test_instances_option_reads_counts_and_refuses_nonsense():
    assert instances_option("routing=2, notify=3") == {"routing": 2, "notify": 3}
    for bad in ("routing", "routing=0", "routing=two"):
        with pytest.raises(argparse.ArgumentTypeError, match="expected"):
            instances_option(bad)


def procedure(code, department, channels):
    return {"code": code, "department": department, "channels": channels, "postal_return": False,
            "documents": [{"key": "don", "mandatory": True}], "fee": 0, "charge": 0}


def test_the_load_ends_with_its_mix_before_a_unit_runs_out_of_the_days_numbers():
    procedures = [procedure("1.000001", "stp", ["counter", "online"]),
                  procedure("1.000002", "sxd", ["counter"])]
    tokens = {"portal": "p", "stp": ["s"], "sxd": ["x"]}
    workload = Workload(procedures, tokens, random.Random(7), numbers_per_unit=40)
    items = [workload.item(n) for n in range(500)]
    made = [item for item in items if item is not None]
    assert items[len(made):] == [None] * (500 - len(made))  # once ended, it stays ended
    per_unit = Counter(receiving_unit(item) for item in made)
    assert max(per_unit.values()) == 40 and workload.full in per_unit
    assert per_unit[workload.full] == 40
    assert {item.channel for item in made} == {"counter", "online"}
    # a dossier is numbered by its agency's identifier on every channel: stp's counter and
    # online dossiers share its numbers, so stp runs out first
    assert workload.full == "stp" and set(per_unit) == {"stp", "sxd"}


def test_the_steady_window_ends_where_the_load_ended_if_that_came_first():
    assert steady_window(100.0, 60, 10) == (110.0, 160.0)
    assert steady_window(100.0, 60, 10, load_ended=148.5) == (110.0, 148.5)
    assert steady_window(100.0, 60, 10, load_ended=175.0) == (110.0, 160.0)


def test_an_online_dossier_is_received_by_an_officer_of_its_agency_the_counter_s_is_not():
    procedures = [procedure("1.000001", "stp", ["counter", "online"])]
    tokens = {"portal": "p", "stp": ["s1", "s2"]}
    items = [Workload(procedures, tokens, random.Random(3)).item(n) for n in range(50)]
    online = [item for item in items if item.channel == "online"]
    assert online and all(i.token == "p" and i.receiver in ("s1", "s2") for i in online)
    assert all(i.token in ("s1", "s2") and i.receiver is None
               for i in items if i.channel == "counter")


class Intake:
    """Answers as intake does: a submission, then its reception with the dossier's code."""

    def __init__(self, reception_status=201):
        self.calls, self.reception_status = [], reception_status

    def post(self, path, body, token):
        self.calls.append((path, token))
        if path == "/api/v1/submissions":
            return 201, json.dumps({"id": "s-1", "status": "awaiting_reception"}).encode()
        if path == "/api/v1/submissions/s-1/reception":
            return self.reception_status, json.dumps({"code": "C-0001"}).encode()
        return 201, json.dumps({"code": "C-0002"}).encode()


def test_an_online_dossier_counts_as_accepted_with_the_code_its_reception_gave():
    intake, accepted = Intake(), []
    online = Submission("online", "stp", "p", {}, receiver="s")
    submit_one(intake, online, accepted)
    assert intake.calls == [("/api/v1/submissions", "p"), ("/api/v1/submissions/s-1/reception",
                                                           "s")]
    assert (online.status, online.code, accepted) == ("201", "C-0001", [online])
    counter = Submission("counter", "stp", "s", {})
    submit_one(intake, counter, accepted)
    assert intake.calls[-1] == ("/api/v1/dossiers", "s") and counter.code == "C-0002"
    refused = Submission("online", "stp", "p", {}, receiver="s")
    submit_one(Intake(reception_status=409), refused, accepted)
    assert (refused.status, refused.code, len(accepted)) == ("409", None, 2)
