"""Each handler declares the contract and fields with which notify reads its event again when
it waited for its dossier's contact (messages.EVENTS)."""
import inspect

from services.common.consumer import ReliableEventHandler
from services.notify import messages
from services.notify.service import NotifyService


def handlers():
    for _, method in inspect.getmembers(NotifyService, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ReliableEventHandler):
                yield entrypoint.event_type, inspect.getclosurevars(method).nonlocals


def test_each_handler_reads_its_event_as_messages_does():
    declared = dict(handlers())
    assert set(declared) == set(messages.EVENTS)
    for event_type, reading in messages.EVENTS.items():
        assert (declared[event_type]["contract"], declared[event_type]["fields"]) == (
            reading.contract, reading.fields), event_type
