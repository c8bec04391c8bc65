"""The receipt and appointment slip (Mẫu 01, Giấy tiếp nhận hồ sơ và hẹn trả kết quả,
Circular 03/2025/TT-VPCP) as JSON, and as a printable HTML page."""
from services.common.documents import environment
from services.common.events import TIMEZONE

FORM = "Mẫu 01"
TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
_TEMPLATE = environment(__package__).get_template("receipt.html")
CHANNEL_LABELS = {
    "counter": "Trực tiếp tại Trung tâm",
    "online": "Trực tuyến",
    "postal": "Qua dịch vụ bưu chính công ích",
}
DELIVERY_LABELS = {"counter": "Tại Trung tâm", "post": "Qua dịch vụ bưu chính công ích"}


def build_receipt(dossier, procedure, receiving_unit):
    received = dossier["received_at"].astimezone(TIMEZONE)
    applicant = dossier["applicant"]
    return {
        "form": FORM,
        "title": TITLE,
        "receiving_unit": {"code": receiving_unit["code"], "name": receiving_unit["name"]},
        "code": dossier["code"],
        "lookup_secret": dossier["lookup_secret"],
        "applicant": {"full_name": applicant["full_name"], "phone": applicant["phone"],
                      "email": applicant.get("email"), "address": applicant["address"]},
        "procedure": {"code": procedure["code"], "name": procedure["name"]},
        "channel": dossier["channel"],
        "documents": dossier["documents"],
        "received_at": received.isoformat(),
        "due_date": dossier["due_date"].isoformat(),
        "result_delivery": dossier["result_delivery"],
        "delivery_address": dossier["delivery_address"],
        "fee": procedure["fee"],
        "charge": procedure["charge"],
    }


def render_html(receipt):
    return _TEMPLATE.render(
        receipt=receipt, form=FORM, title=TITLE,
        channel=CHANNEL_LABELS[receipt["channel"]],
        delivery=DELIVERY_LABELS[receipt["result_delivery"]],
        received_at=receipt["received_at"][:16].replace("T", " "),
        due_date="/".join(reversed(receipt["due_date"].split("-"))),
    )
