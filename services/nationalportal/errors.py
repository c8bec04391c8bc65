"""nationalportal's domain errors: the kernel's (services.common.errors), named for its cases."""
from services.common.errors import Conflict, NotFound, Unavailable


class PortalUnavailable(Unavailable):
    """DVCQG did not answer (or refused the call): nothing was changed."""

    code = "portal_unavailable"


def unknown_dossier(code):
    return NotFound(f"Hồ sơ {code} không có trong danh sách đồng bộ với Cổng DVCQG.")


def not_failed(code):
    return Conflict(f"Hồ sơ {code} không ở trạng thái đồng bộ lỗi: không cần gửi lại.",
                    "not_failed")
