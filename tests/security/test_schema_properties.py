"""Property-based tests (hypothesis) of every marshmallow schema of routing, notify, payment and
postal (tests/common/test_properties.py covers the contracts, the envelope and intake): whatever
arrives, a schema answers with data or a ValidationError whose every key names one of its
fields, the body, or the unknown field sent; never another exception."""
import importlib
import inspect
import pkgutil
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import RAISE, Schema, ValidationError

import services
from services.postal.tracking import is_tracking_number, tracking_number
from tests.common.test_properties import json_values
from tests.conftest import count_fuzz_case

SERVICES = ("routing", "notify", "payment", "postal")
EXAMPLES = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))


def schemas_of_service(service):
    package = importlib.import_module(f"services.{service}")
    found = {}
    for info in pkgutil.walk_packages(package.__path__, f"{services.__name__}.{service}."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, Schema) and cls.__module__ == module.__name__
                    and not cls.__name__.startswith("_")):
                found[f"{service}.{cls.__name__}"] = cls
    return found


SCHEMAS = {name: cls for service in SERVICES for name, cls in schemas_of_service(service).items()}


def test_every_service_has_schemas_under_test():
    assert {name.split(".")[0] for name in SCHEMAS} == set(SERVICES)


def keys_of(schema):
    return [field.data_key or name for name, field in schema.fields.items()
            if not field.dump_only]


def shaped_like(schema_cls):
    """Bodies with the schema's own keys and any JSON values, and query strings (every value
    a string, as request.args gives them): both reach past the first type check."""
    names = keys_of(schema_cls())
    if not names:
        return json_values
    return (st.dictionaries(st.sampled_from(names), json_values, max_size=len(names))
            | st.dictionaries(st.sampled_from(names), st.text(max_size=40), max_size=len(names)))


def assert_names_fields(schema, payload, messages):
    assert messages
    if not isinstance(messages, dict):
        return
    allowed = set(keys_of(schema)) | {"_schema"}
    if isinstance(payload, dict):
        allowed |= {str(key) for key in payload}
    assert set(map(str, messages)) <= allowed, (messages, allowed)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@EXAMPLES
@given(data=st.data())
def test_a_schema_answers_data_or_errors_naming_its_fields(name, data):
    count_fuzz_case("service_schemas")
    schema = SCHEMAS[name]()
    payload = data.draw(json_values | shaped_like(SCHEMAS[name]))
    try:
        schema.load(payload)
    except ValidationError as exc:
        assert_names_fields(schema, payload, exc.messages)


STRICT = sorted(name for name, cls in SCHEMAS.items() if cls().unknown == RAISE)


@pytest.mark.parametrize("name", STRICT)
@EXAMPLES
@given(data=st.data(), unknown=st.text(min_size=1, max_size=20))
def test_a_strict_schema_names_the_unknown_field_it_refuses(name, data, unknown):
    schema = SCHEMAS[name]()
    if unknown in keys_of(schema):
        return
    count_fuzz_case("service_schemas")
    payload = dict(data.draw(shaped_like(SCHEMAS[name]).filter(lambda p: isinstance(p, dict))))
    payload[unknown] = data.draw(json_values)
    with pytest.raises(ValidationError) as refused:
        schema.load(payload)
    assert unknown in refused.value.messages


S10_SHAPE = re.compile(r"[A-Z]{2}[0-9]{9}VN")  # ASCII only, unlike str.isdigit()
BUILT_NUMBERS = st.builds(tracking_number, st.text(string.ascii_uppercase, min_size=2, max_size=2),
                          st.integers(0, 99_999_999))


def built_from_its_serial(value):
    """Whether `value` is a tracking number, found another way than is_tracking_number: the
    shape by a regular expression, then the number rebuilt from its prefix and serial."""
    return (S10_SHAPE.fullmatch(value) is not None
            and value == tracking_number(value[:2], int(value[2:10])))


@pytest.mark.parametrize("value,expected", [
    ("RR123456785VN", True),
    ("AA473124829VN", True),  # UPU S10's own example serial
    ("RM000000005VN", True),  # weighted sum ≡ 0 (mod 11): check digit 5
    ("RM000000080VN", True),  # weighted sum ≡ 1 (mod 11): check digit 0
    ("RR123456784VN", False),  # wrong check digit
    ("RR123465785VN", False),  # two digits swapped
    ("rr123456785VN", False),
    ("ÀR123456785VN", False),
    ("RR123456785GB", False),
    ("RR12345678VN", False),
    ("RR1234567855VN", False),
    ("RR12345６785VN", False),  # a fullwidth digit
    ("RR1²3456785VN", False),  # a digit str.isdigit() accepts and int() refuses
    ("", False),
])
def test_known_tracking_numbers_are_told_apart(value, expected):
    assert is_tracking_number(value) is expected


@EXAMPLES
@given(value=st.text(max_size=20) | st.builds(
    lambda digits: f"RM{digits}VN",  # any Unicode digit where the serial's digits go
    st.text(alphabet=st.characters(categories=("Nd", "No")), min_size=9, max_size=9)))
def test_any_text_is_a_tracking_number_exactly_when_built_from_its_serial(value):
    count_fuzz_case("service_schemas")
    assert is_tracking_number(value) is built_from_its_serial(value)


@EXAMPLES
@given(number=BUILT_NUMBERS, shift=st.integers(1, 9))
def test_every_built_number_is_recognised_and_any_other_check_digit_refused(number, shift):
    count_fuzz_case("service_schemas")
    assert is_tracking_number(number) is True
    other_check = (int(number[10]) + shift) % 10
    assert is_tracking_number(f"{number[:10]}{other_check}{number[11:]}") is False
