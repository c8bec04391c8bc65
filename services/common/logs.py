"""JSON logs with the correlation id, and personal data masked before anything is written.

Masking happens in a logging filter on the handler, so it also covers third-party loggers.
"""
import logging
import re
import threading

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from .phones import mask_phone

_context = threading.local()  # green-thread local once eventlet has patched threading

# No line names its thread or process, and asking eventlet's patched threading for the
# current thread is a good part of a record's making.
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False

# One pass finds, leftmost first, an email, a citizen ID (12 digits) or a Vietnamese phone
# number (0/84/+84 then 9-10 digits). A UUID (an event, bill or notification id) is matched
# too, and kept: a run of digits in one is no citizen ID or phone number, and masked it
# would no longer find its event. Phones are found by this pattern, not libphonenumber's
# matcher: that one is an order of magnitude slower per line, and either misses the numbers
# it deems unallocated (personal data all the same) or, lenient, masks dates and parts of
# dossier codes.
_PERSONAL = re.compile(
    r"(?P<uuid>(?<![\w-])[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?![\w-]))"
    r"|(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<citizen_id>(?<!\d)\d{12}(?!\d))"
    r"|(?P<phone>(?<![\w])(?:\+?84|0)(?:[\s.-]?\d){9,10}(?!\d))"
)
_MAY_BE_PERSONAL = re.compile(r"[\d@]")  # each kind needs a digit or an @
PERSONAL_KEYS = frozenset(
    {"citizen_id", "phone", "email", "address", "delivery_address", "full_name", "secret"}
)


def _masked(match):
    kind, found = match.lastgroup, match.group()
    if kind == "uuid":
        return found
    if kind == "email":
        return "***@***"
    if kind == "phone":
        return mask_phone(found)
    return "*" * 9 + found[-3:]


def mask_text(text):
    if not _MAY_BE_PERSONAL.search(text):  # most log text: skip the full scan
        return text
    return _PERSONAL.sub(_masked, text)


def mask_value(value):
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: ("***" if k in PERSONAL_KEYS else mask_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    return value


def bind(**fields):
    """Attach fields (correlation_id, dossier_code...) to every log line of this green thread."""
    current = dict(getattr(_context, "fields", {}))
    current.update(fields)
    _context.fields = current


def clear():
    _context.fields = {}


class ContextFilter(logging.Filter):
    def filter(self, record):
        for key, value in getattr(_context, "fields", {}).items():
            setattr(record, key, value)
        record.msg = mask_text(record.getMessage())
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key in PERSONAL_KEYS:
                setattr(record, key, "***")
            elif key not in _STANDARD_ATTRS:
                setattr(record, key, mask_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "asctime": "time"})
        super().__init__(*args, **kwargs)


def setup(level="INFO"):
    """Logging for processes not started by nameko (relays, CLI)."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("pika").setLevel(logging.WARNING)
