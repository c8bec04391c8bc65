"""The citizens' pages in Chromium at a phone's size (each scenario in
tests/browser/citizen_scenarios.py): a citizen scans the receipt's QR code (the address in
it: the secret rides in its fragment, which never reaches a server) and sees the status,
evaluates the dossier once it is returned, and a second evaluation is refused; 20 wrong
secrets from one client are stopped, and a wrong secret looks like an unknown code; the
catalogue finds a procedure typed without diacritics; the counter's tablet records a visit.
axe-core finds no serious or critical violation on any of these pages."""
import html
import json
import re
import subprocess
import sys
import uuid

import pytest
import requests

from scripts.stack import HTTP_PORTS, ROOT
from services.common.contracts import EVALUATION_ITEMS
from tests.browser.conftest import receive_by_api
from tests.browser.test_desk import serious_violations
from tests.conftest import AXE_RESULTS, E2E_PORT_OFFSET, local_today, token, wait_for

pytestmark = pytest.mark.e2e
DESK = f"http://127.0.0.1:{HTTP_PORTS['desk'] + E2E_PORT_OFFSET}"
# the desk believes X-Forwarded-For from this "proxy": the browser, which sends a client's
# address in it
PROXY = "127.0.0.1"
COUNTER = {"department": "ca", "center": "trung_tam_tinh"}
GATEWAY_SECRET = "citizen-pages-gateway-secret-0123456789"


def stack_env(folder):
    """The receipt's QR code opens this stack's desk; the browser stands for the proxy."""
    forms = folder / "forms.yml"
    forms.write_text('authority: "Ủy ban nhân dân tỉnh An Giang"\nplace: "An Giang"\n'
                     f'lookup_url: "{DESK}/tra-cuu?ma={{code}}#ma-tra-cuu={{secret}}"\n',
                     encoding="utf-8")
    return {"FORMS_FILE": str(forms), "DESK_TRUSTED_PROXIES": PROXY,
            # the gateway (faked by the scenario) sends the citizen back to the desk
            "VNPAY_TMN_CODE": "MOTCUA01", "VNPAY_HASH_SECRET": GATEWAY_SECRET,
            "VNPAY_RETURN_URL": f"{DESK}/thanh-toan/ket-qua"}


