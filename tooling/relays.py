"""What a service measures of its own events once the broker confirmed them: the outbox relay
(services/common/relay.py) knows nothing of what an event means, so it is given the
service's observer here, when it runs as `motcua relay SERVICE`."""
from pkgutil import resolve_name

CONFIRMED_EVENT_OBSERVERS = {
    "routing": "services.routing.metrics:observe_department_message",
}


def confirmed_event_observer(service):
    name = CONFIRMED_EVENT_OBSERVERS.get(service)
    return resolve_name(name) if name else None
