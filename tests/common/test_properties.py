"""Property-based tests (hypothesis) of the boundaries and of the calendar: whatever arrives,
a schema answers with data or a ValidationError naming fields, never another exception; the
calendar's arithmetic holds for any day; masking hides any citizen ID or phone number."""
import inspect
import re
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from services.common import contracts
from services.common.calendar import WorkingCalendar
from services.common.events import TIMEZONE, EnvelopeSchema
from services.common.logs import mask_text
from services.common.phones import international, normalise_phone
from services.intake import schemas as intake_schemas
from tests.conftest import count_fuzz_case

EXAMPLES = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=5),
    max_leaves=20,
)


def schemas_of(module):
    return [cls for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, Schema) and cls.__module__ == module.__name__
            and not cls.__name__.startswith("_")]


BOUNDARY_SCHEMAS = [EnvelopeSchema, *schemas_of(contracts), *schemas_of(intake_schemas)]


def fields_like(schema_cls):
    """Dicts whose keys are the schema's own fields, with any JSON values: deeper than noise."""
    names = list(schema_cls().fields)
    return st.dictionaries(st.sampled_from(names), json_values, max_size=len(names))


@pytest.mark.parametrize("schema_cls", BOUNDARY_SCHEMAS, ids=lambda c: c.__name__)
@EXAMPLES
@given(data=st.data())
def test_schemas_answer_data_or_a_validation_error(schema_cls, data):
    count_fuzz_case("schemas")
    payload = data.draw(json_values | fields_like(schema_cls))
    try:
        schema_cls().load(payload)
    except ValidationError as exc:
        assert exc.messages  # names at least one field or the body
        assert isinstance(exc.messages, dict | list)


CALENDAR = WorkingCalendar()
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
moments = st.builds(lambda day, minute: datetime.combine(day, time(0), TIMEZONE)
                    + timedelta(minutes=minute), days, st.integers(0, 24 * 60 - 1))


@EXAMPLES
@given(received=moments, processing_days=st.integers(1, 60))
def test_a_due_date_is_a_working_day_exactly_n_working_days_after_reception(received,
                                                                           processing_days):
    count_fuzz_case("calendar")
    start = CALENDAR.reception_day(received)
    due = CALENDAR.due_date(received, processing_days)
    assert CALENDAR.is_working_day(start) and CALENDAR.is_working_day(due)
    assert CALENDAR.working_days_between(start, due) == processing_days
    assert due > received.date()


@EXAMPLES
@given(first=moments, later_by=st.integers(0, 10_000), processing_days=st.integers(1, 30))
def test_a_later_reception_is_never_due_earlier(first, later_by, processing_days):
    count_fuzz_case("calendar")
    later = first + timedelta(minutes=later_by)
    assert CALENDAR.due_date(later, processing_days) >= CALENDAR.due_date(first, processing_days)


@EXAMPLES
@given(received=moments, processing_days=st.integers(1, 60))
def test_calendar_day_deadlines_end_on_a_working_day_not_before_the_count(received,
                                                                         processing_days):
    count_fuzz_case("calendar")
    due = CALENDAR.due_date(received, processing_days, "calendar")
    assert CALENDAR.is_working_day(due)
    assert (due - CALENDAR.reception_day(received)).days >= processing_days


digits = st.text(alphabet="0123456789", min_size=0, max_size=14)
separators = st.sampled_from(["", " ", ".", "-"])


@EXAMPLES
@given(prefix=st.sampled_from(["0", "84", "+84", "+84 ", ""]), body=digits, sep=separators)
def test_phone_normalisation_is_idempotent_and_round_trips(prefix, body, sep):
    count_fuzz_case("phones")
    given_number = prefix + sep.join(body[i:i + 3] for i in range(0, len(body), 3))
    normal = normalise_phone(given_number)
    if normal is None:
        return
    assert re.fullmatch(r"0\d{9,10}", normal)
    assert normalise_phone(normal) == normal
    assert normalise_phone(international(normal)) == normal


@EXAMPLES
@given(before=st.text(max_size=20), after=st.text(max_size=20),
       citizen_id=st.from_regex(r"0[0-9]{11}", fullmatch=True),
       phone=st.from_regex(r"09[0-9]{8}", fullmatch=True))
def test_masking_hides_any_citizen_id_and_phone_in_any_text(before, after, citizen_id, phone):
    count_fuzz_case("masking")
    masked = mask_text(f"{before} {citizen_id} / {phone} {after}")
    assert citizen_id not in masked and phone not in masked
