"""The state machine table and the report wording, without broker or database."""
from datetime import date, datetime

import pytest

from services.common.auth import Principal
from services.common.contracts import STATUSES
from services.common.documents import read_letterhead
from services.common.events import TIMEZONE
from services.routing import forms
from services.routing.lifecycle import (
    CITIZEN,
    COOPERATING,
    COUNTER,
    FINAL,
    LEAD,
    LEADER,
    SYSTEM,
    TRANSITIONS,
    InvalidTransition,
    NotAllowed,
    find_transition,
    relation_of,
)
from services.routing.reports import month_bounds, monthly_sentence, thousands

DOSSIER = {"code": "X", "department": "sxd", "cooperating": ["ca", "snnmt"]}


def test_every_status_is_reachable_and_final_ones_are_final():
    reachable, frontier = {"received"}, ["received"]
    while frontier:
        status = frontier.pop()
        for t in TRANSITIONS:
            if t.from_status == status and t.to_status not in reachable:
                reachable.add(t.to_status)
                frontier.append(t.to_status)
    assert reachable == set(STATUSES)
    assert not [t for t in TRANSITIONS if t.from_status in FINAL]


def test_table_statuses_are_the_contract_statuses():
    assert {t.from_status for t in TRANSITIONS} | {t.to_status for t in TRANSITIONS} <= set(
        STATUSES)


@pytest.mark.parametrize("action,status,relation,expected", [
    ("accept", "assigned", LEAD, "processing"),
    ("accept", "assigned", COUNTER, NotAllowed),
    ("accept", "processing", LEAD, InvalidTransition),
    ("resubmit", "supplement_requested", CITIZEN, "resubmitted"),
    ("resubmit", "supplement_requested", LEAD, NotAllowed),
    ("reply_consultation", "consulting", COOPERATING, "processing"),
    ("reply_consultation", "consulting", LEAD, NotAllowed),
    ("complete", "consulting", LEAD, InvalidTransition),  # wait for the answers
    ("complete", "supplement_requested", LEAD, InvalidTransition),
    ("return", "processing", COUNTER, InvalidTransition),
    ("refuse", "returned", LEAD, InvalidTransition),
    ("withdraw", "result_ready", CITIZEN, InvalidTransition),
    ("request_extension", "consulting", LEAD, "consulting"),
    ("request_extension", "supplement_requested", LEAD, InvalidTransition),  # no period runs
    ("withdraw", "received", CITIZEN, "withdrawn"),  # at any time before the result
    ("withdraw", "supplement_requested", COUNTER, "withdrawn"),
    ("close", "supplement_requested", SYSTEM, "closed"),
    ("close", "resubmitted", SYSTEM, InvalidTransition),
    ("close", "supplement_requested", COUNTER, NotAllowed),
    ("complete", "processing", None, NotAllowed),
    # inside the lead agency
    ("assign_officer", "assigned", LEAD, "processing"),  # the officer receiving for the agency
    ("assign_officer", "processing", LEADER, "processing"),
    ("assign_officer", "processing", LEAD, InvalidTransition),  # reassigning is a leader's
    ("propose", "resubmitted", LEAD, "awaiting_approval"),
    ("propose", "awaiting_approval", LEAD, InvalidTransition),
    ("approve", "awaiting_approval", LEAD, NotAllowed),
    ("approve", "awaiting_approval", LEADER, "result_ready"),
    ("approve", "processing", LEADER, InvalidTransition),
    ("send_back", "awaiting_approval", LEADER, "processing"),
    ("complete", "awaiting_approval", LEAD, InvalidTransition),
    ("accept", "assigned", LEADER, NotAllowed),
    ("withdraw", "awaiting_approval", CITIZEN, "withdrawn"),
    ("refuse", "awaiting_approval", LEADER, "refused"),
])
def test_find_transition(action, status, relation, expected):
    if isinstance(expected, str):
        assert find_transition(action, status, relation).to_status == expected
    else:
        with pytest.raises(expected):
            find_transition(action, status, relation)


def test_invalid_transition_names_the_current_status():
    with pytest.raises(InvalidTransition, match=r"\(returned\)"):
        find_transition("complete", "returned", LEAD)


@pytest.mark.parametrize("role,department,relation", [
    ("department_officer", "sxd", LEAD), ("department_officer", "ca", COOPERATING),
    ("department_officer", "stp", None), ("counter_officer", "sxd", COUNTER),
    ("counter_officer", "ca", None), ("manager", None, None),
    ("leader", "sxd", LEADER), ("leader", "ca", None),
])
def test_relation_of_a_token_to_a_dossier(role, department, relation):
    assert relation_of(Principal(role, "someone", department=department), DOSSIER) == relation


def test_monthly_sentence_in_the_words_of_seed_001():
    stats = {"received": 7267, "returned": 5516, "returned_per_day": 5516 / 22,
             "received_by_channel": {"counter": 6063, "online": 660, "postal": 544}}
    assert monthly_sentence(date(2019, 8, 1), stats) == (
        "Tháng 8-2019, tiếp nhận 7.267 hồ sơ, trong đó nhận trực tiếp 6.063 hồ sơ, nhận trực "
        "tuyến 660 hồ sơ, nhận qua dịch vụ bưu chính 544 hồ sơ. Tổng số hồ sơ đã trả 5.516 "
        "hồ sơ; bình quân mỗi ngày, trung tâm trả 251 hồ sơ.")
    assert thousands(1234567) == "1.234.567"


def test_month_bounds():
    assert month_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    assert month_bounds("2027-02") == (date(2027, 2, 1), date(2027, 2, 28))


def test_extension_html_escapes_what_officers_typed():
    letter = {"letter_number": "3/XL-SXD", "department": "sxd", "reason": "<script>x</script>",
              "previous_due_date": date(2026, 11, 20), "new_due_date": date(2026, 11, 27),
              "issued_at": datetime(2026, 11, 23, 9, tzinfo=TIMEZONE)}
    dossier = {"code": "C1", "procedure_name": "Cấp phép", "procedure_code": "1.000002",
               "recipient_name": None, "department": "sxd", "procedure": {},
               "legal_due_date": date(2026, 11, 20),
               "received_at": datetime(2026, 11, 18, 9, tzinfo=TIMEZONE)}
    html = forms.render_html("extension", forms.extension_record(letter, dossier), dossier,
                             read_letterhead())
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "27/11/2026" in html and "Mẫu 04" in html and "ngày 23 tháng 11 năm 2026" in html