def citizen(name, desk, **given):
    done = subprocess.run([sys.executable, "-m", "tests.browser.citizen_scenarios", name, desk,
                           json.dumps(given)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    AXE_RESULTS.update(found.get("axe", {}))
    assert not serious_violations(found.get("axe", {}))
    return found


def the_receipts_qr(stack, code):
    """The address the receipt's QR code holds (segno writes it as the code's title) and the
    secret printed beside it."""
    counter = {"Authorization": f"Bearer {token('counter_officer', **COUNTER)}"}
    printed = requests.get(stack.url("intake", f"/api/v1/dossiers/{code}/receipt"),
                           params={"format": "html"}, headers=counter, timeout=10).text
    qr_url = html.unescape(re.search(r"<svg[^>]*>.*?<title>(.*?)</title>", printed, re.S)[1])
    secret = requests.get(stack.url("intake", f"/api/v1/dossiers/{code}/receipt"),
                          headers=counter, timeout=10).json()["lookup_secret"]
    return qr_url, secret


def bills_of(stack, code):
    """The dossier's bills, once payment has billed its reception."""
    counter = {"Authorization": f"Bearer {token('counter_officer', **COUNTER)}"}
    return wait_for(lambda: requests.get(stack.url("payment", "/api/v1/bills"),
                                         params={"dossier_code": code}, headers=counter,
                                         timeout=10).json()["bills"], timeout=30)


def returned(stack, code):
    """The dossier accepted and completed by the police, its fee paid in cash and its result
    handed over at the counter: over the services' APIs."""
    officer = {"Authorization": f"Bearer {token('department_officer', department='ca')}"}
    counter = {"Authorization": f"Bearer {token('counter_officer', **COUNTER)}"}
    for action, body in (("accept", {}), ("complete", {"result_reference": "88/PLLTP-CA"})):
        done = requests.post(stack.url("routing", f"/api/v1/dossiers/{code}/actions/{action}"),
                             json=body, headers=officer, timeout=10)
        assert done.status_code == 200, done.text
    [bill] = bills_of(stack, code)
    paid = requests.post(stack.url("payment", f"/api/v1/bills/{bill['id']}/payments"),
                         json={"channel": "cash"}, timeout=10,
                         headers={**counter, "Idempotency-Key": str(uuid.uuid4())})
    assert paid.status_code == 201, paid.text

    def handed_over():  # once routing has heard that the fee is paid
        return requests.post(stack.url("routing", f"/api/v1/dossiers/{code}/actions/return"),
                             json={"method": "counter"}, headers=counter,
                             timeout=10).status_code == 200
    assert wait_for(handed_over, timeout=30)


def test_a_citizen_scans_the_qr_sees_the_status_evaluates_after_the_result_once(stack):
    code = receive_by_api(stack, "Huỳnh Thị Kim Loan", "0908112233")
    qr_url, secret = the_receipts_qr(stack, code)
    assert qr_url == f"{DESK}/tra-cuu?ma={code}#ma-tra-cuu={secret}"

    scanned = citizen("scan_the_qr", stack.url("desk"), qr_url=qr_url, secret=secret,
                      client="203.0.113.10")
    assert scanned["url"] == f"{DESK}/tra-cuu/{code}"
    assert scanned["status"] in ("Đã tiếp nhận hồ sơ", "Đã chuyển đến cơ quan chủ trì giải quyết")
    assert not scanned["secret_sent_in_an_address"]
    assert secret not in scanned["address_bar"]

    returned(stack, code)
    evaluated = citizen("evaluate_after_the_result", stack.url("desk"), qr_url=qr_url,
                        secret=secret, code=code, client="203.0.113.11",
                        other_client="203.0.113.12")
    assert evaluated["status"] == "Đã trả kết quả"
    assert not evaluated["asks_secret"], "the lookup let the browser in"
    assert evaluated["left_out"] == len(EVALUATION_ITEMS) - 1
    assert "b) Số lượng cơ quan" in evaluated["summary"]
    assert "Cảm ơn Ông/Bà đã đánh giá" in evaluated["thanked"]
    assert "chỉ được đánh giá một lần" in evaluated["second"]


def test_twenty_wrong_secrets_from_one_client_are_stopped(stack):
    code = receive_by_api(stack, "Võ Văn Tài", "0977445566")
    _, secret = the_receipts_qr(stack, code)
    found = citizen("guess_secrets", stack.url("desk"), code=code, secret=secret,
                    client="203.0.113.66", other_client="203.0.113.67",
                    unknown_code=code[:-4] + "9999")
    statuses = [answer["status"] for answer in found["answers"]]
    assert statuses == [404] * 10 + [429] * 10, statuses
    assert "Không tìm thấy hồ sơ có mã hồ sơ và mã tra cứu này" in found["answers"][0]["text"]
    assert "sai quá nhiều lần" in found["answers"][-1]["text"]
    # stopped, the client's right secret is not even checked
    assert found["stopped_right"]["status"] == 429
    # an unknown code is answered as a wrong secret
    assert found["unknown"]["status"] == 404
    assert "Không tìm thấy hồ sơ có mã hồ sơ và mã tra cứu này" in found["unknown"]["text"]
    # another client is not stopped by this one's guessing
    assert found["other_client_url"] == f"{DESK}/tra-cuu/{code}"
    logged = [json.loads(line) for line in (stack.log_dir / "desk.log").read_text().splitlines()
              if "lookup secret checks stopped" in line]
    assert len(logged) == 11 and {line["dossier_code"] for line in logged} == {code}
    assert not any("203.0.113.66" in json.dumps(line) for line in logged)


def test_the_catalogue_finds_a_procedure_and_the_counter_tablet_records_a_visit(stack):
    forms = requests.get(stack.url("routing", "/api/v1/evaluation-forms"), timeout=10).json()
    satisfied = next(level["label"] for level in forms["counter_visit"]["levels"]
                     if level["value"] == "satisfied")
    found = citizen("catalogue_and_tablet", stack.url("desk"), client="203.0.113.20",
                    level_label=satisfied)
    assert any("Cấp Phiếu lý lịch tư pháp" in name for name in found["listed"])
    text = found["procedure"]["text"]
    for expected in ("2.000488", "Công an tỉnh", "10 ngày làm việc", "200.000 đ",
                     "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "quầy số 2"):
        assert expected in text, expected
    # the portal's page of a procedure by its national code (its other detail page wants the
    # portal's own numeric id, which the catalogue does not hold)
    assert found["procedure"]["portal"] == ("https://dichvucong.gov.vn/p/home/"
                                            "dvc-chi-tiet-thu-tuc-hanh-chinh.html"
                                            "?ma_thu_tuc=2.000488")
    assert "Cảm ơn" in found["thanked"]
    manager = {"Authorization": f"Bearer {token('manager')}"}
    today = local_today().isoformat()
    report = requests.get(stack.url("routing", "/api/v1/reports/evaluations"), timeout=10,
                          params={"start": today, "end": today}, headers=manager).json()
    [officer] = [row for row in report["by_officer"] if row["officer"] == "motcua.thu"]
    assert officer["counter_visits"]["satisfied"] == 1


def test_a_citizen_pays_the_fee_online_and_sees_the_result(stack):
    code = receive_by_api(stack, "Lâm Thị Ngọc Hân", "0916778899")
    qr_url, _ = the_receipts_qr(stack, code)
    bills_of(stack, code)
    paid = citizen("pay_online", stack.url("desk"), qr_url=qr_url, client="203.0.113.30",
                   payment=stack.url("payment"), gateway_secret=GATEWAY_SECRET)
    assert "200.000 đ" in paid["fees"] and "Chưa nộp" in paid["fees"]
    assert "200.000 đ" in paid["amount"]
    assert "Đã thanh toán" in paid["result"] and "đã được ghi nhận" in paid["result"]
    assert "Đã nộp đủ" in paid["after"] and paid["receipt_links"] == 1
