"""The desk as its officers use it, in Chromium (each scenario in tests/browser/scenarios.py):
a counter officer receives a dossier with the keyboard and prints its receipt; a department
officer finds it in the inbox (a due date typed dd/mm/yyyy), sees the SMS the applicant was
sent and completes it, and the counter takes the fee, hands the result over and prints the
hand-over slip; a wrong password, a missing CSRF token and an officer of another agency are
refused; axe-core finds no serious or critical violation on any page."""
import pytest

from tests.browser.conftest import receive_by_api, scenario
from tests.conftest import AXE_RESULTS

pytestmark = pytest.mark.e2e
SERIOUS = ("serious", "critical")


def serious_violations(results):
    return [f"{page}: {v['id']} ({v['impact']}) {v['help']} {v['targets']}"
            for page, violations in results.items() for v in violations
            if v["impact"] in SERIOUS]


def test_a_counter_officer_receives_a_dossier_with_the_keyboard_and_prints_its_receipt(desk):
    found = scenario("reception_by_keyboard", desk)
    assert found["missing"] == [], "the receipt's PDF lacks these"
    assert found["drawing"] > 100, "the receipt's QR code is drawn"


def test_a_department_officer_finds_the_dossier_and_completes_it_and_the_counter_returns_it(
        desk, stack):
    code = receive_by_api(stack, "Đỗ Thị Hồng Nhung", "0987001122")
    found = scenario("department_completes", desk, code)
    assert "Đã có kết quả" in found["done"] and found["control_slip"]
    assert found["result_shown"] and found["fee_shown"]
    assert found["payment_receipt_link"] == 1 and found["returned"]
    # the receipt's SMS (and the fee's), to the phone masked
    [receipt_sms] = [row for row in found["notifications"] if "Đã tiếp nhận hồ sơ" in row]
    assert "Tin nhắn SMS" in receipt_sms
    assert "*******122" in receipt_sms and "0987001122" not in receipt_sms
    handover = found["handover"]
    assert handover["prefilled"] == "Đỗ Thị Hồng Nhung"
    assert "Số giấy tờ" in handover["refused"] and "12 chữ số" in handover["refused"]
    assert handover["missing"] == [] and not handover["whole_id_printed"]
    AXE_RESULTS.update(handover["axe"])
    assert not serious_violations(handover["axe"])
    dates = found["dates"]  # typed dd/mm/yyyy whatever the browser's locale
    for field in ("inbox_field", "extension_field"):
        assert dates[field] == {"type": "text", "placeholder": "dd/mm/yyyy"}, field
    assert "Hạn trước ngày" in dates["inbox_wrong"] and "dd/mm/yyyy" in dates["inbox_wrong"]
    assert code in dates["inbox_listed"] and dates["inbox_kept"] == "31/12/2099"
    assert "Ngày hẹn trả mới" in dates["extension_wrong"]
    assert "dd/mm/yyyy" in dates["extension_wrong"] and dates["extension_kept"] == "2027-01-15"


def test_a_wrong_password_a_missing_csrf_token_and_another_agency_are_refused(desk, stack):
    code = receive_by_api(stack)
    found = scenario("refusals", desk, code)
    assert "/sign-in" in found["wrong_password"]["url"]
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in found["wrong_password"]["summary"]
    assert found["forged_status"] == 403 and "CSRF" in found["forged_text"]
    assert found["still_signed_in"] == 200
    assert found["counter_page_for_officer"] == 403
    assert found["other_agency"] == 404 and not found["other_agency_lists_it"]


def test_no_page_has_a_serious_or_critical_accessibility_violation(desk, stack):
    code = receive_by_api(stack, "Lý Thị Mai", "0903334455")
    results = scenario("accessibility", desk, code)
    AXE_RESULTS.update(results)
    serious = serious_violations(results)
    print(f"axe-core: {len(results)} pages, "
          f"{sum(len(v) for v in results.values())} violations, {len(serious)} serious or "
          "critical")
    assert not serious, "\n".join(serious)
