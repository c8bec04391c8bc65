"""Every form of Circular 03/2025/TT-VPCP that intake and routing issue (Mẫu 01 to Mẫu 07 and
the transfer slip), issued through the services' HTTP APIs as a day at the counter issues them
(scripts/forms_examples.py, which also writes docs/forms/), and printed to PDF by headless
Chromium: its paper and page count, the letterhead and the national motto, every field the
standard form has, in Vietnamese, the dossier code as text and, on the receipt, as the QR code
of the public lookup address."""
import csv
import io

import pytest
import requests

from scripts.forms_examples import (
    APPLICANT,
    COUNTER,
    DOCUMENTS,
    MISSING,
    OFFICER,
    PROCEDURE,
    Services,
    issue_every_form,
)
from services.common.documents import qr_svg, read_letterhead
from services.intake.receipt import render_html
from tests.chromium import PAPER_POINTS, missing_texts, read_pdf
from tests.conftest import CATALOGUE, TOKEN_SECRET, query, token

LETTERHEAD = read_letterhead()
COMMON = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
          LETTERHEAD["authority"].upper(), f"{LETTERHEAD['place']}, ngày")
DOCUMENT_NAMES = {d["key"]: d["name"] for d in CATALOGUE["procedures"][PROCEDURE]["documents"]}
A4, A5 = PAPER_POINTS["A4"], PAPER_POINTS["A5"]
LANDSCAPE = tuple(reversed(A4))


def vn(iso):
    return "/".join(reversed(iso[:10].split("-")))


@pytest.fixture
def services(intake_and_routing):
    intake, routing, _ = intake_and_routing
    return Services(intake.base, routing.base, TOKEN_SECRET)


def test_every_form_of_a_day_at_the_counter_prints_with_its_standard_fields(
        services, db, print_pdf):
    """One flow issues them all (the services start once): each form is then checked."""
    pages = issue_every_form(services)
    receipt = services_get(services.intake, f"/api/v1/dossiers/{pages['receipt'][1]}/receipt",
                           token("manager", subject="quanly"))
    issued = pages, receipt
    check_receipt(issued, print_pdf)
    check_transfer_slip(issued, print_pdf)
    check_counter_slips(issued, print_pdf, db)
    check_routing_forms(issued, print_pdf)
    check_register(issued, print_pdf, services)
    check_control_slip_access(issued, services)


