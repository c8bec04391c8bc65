"""The receipt and appointment slip (Mẫu 01, Giấy tiếp nhận hồ sơ và hẹn trả kết quả,
Circular 03/2025/TT-VPCP) as JSON, and as a printable HTML page."""
from html import escape
from pathlib import Path
from string import Template

from services.common.events import TIMEZONE

FORM = "Mẫu 01"
TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
_TEMPLATE = Template((Path(__file__).parent / "templates" / "receipt.html").read_text("utf-8"))
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


def _vnd(amount):
    return f"{amount:,}".replace(",", ".") + " đồng"


def render_html(receipt):
    rows = "\n".join(
        f"<tr><td>{i}</td><td>{escape(d['name'])}</td><td>{d['copies']}</td></tr>"
        for i, d in enumerate(receipt["documents"], 1)
    )
    received = receipt["received_at"][:16].replace("T", " ")
    due = "/".join(reversed(receipt["due_date"].split("-")))
    values = {
        "unit_name": receipt["receiving_unit"]["name"],
        "form": FORM,
        "title": TITLE,
        "code": receipt["code"],
        "secret": receipt["lookup_secret"],
        "full_name": receipt["applicant"]["full_name"],
        "phone": receipt["applicant"]["phone"],
        "address": receipt["applicant"]["address"],
        "procedure": f"{receipt['procedure']['name']} (mã {receipt['procedure']['code']})",
        "channel": CHANNEL_LABELS[receipt["channel"]],
        "received_at": received,
        "due_date": due,
        "delivery": DELIVERY_LABELS[receipt["result_delivery"]]
        + (f": {receipt['delivery_address']}" if receipt["delivery_address"] else ""),
        "fees": _vnd(receipt["fee"] + receipt["charge"]),
    }
    escaped = {k: escape(str(v)) for k, v in values.items()}
    return _TEMPLATE.substitute(escaped, documents=rows)
