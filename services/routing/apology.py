"""The apology letter and new appointment (Mẫu 04, Văn bản xin lỗi và hẹn lại ngày trả kết
quả, Circular 03/2025/TT-VPCP) as JSON and as a printable HTML page."""
from html import escape
from pathlib import Path
from string import Template

from services.common.events import TIMEZONE

FORM = "Mẫu 04"
TITLE = "VĂN BẢN XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
_TEMPLATE = Template((Path(__file__).parent / "templates" / "apology.html").read_text("utf-8"))


def letter_view(letter, dossier):
    return {
        "form": FORM, "title": TITLE, "letter_number": letter["letter_number"],
        "code": dossier["code"], "department": letter["department"],
        "procedure": {"code": dossier["procedure_code"], "name": dossier["procedure_name"]},
        "received_at": dossier["received_at"].astimezone(TIMEZONE).isoformat(),
        "reason": letter["reason"],
        "previous_due_date": letter["previous_due_date"].isoformat(),
        "new_due_date": letter["new_due_date"].isoformat(),
        "issued_at": letter["issued_at"].astimezone(TIMEZONE).isoformat(),
    }


def render_html(letter, dossier):
    issued = letter["issued_at"].astimezone(TIMEZONE)
    addressee = (f"Ông/Bà {dossier['recipient_name']}" if dossier.get("recipient_name")
                 else f"Ông/Bà có hồ sơ mã số {dossier['code']}")
    values = {
        "form": FORM, "title": TITLE, "letter_number": letter["letter_number"],
        "department_name": f"CƠ QUAN {letter['department'].upper()}",
        "issued_day": f"{issued.day:02d}", "issued_month": f"{issued.month:02d}",
        "issued_year": issued.year, "addressee": addressee,
        "received_date": f"{dossier['received_at'].astimezone(TIMEZONE):%d/%m/%Y}",
        "procedure_name": dossier["procedure_name"], "code": dossier["code"],
        "previous_due_date": f"{letter['previous_due_date']:%d/%m/%Y}",
        "reason": letter["reason"], "new_due_date": f"{letter['new_due_date']:%d/%m/%Y}",
    }
    return _TEMPLATE.substitute({k: escape(str(v)) for k, v in values.items()})
