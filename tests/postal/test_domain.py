from datetime import UTC

import pytest
from kombu.exceptions import OperationalError
from marshmallow import ValidationError

from services.common.errors import Invalid, NotFound, http_status
from services.postal.errors import IntakeUnanswered, IntakeUnavailable
from services.postal.intake import procedure_department, register
from services.postal.schemas import DelegationSchema, PostOfficeSchema
from services.postal.tracking import (
    TrackingUpdateSchema,
    UnreadableFile,
    is_tracking_number,
    read_rows,
    refusal,
    s10_check_digit,
    tracking_number,
    validate_rows,
)

GOOD = tracking_number("RM", 1234)


@pytest.mark.parametrize("serial,digit", [(47312482, 9), (0, 5), (12345678, 5)])
def test_s10_check_digit_follows_upu(serial, digit):
    assert s10_check_digit(serial) == digit


def test_tracking_numbers_are_recognised_and_typos_caught():
    assert GOOD == "RM000012349VN" and is_tracking_number(GOOD)
    typo = GOOD[:5] + str((int(GOOD[5]) + 1) % 10) + GOOD[6:]
    assert not is_tracking_number(typo)
    assert not is_tracking_number("RM12VN")
    assert not is_tracking_number(GOOD.lower())


@pytest.mark.parametrize("current,event,allowed", [
    ("created", "picked_up", True),
    ("created", "delivered", False),
    ("picked_up", "in_transit", True),
    ("in_transit", "delivered", True),
    ("in_transit", "delivery_failed", True),
    ("delivery_failed", "in_transit", True),
    ("delivery_failed", "returned_to_center", True),
    ("in_transit", "returned_to_center", False),
    ("delivered", "delivery_failed", False),
    ("returned_to_center", "delivered", False),
])
def test_status_machine(current, event, allowed):
    assert (refusal(current, event) is None) is allowed


def test_csv_rows_are_validated_one_by_one_and_applied_in_time_order():
    raw = (
        "tracking_number,event,at,reason\n"
        f"{GOOD},delivered,2026-11-23T10:00:00+07:00,\n"
        f"{GOOD},picked_up,2026-11-22T08:00:00+07:00,\n"
        f"{GOOD},delivery_failed,2026-11-22T09:00:00+07:00,\n"
        "XX1,picked_up,2026-11-22T08:00:00+07:00,\n"
        f"{GOOD},picked_up,2026-11-23T08:00:00,\n"
    ).encode()
    valid, rejected = validate_rows(read_rows(raw, "text/csv"))
    assert [(number, update["event"]) for number, update in valid] == \
        [(2, "picked_up"), (1, "delivered")]
    assert {r["row"]: sorted(r["errors"]) for r in rejected} == {
        3: ["reason"], 4: ["tracking_number"], 5: ["at"]}


def test_json_rows_and_unreadable_files():
    rows = read_rows(b'{"rows": [{"tracking_number": "x"}, 5]}', "application/json")
    valid, rejected = validate_rows(rows)
    assert valid == [] and [r["row"] for r in rejected] == [1, 2]
    for raw, kind in [(b"\xff\xfe", "text/csv"), (b"{", "application/json"),
                      (b'{"rows": 1}', "application/json"), (b"a,b\n1,2\n", "text/csv")]:
        with pytest.raises(UnreadableFile):
            read_rows(raw, kind)


def test_update_schema_refuses_unknown_fields_and_events():
    with pytest.raises(ValidationError) as caught:
        TrackingUpdateSchema().load({"tracking_number": GOOD, "event": "lost",
                                     "at": "2026-11-23T08:00:00+07:00", "extra": 1})
    assert set(caught.value.messages) == {"event", "extra"}


def test_post_office_and_delegation_bodies():
    with pytest.raises(ValidationError) as caught:
        PostOfficeSchema().load({"code": "bd", "name": "B", "address": "x",
                                 "receiving_unit": "000.00.31"})
    assert set(caught.value.messages) == {"code", "name", "address", "receiving_unit"}
    with pytest.raises(ValidationError) as caught:
        DelegationSchema().load({"department": "stp", "post_office": "BD",
                                 "valid_from": "2026-09-01", "valid_to": "2026-08-01",
                                 "override_reason": "short"})
    assert set(caught.value.messages) == {"valid_to", "override_reason"}


def test_an_event_dated_in_the_future_is_refused():
    from datetime import datetime, timedelta
    soon = datetime.now(UTC) + timedelta(minutes=5)
    later = datetime.now(UTC) + timedelta(hours=2)
    schema = TrackingUpdateSchema()
    assert schema.load({"tracking_number": GOOD, "event": "picked_up", "at": soon.isoformat()})
    with pytest.raises(ValidationError) as caught:
        schema.load({"tracking_number": GOOD, "event": "picked_up", "at": later.isoformat()})
    assert caught.value.messages == {"at": ["Thời điểm ở tương lai."]}


class Intake:
    """intake's catalogue RPCs as postal calls them."""

    @staticmethod
    def get_procedure(code):
        if code != "2.1":
            raise NotFound(f"no procedure with code {code}")
        return {"code": code, "department": "ca", "channels": ["counter"]}


class BrokerDown:
    """The RPC proxy while RabbitMQ is down: publishing the request fails."""

    @staticmethod
    def get_procedure(*args):
        raise OperationalError("[Errno 111] ECONNREFUSED")

    register_dossier = get_procedure


def test_intake_behind_a_broker_that_is_down_is_unavailable_not_a_500():
    """The fuzzing found POST /api/v1/pickups answering 500 while RabbitMQ restarted: kombu's
    OperationalError went past the RPC's errors."""
    with pytest.raises(IntakeUnavailable) as asked:
        procedure_department(BrokerDown, "2.1")
    assert http_status(asked.value) == 503
    with pytest.raises(IntakeUnanswered):
        register(BrokerDown, {}, {}, "corr")


def test_a_procedure_closed_to_the_postal_channel_is_named():
    assert procedure_department(Intake, "2.1") == "ca"
    with pytest.raises(Invalid) as closed:
        procedure_department(Intake, "2.1", "dossier.procedure_code", channel="postal")
    assert "kênh postal" in closed.value.fields["dossier.procedure_code"][0]
    with pytest.raises(Invalid) as unknown:
        procedure_department(Intake, "9.9")
    assert http_status(unknown.value) == 422 and "procedure_code" in unknown.value.fields
