"""How the pages write values: dates dd/mm/yyyy, times 24 h, money `1.100.000 đ`, and text
compared without diacritics; and how they read a date typed dd/mm/yyyy."""
import re
import unicodedata
from datetime import date, datetime, time

from services.common.documents import _local, day
from services.common.events import TIMEZONE


def money(amount):
    return thousands(amount) + " đ"


def thousands(number):
    """7267 -> '7.267'."""
    return f"{int(number):,}".replace(",", ".")


def percent(value):
    """85.5 -> '85,5 %' (a decimal comma)."""
    return f"{value:g}".replace(".", ",") + " %"


def day_time(value):
    return f"{_local(value):%d/%m/%Y %H:%M}" if value else ""


def days_left(value):
    if value is None:
        return "Tạm dừng (chờ bổ sung)"
    if value < 0:
        return f"Quá hạn {-value} ngày làm việc"
    if value == 0:
        return "Đến hạn hôm nay"
    return f"Còn {value} ngày làm việc"


def folded(text):
    """Lower case without diacritics ("Cấp Phiếu lý lịch" -> "cap phieu ly lich"): what an
    officer typing without accents means."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


# A date field is a text input: the browser's date input shows mm/dd/yyyy under an English
# locale, and the officers write dd/mm/yyyy.
DAY_PLACEHOLDER = "dd/mm/yyyy"
DAY_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}"


def typed_day(text):
    """The date of "31/12/2026" (or "5/1/2027"); None when the text is no such date."""
    found = re.fullmatch(DAY_PATTERN, (text or "").strip())
    if found is None:
        return None
    day_, month, year = (int(part) for part in found.group().split("/"))
    try:
        return date(year, month, day_)
    except ValueError:
        return None


MOMENT_PATTERN = r"(\d{1,2}/\d{1,2}/\d{4}) (\d{1,2}):(\d{2})"


def typed_moment(text):
    """The local time of "07/12/2026 14:30" (Asia/Ho_Chi_Minh); None when the text is no
    such time."""
    found = re.fullmatch(MOMENT_PATTERN, " ".join((text or "").split()))
    on = found and typed_day(found.group(1))
    hour, minute = (int(found.group(2)), int(found.group(3))) if found else (24, 60)
    if not on or hour > 23 or minute > 59:
        return None
    return datetime.combine(on, time(hour, minute), TIMEZONE)


# beside the field, and after its label in the error summary
DAY_ERROR = "Nhập ngày theo dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 31/12/2026."


FILTERS = {"money": money, "day": lambda v: day(v) if v else "", "day_time": day_time,
           "days_left": days_left, "thousands": thousands, "percent": percent}
