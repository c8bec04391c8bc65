"""marshmallow's own messages are Vietnamese in every schema of every service: every message
key of every field class and validator marshmallow has (a new one in a marshmallow upgrade
fails here), and every field of every schema module as that module builds it when imported
first, in a fresh interpreter (marshmallow reads its messages when a field is built)."""
import inspect
import subprocess
import sys

import pytest
from marshmallow import Schema, fields, validate

from services.common import messages
from tests.conftest import ROOT, english_words_in

CHECK_MODULE = r'''
import importlib, inspect, sys
from marshmallow import Schema, fields

module = importlib.import_module(sys.argv[1])
seen, texts = set(), []

def walk_field(field):
    texts.extend(field.error_messages.values())
    for validator in field.validators:
        texts.extend(str(value) for name, value in vars(validator).items()
                     if name == "error" or name.startswith("message_"))
    for inner in (getattr(field, "inner", None), getattr(field, "value_field", None)):
        if inner is not None:
            walk_field(inner)
    if isinstance(field, fields.Nested):
        walk_schema(field.schema)

def walk_schema(schema):
    if type(schema) in seen:
        return
    seen.add(type(schema))
    texts.extend(schema.error_messages.values())
    for field in schema.fields.values():
        walk_field(field)

for _, cls in inspect.getmembers(module, inspect.isclass):
    if issubclass(cls, Schema) and cls.__module__ == module.__name__:
        walk_schema(cls())
print("\n".join(text for text in texts if text))
'''


def schema_modules():
    """Every module that declares schemas, but settings: those messages are for the operator
    who starts a service (in English, as the logs), not for the people who use it."""
    found = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        if "from marshmallow import" in path.read_text(encoding="utf-8") \
                and path.name != "settings.py":
            found.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


def field_classes():
    """The public ones: a private base class (_TemporalField) is never built itself."""
    return [cls for name, cls in inspect.getmembers(fields, inspect.isclass)
            if issubclass(cls, fields.Field) and not name.startswith("_")]


@pytest.mark.parametrize("field_class", field_classes(), ids=lambda cls: cls.__name__)
def test_every_field_message_is_vietnamese(field_class):
    merged = {}
    for cls in reversed(field_class.__mro__):
        merged.update(getattr(cls, "default_error_messages", {}))
    assert {key: text for key, text in merged.items() if english_words_in(text)} == {}


def test_every_validator_message_is_vietnamese():
    english = {}
    for _, cls in inspect.getmembers(validate, inspect.isclass):
        for name, value in vars(cls).items():
            if name.startswith(("message", "default_message")) and isinstance(value, str) \
                    and english_words_in(value):
                english[f"{cls.__name__}.{name}"] = value
    assert english == {}
    assert not [text for text in Schema.error_messages.values() if english_words_in(text)]


def test_messages_keep_marshmallows_format_variables():
    assert validate.Range(min=1, max=5)._format_error(9, validate.Range(min=1, max=5)
                                                       .message_all) == \
        "Phải lớn hơn hoặc bằng 1 và nhỏ hơn hoặc bằng 5."
    assert validate.OneOf(("a", "b")).error.format(choices="a, b") == \
        "Phải là một trong các giá trị: a, b."
    assert messages.ItemCount(min=1, max=3).message_all.format(min=1, max=3) == \
        "Phải có từ 1 đến 3 mục."


@pytest.mark.parametrize("module", schema_modules())
def test_a_schema_module_imported_first_builds_vietnamese_messages(module):
    texts = subprocess.run([sys.executable, "-c", CHECK_MODULE, module], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    assert [text for text in texts if english_words_in(text)] == []
