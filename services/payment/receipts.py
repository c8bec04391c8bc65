"""Biên lai thu phí, lệ phí: numbered per series and year without gaps or duplicates (the
counter row is locked by the issuing transaction), stored as issued, printable as HTML."""
import uuid

from services.common.documents import environment
from services.common.events import TIMEZONE

from . import store

TITLE = "BIÊN LAI THU PHÍ, LỆ PHÍ"
_TEMPLATE = environment(__package__).get_template("receipt.html")
CHANNEL_LABELS = {"cash": "Tiền mặt", "card": "Thẻ (máy POS)", "online": "Trực tuyến"}
ONLINE_COLLECTOR = "Thanh toán trực tuyến qua cổng thanh toán"
KIND_LABELS = {"fee": "Phí, lệ phí giải quyết thủ tục hành chính", "postal": "Cước dịch vụ bưu chính"}

_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def receipt_no(series, year, number):
    return f"{series}-{year}-{number:07d}"


def reserve(cur, settings, bill, at):
    """(series, year, number) of the next receipt for this bill's kind, locked until commit."""
    series = settings.receipt_series_fee if bill["kind"] == "fee" else \
        settings.receipt_series_postal
    year = at.astimezone(TIMEZONE).year
    return series, year, store.next_receipt_number(cur, series, year)


def issue(cur, settings, bill, payment, numbering, paid_after):
    series, year, number = numbering
    issued_at = payment["completed_at"]
    content = {
        "title": TITLE,
        "collecting_unit": settings.collecting_unit,
        "receipt_no": receipt_no(series, year, number),
        "series": series,
        "year": year,
        "number": number,
        "issued_at": issued_at.astimezone(TIMEZONE).isoformat(),
        "payer_name": bill["payer_name"],
        "dossier_code": bill["dossier_code"],
        "procedure_code": bill["procedure_code"],
        "kind": bill["kind"],
        "description": bill["description"],
        "amount": payment["amount"],
        "amount_in_words": amount_in_words(payment["amount"]),
        "channel": payment["channel"],
        "reference": payment["reference"],
        "bill_amount": bill["amount"],
        "paid_to_date": paid_after,
        "outstanding": max(bill["amount"] - paid_after, 0),
        "collected_by": ONLINE_COLLECTOR if payment["channel"] == "online" else
        payment["recorded_by"],
    }
    receipt_id = uuid.uuid4()
    store.insert_receipt(cur, {"id": receipt_id, "payment_id": payment["id"],
                               "bill_id": bill["id"], "series": series, "year": year,
                               "number": number, "issued_at": issued_at, "content": content})
    return {"id": str(receipt_id), **content}


def _three_digits(number, full):
    """Words for 0-999; `full` reads the hundreds even when zero (inside a larger number)."""
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words = []
    if full or hundreds:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("lẻ")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(_DIGITS[units])
    return words


def _below_billion(number, full):
    words = []
    for group, unit in ((number // 10**6, "triệu"), (number // 1000 % 1000, "nghìn"),
                        (number % 1000, "")):
        if group:
            words += _three_digits(group, full=full or bool(words))
            if unit:
                words.append(unit)
    return words


def _words(number):
    if number >= 10**9:
        billions, rest = divmod(number, 10**9)
        return _words(billions) + ["tỷ"] + (_below_billion(rest, full=True) if rest else [])
    return _below_billion(number, full=False)


def amount_in_words(amount):
    """Số tiền bằng chữ, as printed on a receipt: 1.050.000 → 'Một triệu không trăm năm mươi
    nghìn đồng'."""
    text = " ".join(_words(amount)) + " đồng" if amount else "không đồng"
    return text[0].upper() + text[1:]


def render_html(content):
    return _TEMPLATE.render(
        receipt=content, title=TITLE,
        series=f"{content['series']}/{content['year']}", number=f"{content['number']:07d}",
        issued_at=content["issued_at"][:16].replace("T", " "),
        kind=KIND_LABELS[content["kind"]], channel=CHANNEL_LABELS[content["channel"]],
    )
