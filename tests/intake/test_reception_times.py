"""When a dossier received at a given hour is due, and when its paper goes to the agency,
through intake's HTTP API on worked dates (intake's clock pinned): a same-day procedure is
due that day before the cut-off (SAME_DAY_CUTOFF, 15:00) and the next working day from it;
a paper dossier goes to the agency that day, or the next working day from
PAPER_HANDOVER_CUTOFF (15:00, art. 18(2)); office_close (17:00) ends the reception day for
every period."""
import pytest

from services.common.clock import Clock
from services.intake.service import IntakeService
from tests.conftest import CATALOGUE, dossier_body, token
from tests.routing.lifecycle_helpers import at

SAME_DAY = "2.001914"   # Cấp bản sao văn bằng, chứng chỉ từ sổ gốc (sgddt): 0 working days
TWO_DAYS = "1.002861"   # sxd: 2 working days


def start(container_factory, config_for, client_for, **settings):
    config = config_for("intake", **settings)
    container = container_factory(IntakeService, config)
    container.start()
    clock = next(d for d in container.dependencies if isinstance(d, Clock))
    client = client_for(config)

    def hand_in(code, when):
        clock.pinned = when
        proc = CATALOGUE["procedures"][code]
        officer = token("counter_officer", department=proc["department"], subject="motcua.01")
        answer = client.post("/api/v1/dossiers", token=officer, json=dossier_body(proc))
        assert answer.status_code == 201, answer.text
        return answer.json()
    return hand_in


@pytest.fixture
def hand_in(container_factory, config_for, client_for):
    """hand_in(procedure code, local time): the 201 answer of a counter officer's reception."""
    return start(container_factory, config_for, client_for)


@pytest.mark.parametrize("received,due", [
    (at("2026-11-23", 14, 59), "2026-11-23"),   # Monday before 15:00: that day
    (at("2026-11-23", 15, 30), "2026-11-25"),   # at 15:30: the next working day (24/11 is off)
    (at("2026-01-09", 15, 30), "2026-01-10"),   # Friday 9/1/2026: the worked Saturday 10/1
    (at("2026-01-02", 9), "2026-01-05"),        # on the swapped day off 2/1: Monday 5/1
])
def test_a_same_day_dossier_is_due_that_day_before_15_00_else_the_next_working_day(
        hand_in, received, due):
    assert hand_in(SAME_DAY, received)["due_at"] == due


def test_the_same_day_cut_off_is_a_setting(container_factory, config_for, client_for):
    hand_in = start(container_factory, config_for, client_for, SAME_DAY_CUTOFF="16:00")
    assert hand_in(SAME_DAY, at("2026-11-23", 15, 30))["due_at"] == "2026-11-23"
    assert hand_in(SAME_DAY, at("2026-11-23", 16))["due_at"] == "2026-11-25"


def test_paper_received_after_15_00_goes_to_the_agency_the_next_working_day_period_unchanged(
        hand_in):
    before = hand_in(TWO_DAYS, at("2026-11-23", 14, 30))
    after = hand_in(TWO_DAYS, at("2026-11-23", 15, 30))
    assert before["paper_handover_on"] == "2026-11-23"
    assert after["paper_handover_on"] == "2026-11-25"  # 24/11 Ngày Văn hóa Việt Nam is off
    # the period runs from the reception either way: 25/11 and 26/11
    assert before["due_at"] == after["due_at"] == "2026-11-26"
    # after office_close (17:00) the reception itself counts from the next working day
    late = hand_in(TWO_DAYS, at("2026-11-23", 17, 5))
    assert (late["paper_handover_on"], late["due_at"]) == ("2026-11-25", "2026-11-27")
