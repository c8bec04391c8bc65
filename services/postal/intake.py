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
        raise IntakeUnavailable(f"Tạm thời không kết nối được {what} (intake); xin thử lại.") \
            from exc


def procedure_department(intake, code, field="procedure_code", channel=None, agency=None):
    """The department deciding a procedure (Invalid naming `field` if intake does not know
    it, or if it is closed to `channel`); for a commune-level procedure, which several
    agencies decide, `agency`, the one the dossier names (intake checks it is one of them)."""
    try:
        with reaching_intake("the procedure catalogue"):
            procedure = intake.get_procedure(code)
    except NotFound as exc:
        raise Invalid("Thủ tục không có trong danh mục.", field,
                      {field: [f"Không có thủ tục mã {code}."]}) from exc
    if channel and channel not in procedure["channels"]:
        raise Invalid("Thủ tục không nhận hồ sơ qua bưu chính.", field,
                      {field: [f"Thủ tục {code} không nhận hồ sơ qua kênh {channel}."]})
    return procedure["department"] or agency


def check_department_scope(intake, department, procedures):
    """Invalid unless the catalogue has the department and every listed procedure is its."""
    with reaching_intake("the department list"):
        departments = {found["code"] for found in intake.departments()}
    if department not in departments:
        raise Invalid("Sở, ngành không có trong danh mục.", "department",
                      {"department": [f"Danh mục không có sở, ngành {department}."]})
    if not procedures:
        return
    with reaching_intake("the procedure catalogue"):
        own = {procedure["code"]
               for procedure in intake.list_procedures(department)["procedures"]}
    strangers = [code for code in procedures if code not in own]
    if strangers:
        raise Invalid("Có thủ tục của sở, ngành khác.", "procedures",
                      {"procedures": [f"{code} không phải thủ tục của sở, ngành {department}."
                                      for code in strangers]})


def register(intake, body, receiver, correlation_id):
    """The dossier as intake registered it (its code, receipt and due date)."""
    try:
        with eventlet.Timeout(REGISTRATION_TIMEOUT_SECONDS, Silent):
            return intake.register_dossier(body, receiver, correlation_id)["dossier"]
    except (Silent, BrokerUnreachable) as exc:  # the broker may have lost it after sending it
        raise IntakeUnanswered(
            "Dịch vụ đăng ký hồ sơ (intake) không trả lời kịp; hồ sơ có thể đã được đăng ký: "
            "hãy xem danh sách hồ sơ đã nhận hôm nay (GET /api/v1/receptions) trước khi nhận "
            "lại.") from exc
    except (RemoteError, UnknownService) as exc:
        raise IntakeUnavailable(
            "Đăng ký hồ sơ (intake) không thành công; chưa có gì được đăng ký, xin thử lại.") \
            from exc
