"""docstore's domain errors: the kernel's (services.common.errors), named for its cases."""
from services.common.errors import Conflict, Invalid, NotAllowed, NotFound, Unavailable


class UnknownDocument(NotFound):
    """No such document, or one the caller may not see (answered alike)."""

    def __init__(self, message="Không có tài liệu này.", code=None):
        super().__init__(message, code)


class ScannerUnavailable(Unavailable):
    """clamd cannot scan now: nothing was stored."""

    code = "scanner_unavailable"


class NotInPipelineState(Conflict):
    """The document is not in the state the request needs."""


def infected(found):
    return Invalid("Tệp bị phát hiện có mã độc và đã bị cách ly; không lưu vào hồ sơ. "
                   "Hãy quét lại bản giấy trên máy sạch.", "content",
                   {"content": [f"Tệp chứa mã độc ({found}): đã cách ly."]})


def not_allowed_type(allowed):
    return Invalid("Loại tệp không được chấp nhận.", "content",
                   {"content": [f"Chỉ nhận tệp {', '.join(allowed)} (nhận biết theo nội dung "
                                "tệp, không theo tên tệp)."]})


def empty_file():
    return Invalid("Tệp gửi lên không có nội dung.", "content",
                   {"content": ["Hãy gửi nội dung tệp trong thân yêu cầu."]})


def other_agency():
    return NotAllowed("Tài liệu thuộc hồ sơ của cơ quan khác.", "other_agency")
