"""The printed documents (Mẫu 01 receipt, Mẫu 04 extension and apology, fee receipt) and the one VND
formatter: what a citizen or officer typed reaches the page as text, never as markup."""
from datetime import date, datetime

import pytest
from jinja2 import UndefinedError

from services.common.calendar import WorkingCalendar
from services.common.documents import environment, read_letterhead
from services.common.events import TIMEZONE
from services.common.money import vnd
from services.intake import receipt
from services.payment import receipts
from services.routing import forms

HOSTILE = "Lê <script>alert(1)</script> & Lý"
ESCAPED = "Lê &lt;script&gt;alert(1)&lt;/script&gt; &amp; Lý"


@pytest.mark.parametrize("amount, text", [
    (0, "0 đồng"),
    (1000, "1.000 đồng"),
    (1_100_000, "1.100.000 đồng"),
    (2_500_000_000, "2.500.000.000 đồng"),
    (-50_000, "-50.000 đồng"),  # a ledger's net after refunds
])
def test_vnd_groups_thousands_with_dots(amount, text):
    assert vnd(amount) == text


LETTERHEAD = read_letterhead()


def reception_receipt(full_name):
    dossier = {"received_at": datetime(2026, 11, 23, 8, 30, tzinfo=TIMEZONE),
               "applicant": {"full_name": full_name, "phone": "0912345678", "email": None,
                             "address": "25 Nguyễn Huệ"},
               "code": "000.00.31.H33-261123-0001", "lookup_secret": "ABCD2345",
               "channel": "counter",
               "documents": [{"name": "Đơn đề nghị & bản sao", "copies": 2, "form": "copy"}],
               "due_date": date(2026, 12, 5), "paper_handover_on": date(2026, 11, 23),
               "result_delivery": "post", "delivery_address": "12 Lê Lợi",
               "receiver": {"id": "canbo.stp.01"}}
    procedure = {"code": "1.000001", "name": "Cấp giấy phép", "fee": 100_000,
                 "charge": 1_000_000, "department": "stp", "processing_days": 10,
                 "day_kind": "working"}
    stored = receipt.build_receipt(dossier, procedure, {"code": "H33", "name": "Trung tâm PVHCC"},
                                   {"name": "Sở Tư pháp"}, WorkingCalendar())
    return {**stored, "register": {"unit": "H33", "day": "2026-11-23", "entry": 7}}


def test_reception_receipt_prints_the_applicant_as_text():
    html = receipt.render_html(reception_receipt(HOSTILE), LETTERHEAD)
    assert "<script>" not in html and ESCAPED in html
    assert "Đơn đề nghị &amp; bản sao" in html
    for text in ("Mẫu 01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "000.00.31.H33-261123-0001",
                 "ABCD2345", "Cấp giấy phép (mã thủ tục 1.000001)",
                 "Trực tiếp tại Bộ phận Một cửa", "08 giờ 30 phút, ngày 23/11/2026",
                 "07 giờ 30 phút, ngày 05/12/2026", "10 ngày làm việc", "Số: 7",
                 "Qua dịch vụ bưu chính công ích, tại địa chỉ 12 Lê Lợi", "Bản sao",
                 "Phí, lệ phí: 1.100.000 đồng", "số thứ tự 7", "Sở Tư pháp", "<svg"):
        assert text in html, text


def test_extension_letter_prints_the_addressee_and_reason_as_text():
    letter = {"letter_number": "3/XL-SXD", "department": "sxd", "reason": f"Chờ {HOSTILE}",
              "previous_due_date": date(2026, 11, 20), "new_due_date": date(2026, 11, 27),
              "issued_at": datetime(2026, 11, 23, 9, tzinfo=TIMEZONE)}
    dossier = {"code": "C1", "procedure_name": "Cấp phép", "procedure_code": "1.000002",
               "recipient_name": HOSTILE, "department": "sxd",
               "procedure": {"department_name": f"Sở {HOSTILE}"},
               "legal_due_date": date(2026, 11, 20),
               "received_at": datetime(2026, 11, 18, 9, tzinfo=TIMEZONE)}
    html = forms.render_html("extension", forms.extension_record(letter, dossier), dossier,
                             LETTERHEAD)
    assert "<script>" not in html
    assert f"Kính gửi: Ông/Bà {ESCAPED}." in html and f"Lý do: Chờ {ESCAPED}." in html
    assert "ngày 23 tháng 11 năm 2026" in html and f"Sở {ESCAPED} xin lỗi" in html
    assert "CƠ QUAN SXD" not in html


def test_fee_receipt_prints_the_payer_as_text_and_amounts_in_dong():
    content = {"collecting_unit": "Sở Xây dựng", "series": "BL", "year": 2026, "number": 42,
               "issued_at": "2026-11-23T10:15:00+07:00", "payer_name": HOSTILE,
               "dossier_code": "C1", "kind": "fee", "description": "Lệ phí",
               "amount": 1_050_000, "amount_in_words": receipts.amount_in_words(1_050_000),
               "channel": "cash", "reference": "BL-2026-0000042", "bill_amount": 1_100_000,
               "paid_to_date": 1_050_000, "outstanding": 50_000, "collected_by": "canbo.sxd.01"}
    html = receipts.render_html(content)
    assert "<script>" not in html and ESCAPED in html
    for text in ("BL/2026", "0000042", "1.050.000 đồng", "Một triệu không trăm năm mươi nghìn đồng",
                 "Còn phải nộp: 50.000 đồng", "Tiền mặt", "2026-11-23 10:15"):
        assert text in html, text


def test_a_template_naming_a_missing_field_fails_instead_of_printing_nothing():
    template = environment("services.intake").from_string("<p>{{ receipt.code }}</p>")
    with pytest.raises(UndefinedError):
        template.render()


@pytest.mark.parametrize("lookup_url, refused", [
    ("https://motcua.example.vn/tra-cuu?ma={code}#ma-tra-cuu={secret}", False),
    ("https://motcua.example.vn/tra-cuu?ma={code}", False),
    # the secret in the path or the query would reach the web server's access log
    ("https://motcua.example.vn/tra-cuu?ma={code}&ma-tra-cuu={secret}", True),
    ("https://motcua.example.vn/tra-cuu/{secret}#{code}", True),
])
def test_the_receipts_lookup_address_carries_the_secret_only_in_its_fragment(
        tmp_path, lookup_url, refused):
    forms_file = tmp_path / "forms.yml"
    forms_file.write_text(f'authority: "UBND tỉnh"\nplace: "An Giang"\nlookup_url: "{lookup_url}"\n',
                          encoding="utf-8")
    if refused:
        with pytest.raises(ValueError, match="lookup_url"):
            read_letterhead(forms_file)
    else:
        assert read_letterhead(forms_file)["lookup_url"] == lookup_url
