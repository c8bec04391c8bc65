"""The apology letter and new appointment (Mẫu 04, Văn bản xin lỗi và hẹn lại ngày trả kết
quả, Circular 03/2025/TT-VPCP) as JSON and as a printable HTML page."""
from services.common.documents import environment
from services.common.events import TIMEZONE

FORM = "Mẫu 04"
TITLE = "VĂN BẢN XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
_TEMPLATE = environment(__package__).get_template("apology.html")


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
    addressee = (f"Ông/Bà {dossier['recipient_name']}" if dossier.get("recipient_name")
                 else f"Ông/Bà có hồ sơ mã số {dossier['code']}")
    return _TEMPLATE.render(
        form=FORM, title=TITLE, letter=letter, dossier=dossier, addressee=addressee,
        department_name=f"CƠ QUAN {letter['department'].upper()}",
        issued=letter["issued_at"].astimezone(TIMEZONE),
        received_date=f"{dossier['received_at'].astimezone(TIMEZONE):%d/%m/%Y}",
        previous_due_date=f"{letter['previous_due_date']:%d/%m/%Y}",
        new_due_date=f"{letter['new_due_date']:%d/%m/%Y}",
    )
