"""What postal asks intake, by RPC: which department decides a procedure, the departments and
their procedures, and the registration of a dossier a post office received.

intake answers with its own domain errors (services.common.errors: an unknown procedure is
NotFound, a dossier it refuses is Invalid naming the fields); those reach the caller as they
are. An intake that cannot be reached (the broker down included), or that stays silent, is
IntakeUnavailable, except for a registration, where silence or a broker lost midway may hide
a registered dossier (IntakeUnanswered)."""
from contextlib import contextmanager

import eventlet
from kombu.exceptions import OperationalError as BrokerUnreachable
from nameko.exceptions import RemoteError, UnknownService

from services.common.errors import Invalid, NotFound

from .errors import IntakeUnanswered, IntakeUnavailable

CATALOGUE_TIMEOUT_SECONDS = 5
REGISTRATION_TIMEOUT_SECONDS = 30


class Silent(Exception):
    """intake did not answer within the time given."""


@contextmanager
def reaching_intake(what, seconds=CATALOGUE_TIMEOUT_SECONDS):
    try:
        with eventlet.Timeout(seconds, Silent):
            yield
    except (Silent, RemoteError, UnknownService, BrokerUnreachable) as exc:
        raise IntakeUnavailable(f"{what} (intake) cannot be reached; try again") from exc


def procedure_department(intake, code, field="procedure_code", channel=None):
    """The department deciding a procedure (Invalid naming `field` if intake does not know
    it, or if it is closed to `channel`)."""
    try:
        with reaching_intake("the procedure catalogue"):
            procedure = intake.get_procedure(code)
    except NotFound as exc:
        raise Invalid("unknown procedure", field,
                      {field: [f"no procedure with code {code}"]}) from exc
    if channel and channel not in procedure["channels"]:
        raise Invalid("procedure not received by post", field,
                      {field: [f"thủ tục {code} does not accept dossiers through channel "
                               f"{channel}"]})
    return procedure["department"]


def check_department_scope(intake, department, procedures):
    """Invalid unless the catalogue has the department and every listed procedure is its."""
    with reaching_intake("the department list"):
        departments = {found["code"] for found in intake.departments()}
    if department not in departments:
        raise Invalid("unknown department", "department",
                      {"department": [f"no department {department} in the catalogue"]})
    if not procedures:
        return
    with reaching_intake("the procedure catalogue"):
        own = {procedure["code"]
               for procedure in intake.list_procedures(department)["procedures"]}
    strangers = [code for code in procedures if code not in own]
    if strangers:
        raise Invalid("procedures of another department", "procedures",
                      {"procedures": [f"{code} is not a procedure of department {department}"
                                      for code in strangers]})


def register(intake, body, receiver, correlation_id):
    """The dossier as intake registered it (its code, receipt and due date)."""
    try:
        with eventlet.Timeout(REGISTRATION_TIMEOUT_SECONDS, Silent):
            return intake.register_dossier(body, receiver, correlation_id)["dossier"]
    except (Silent, BrokerUnreachable) as exc:  # the broker may have lost it after sending it
        raise IntakeUnanswered(
            "registration (intake) did not answer in time; the dossier may have been "
            "registered: look at GET /api/v1/receptions before receiving it again") from exc
    except (RemoteError, UnknownService) as exc:
        raise IntakeUnavailable(
            "registration (intake) failed; nothing was registered, try again") from exc