def services_get(base, path, bearer, **params):
    response = requests.get(base + path, headers={"Authorization": f"Bearer {bearer}"},
                            params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def check(print_pdf, pages, form, paper, texts, absent=()):
    """The form's page printed: one page of `paper`, the letterhead and `texts` in it."""
    html, subject = pages[form]
    printed = read_pdf(print_pdf(html))
    assert (printed.pages, printed.size) == (1, paper), form
    assert missing_texts(printed, (*COMMON, subject, *texts)) == [], form
    for text in absent:
        assert text not in printed.text, (form, text)
    return printed


def check_receipt(issued, print_pdf):
    """Mẫu 01: every standard field, and the QR code of the public lookup address."""
    pages, receipt = issued
    code, due = receipt["code"], vn(receipt["due_date"])
    received = receipt["received_at"]
    printed = check(print_pdf, pages, "receipt", A4, (
        # issued by the one-stop unit that received it (the center), for the competent agency
        "Mẫu 01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
        "Cơ quan có thẩm quyền giải quyết: Sở Tư pháp", "Số: 1",
        f"Mã hồ sơ: {code}", f"Mã tra cứu: {receipt['lookup_secret']}",
        f"tiếp nhận hồ sơ của: {APPLICANT['full_name']}", f"Địa chỉ: {APPLICANT['address']}",
        f"Số điện thoại: {APPLICANT['phone']}; Email: {APPLICANT['email']}",
        "Nội dung yêu cầu giải quyết: Thành lập Văn phòng công chứng (mã thủ tục 1.001756)",
        "Cơ quan có thẩm quyền giải quyết: Sở Tư pháp",
        *DOCUMENT_NAMES.values(), "Bản chính", "Bản sao có chứng thực", "Bản sao",
        "Số lượng hồ sơ: 01 bộ",
        "Thời gian giải quyết hồ sơ theo quy định: 20 ngày làm việc",
        f"Thời gian nhận hồ sơ: {received[11:13]} giờ {received[14:16]} phút, ngày "
        f"{vn(received)}",
        f"Thời gian trả kết quả giải quyết hồ sơ: 07 giờ 30 phút, ngày {due}",
        "Đăng ký nhận kết quả: Tại Bộ phận Một cửa",
        f"sổ ngày {vn(received)}, số thứ tự 1",
        "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ", COUNTER))
    by_key = {d["key"]: d for d in receipt["documents"]}
    assert [(by_key[d["key"]]["form"], by_key[d["key"]]["copies"]) for d in DOCUMENTS] == [
        ("original", 1), ("original", 2), ("certified_copy", 1), ("copy", 1)]
    # the QR code is the public lookup address of this dossier, its secret in the fragment
    # alone (never sent to a server), drawn on the page; the address printed for typing has
    # no secret
    lookup = LETTERHEAD["lookup_url"].replace("{code}", code)
    secret = receipt["lookup_secret"]
    assert lookup.partition("#")[2] == "ma-tra-cuu={secret}"
    svg = qr_svg(lookup.replace("{secret}", secret))
    html = pages["receipt"][0]
    assert svg in html
    assert f"vào {lookup.partition('#')[0]}, nhập" in html
    without_qr = read_pdf(print_pdf(html.replace(svg, "")))
    assert printed.drawing - without_qr.drawing > 100
    # a receipt stored before the standard fields still prints
    old = {key: value for key, value in receipt.items()
           if key not in ("processing_time", "return_at", "sets", "agency", "receiver")}
    old["agency"] = receipt["agency"]
    assert f"ngày <strong>{due}</strong>" in render_html(old, LETTERHEAD)


def check_transfer_slip(issued, print_pdf):
    """From the receiving unit to the competent agency, with what goes."""
    pages, receipt = issued
    check(print_pdf, pages, "transfer_slip", A4, (
        "PHIẾU CHUYỂN XỬ LÝ HỒ SƠ", "Kính gửi: Sở Tư pháp", APPLICANT["full_name"],
        *DOCUMENT_NAMES.values(), f"hẹn trả kết quả: {vn(receipt['due_date'])}",
        "Hồ sơ giấy chuyển đến cơ quan giải quyết ngày", "NGƯỜI GIAO HỒ SƠ",
        "NGƯỜI NHẬN HỒ SƠ"))


def check_counter_slips(issued, print_pdf, db):
    """Mẫu 02 and Mẫu 03 at the counter: recorded (who, when, what was missing) and printed."""
    pages, _ = issued
    check(print_pdf, pages, "guidance", A5, (
        "Mẫu 02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "Số: 1/PYCBS",
        f"Hồ sơ của: {APPLICANT['full_name']}", DOCUMENT_NAMES["qd_bo_nhiem_ccv"],
        DOCUMENT_NAMES["giay_to_tru_so"], MISSING["name"], MISSING["note"],
        "Chưa nộp (giấy tờ bắt buộc)", "NGƯỜI HƯỚNG DẪN", COUNTER))
    check(print_pdf, pages, "counter_refusal", A5, (
        "Mẫu 03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "Số: 1/PTC",
        "Trụ sở đề nghị đã được đăng ký cho một văn phòng công chứng khác",
        "NGƯỜI TIẾP NHẬN HỒ SƠ"))
    recorded = query(db, "SELECT kind, number, issued_by, department, slip FROM "
                         "intake.counter_slips ORDER BY kind")
    assert [(r["kind"], r["number"], r["issued_by"], r["department"]) for r in recorded] == [
        ("guidance", "1/PYCBS", COUNTER, "stp"), ("refusal", "1/PTC", COUNTER, "stp")]
    assert [item["key"] for item in recorded[0]["slip"]["missing"]] == [
        "qd_bo_nhiem_ccv", "giay_to_tru_so", None]


def check_routing_forms(issued, print_pdf):
    """Mẫu 02 to 05 name the competent agency; Mẫu 06 lists every hand-over."""
    pages, receipt = issued
    not_the_code = ("CƠ QUAN STP",)
    check(print_pdf, pages, "supplement_request", A5, (
        "Mẫu 02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "SỞ TƯ PHÁP", MISSING["name"],
        "tính lại từ đầu", "THỦ TRƯỞNG CƠ QUAN"), not_the_code)
    check(print_pdf, pages, "extension", A4, (
        "Mẫu 04", "Kính gửi: Bộ phận Một cửa", "Sở Tư pháp đề nghị gia hạn",
        "Sở Tư pháp xin lỗi", "Cần xác minh thực tế trụ sở văn phòng công chứng"),
        not_the_code)
    check(print_pdf, pages, "refusal", A5, (
        "Mẫu 03", "PHIẾU TỪ CHỐI GIẢI QUYẾT HỒ SƠ", "Sở Tư pháp từ chối giải quyết",
        "Người đề nghị không đủ điều kiện thành lập văn phòng công chứng"), not_the_code)
    check(print_pdf, pages, "stop_notice", A5, (
        "Mẫu 05", "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", "Lý do: Không còn nhu cầu"),
        not_the_code)
    check(print_pdf, pages, "control_slip", A4, (
        "Mẫu 06", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        "Cơ quan giải quyết hồ sơ: Sở Tư pháp", f"Giao: Bộ phận Một cửa ({COUNTER})",
        "Nhận: Sở Tư pháp", "Yêu cầu bổ sung, hoàn thiện hồ sơ", "Phân công chuyên viên",
        f"Nhận: Sở Tư pháp – Chuyên viên ({OFFICER})", "Chuyên viên trình kết quả",
        "Nhận: Bộ phận Một cửa", "Đã trả kết quả cho người nộp", "Nhận: Người nộp hồ sơ",
        "Trước hạn", "Kết quả giải quyết hồ sơ: Trước hạn"), not_the_code)


def check_register(issued, print_pdf, services):
    """Mẫu 07: the day's book of the counter, printable and as CSV, per agency."""
    pages, receipt = issued
    codes = [entry["code"] for entry in services_get(
        services.intake, "/api/v1/register", token("manager", subject="quanly"))["books"][0][
        "entries"]]
    assert len(codes) == 3 and codes[0] == receipt["code"]
    check(print_pdf, pages, "register", LANDSCAPE, (
        "Mẫu 07", "SỔ THEO DÕI HỒ SƠ", *codes, APPLICANT["full_name"], "Sở Tư pháp",
        "Cơ quan chủ trì giải quyết", "Hẹn trả kết quả", "Trả kết quả"))
    as_csv = requests.get(services.intake + "/api/v1/register", params={"format": "csv"},
                          headers={"Authorization": "Bearer " + token(
                              "counter_officer", department="stp", subject=COUNTER)},
                          timeout=10)
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert [(row[2], row[3]) for row in rows[1:]] == [("1", codes[0]), ("2", codes[1]),
                                                      ("3", codes[2])]
    other = services_get(services.intake, "/api/v1/register", token(
        "counter_officer", department="syt", subject="canbo.syt"))
    assert other["books"] == []


def check_control_slip_access(issued, services):
    """Mẫu 06 names the officers: for them and managers, not for the lookup secret."""
    pages, receipt = issued
    path = f"/api/v1/dossiers/{receipt['code']}/forms/control_slip"
    by_secret = requests.get(services.routing + path,
                             params={"secret": receipt["lookup_secret"]}, timeout=10)
    assert by_secret.status_code == 404
    slip = services_get(services.routing, path, token("department_officer", department="stp",
                                                      subject=OFFICER))
    assert slip["form"] == "Mẫu 06" and slip["result"] == "early"
    assert [row["step"] for row in slip["rows"]][:2] == [
        "Chuyển hồ sơ đến cơ quan chủ trì",
        "Yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02; thời hạn giải quyết tính lại từ đầu khi "
        "nhận đủ hồ sơ)"]


def test_a_guidance_slip_needs_something_missing_and_the_officers_own_procedure(
        services, db):
    counter = {"Authorization": "Bearer " + token("counter_officer", department="stp",
                                                  subject=COUNTER)}
    complete = requests.post(services.intake + "/api/v1/guidance", headers=counter, timeout=10,
                             json={"procedure_code": PROCEDURE, "applicant": {
                                 "full_name": APPLICANT["full_name"]}, "documents": DOCUMENTS})
    assert complete.status_code == 422, complete.text
    assert list(complete.json()["error"]["fields"]) == ["missing"]
    body = {"procedure_code": PROCEDURE, "applicant": {"full_name": "Lê Văn Tám"},
            "documents": [{"key": "don_de_nghi"}]}
    foreign = requests.post(services.intake + "/api/v1/guidance", timeout=10, json=body,
                            headers={"Authorization": "Bearer " + token(
                                "counter_officer", department="syt", subject="canbo.syt")})
    assert foreign.status_code == 403
    given = requests.post(services.intake + "/api/v1/guidance", headers=counter, json=body,
                          timeout=10)
    assert given.status_code == 201, given.text
    slip_url = services.intake + given.json()["print_url"].split("?")[0]
    other_counter = requests.get(slip_url, timeout=10, headers={
        "Authorization": "Bearer " + token("counter_officer", department="syt",
                                           subject="canbo.syt")})
    assert other_counter.status_code == 404
    assert query(db, "SELECT count(*) AS n FROM intake.counter_slips")[0]["n"] == 1


ORGANISATION = {"name": "Công ty TNHH Xây dựng Mỹ Hòa", "tax_code": "1601234567",
                "address": "12 Trần Hưng Đạo, phường Long Xuyên, tỉnh An Giang"}
AUTHORISED = {"full_name": "Phạm Minh Khang", "citizen_id": "089195004321",
              "phone": "0987654321", "address": "3 Lý Thái Tổ, phường Long Xuyên",
              "authorisation": {"reference": "15/2026/UQ", "signed_on": "2026-03-01"}}


def test_an_organisation_applying_through_an_authorised_person_is_printed_as_such(
        services, db, print_pdf):
    """Mẫu 01 and Mẫu 07 name the organisation (with its code and its representative) and
    the authorised person who handed the dossier in; no citizen ID is printed."""
    counter = {"Authorization": "Bearer " + token("counter_officer", department="stp",
                                                  subject=COUNTER)}
    applicant = {**APPLICANT, "kind": "business", "organisation": ORGANISATION,
                 "authorised_person": AUTHORISED}
    created = requests.post(services.intake + "/api/v1/dossiers", headers=counter, timeout=10,
                            json={"procedure_code": PROCEDURE, "applicant": applicant,
                                  "documents": DOCUMENTS})
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    receipt = requests.get(services.intake + f"/api/v1/dossiers/{code}/receipt", timeout=10,
                           headers=counter, params={"format": "html"})
    assert receipt.status_code == 200, receipt.text
    printed = read_pdf(print_pdf(receipt.text))
    assert missing_texts(printed, (
        f"tiếp nhận hồ sơ của: {ORGANISATION['name']} (mã số doanh nghiệp, mã số thuế "
        f"{ORGANISATION['tax_code']}); người đại diện: {APPLICANT['full_name']}",
        f"Địa chỉ: {ORGANISATION['address']}",
        f"Người được ủy quyền nộp hồ sơ: {AUTHORISED['full_name']} (văn bản ủy quyền số "
        "15/2026/UQ ngày 01/03/2026)")) == []
    assert APPLICANT["citizen_id"] not in printed.text
    assert AUTHORISED["citizen_id"] not in printed.text
    as_csv = requests.get(services.intake + "/api/v1/register", params={"format": "csv"},
                          headers=counter, timeout=10)
    [row] = list(csv.reader(io.StringIO(as_csv.text)))[1:]
    assert (row[3], row[7], row[8]) == (code, ORGANISATION["name"], ORGANISATION["address"])
