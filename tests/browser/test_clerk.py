"""The post-office clerk in Chromium (tests/browser/clerk_scenarios.py): the provincial post
office holds the Department of Science and Technology's delegation only; its clerk is told
which delegation is missing for a police procedure, receives a dossier of the delegating
department and prints its receipt, takes a pick-up at home through its states, and follows
a result shipment: an event by hand, then the carrier's file with its per-line report. axe
finds no serious or critical violation on these pages."""
import pytest
import requests

from tests.browser.conftest import scenario
from tests.browser.test_desk import serious_violations
from tests.conftest import AXE_RESULTS, CATALOGUE, dossier_body, local_today, token, wait_for

pytestmark = pytest.mark.e2e
OFFICE = {"code": "BD-TINH", "name": "Bưu điện tỉnh", "address": "01 Lê Duẩn, phường Long Xuyên",
          "receiving_unit": "000.00.41.H33"}
DELEGATING = "skhcn"
PROCEDURE = CATALOGUE["procedures"]["1.003701"]  # skhcn's, free, received and returned by post
CLERK = token("postal_clerk", post_office=OFFICE["code"], subject="buudien.lan")
SCENARIOS = "tests.browser.clerk_scenarios"


def call(stack, method, service, path, bearer, **kwargs):
    return requests.request(method, stack.url(service, path), timeout=30,
                            headers={"Authorization": f"Bearer {bearer}"}, **kwargs)


@pytest.fixture(scope="module")
def office(stack):
    """The provincial post office, delegated reception by skhcn from today."""
    manager = token("manager")
    created = call(stack, "POST", "postal", "/api/v1/post-offices", manager, json=OFFICE)
    assert created.status_code == 201, created.text

    def delegated():  # postal asks intake for the department by RPC: 503 until it answers
        answer = call(stack, "POST", "postal", "/api/v1/delegations", manager, json={
            "department": DELEGATING, "post_office": OFFICE["code"],
            "valid_from": local_today().isoformat()})
        assert answer.status_code in (201, 503), answer.text
        return answer.status_code == 201
    wait_for(delegated, timeout=90, interval=1)
    return OFFICE


def checked_axe(found):
    AXE_RESULTS.update(found["axe"])
    assert not serious_violations(found["axe"]), serious_violations(found["axe"])


def test_a_clerk_without_the_delegation_is_told_which_delegation_is_missing(desk, office):
    found = scenario("without_delegation", desk, module=SCENARIOS)
    assert found["home"].endswith("/post-office")
    assert "Sở Khoa học và Công nghệ (skhcn)" in found["intro"]
    assert found["offered"] == 0, "a procedure of an agency that did not delegate is not offered"
    for told in (found["search"], found["form"]):
        assert "Công an tỉnh (ca) chưa ủy quyền cho bưu điện" in told, told
        assert "Cần văn bản ủy quyền tiếp nhận hồ sơ của Công an tỉnh (ca)" in told, told
    assert found["form_status"] == 403
    checked_axe(found)


def test_a_clerk_with_the_delegation_receives_a_dossier_and_prints_its_receipt(desk, stack,
                                                                             office):
    found = scenario("receives_and_prints", desk, module=SCENARIOS)
    assert found["code"].startswith(CATALOGUE["departments"][DELEGATING]["identifier"] + "-")
    assert found["missing"] == [], "the receipt's PDF lacks these"
    assert found["drawing"] > 100, "the receipt's QR code is drawn"
    assert found["guidance_offered"] == 0, "the missing-documents slip is the center's"
    # registered by the post office (channel postal), which is its receiving unit
    receipt = call(stack, "GET", "intake", f"/api/v1/dossiers/{found['code']}/receipt", CLERK)
    assert receipt.status_code == 200 and receipt.json()["channel"] == "postal", receipt.text
    checked_axe(found)


def test_a_pickup_at_home_goes_through_its_states_with_its_charge(desk, stack, office):
    ordered = call(stack, "POST", "postal", "/api/v1/pickups", token("portal"), json={
        "post_office": OFFICE["code"], "pickup_address": "45 Hai Bà Trưng, phường Long Xuyên",
        "dossier": dossier_body(PROCEDURE)})
    assert ordered.status_code == 201, ordered.text
    found = scenario("pickup_through_its_states", desk, ordered.json()["id"], module=SCENARIOS)
    assert found["states"][0] == "Chờ thu gom"
    assert found["states"][1] == "Đã thu gom, chờ bàn giao"
    assert found["states"][2] == f"Đã bàn giao Trung tâm: {found['code']}"
    assert "45 Hai Bà Trưng" in found["requested_row"] and "30.000 đ" in found["requested_row"]
    assert f"Đã bàn giao và đăng ký hồ sơ {found['code']}" in found["notice"]
    assert found["receipt_missing"] == []
    checked_axe(found)


def shipment_of_a_result_by_post(stack):
    """A dossier the post office received with its result to go back by post, decided by the
    department: postal's shipment of its result."""
    body = dossier_body(PROCEDURE, result_delivery="post",
                        delivery_address="12 Trần Phú, phường Long Xuyên, An Giang")
    received = call(stack, "POST", "postal", "/api/v1/receptions", CLERK, json=body)
    assert received.status_code == 201, received.text
    code = received.json()["code"]
    officer = token("department_officer", department=DELEGATING)
    wait_for(lambda: call(stack, "GET", "routing", f"/api/v1/inbox/{code}",
                          officer).status_code == 200, timeout=30)
    for action, extra in (("accept", {}), ("complete", {"result_reference": "15/GCN-SKHCN"})):
        answer = call(stack, "POST", "routing", f"/api/v1/dossiers/{code}/actions/{action}",
                      officer, json=extra)
        assert answer.status_code == 200, answer.text

    def shipment():
        listed = call(stack, "GET", "postal", "/api/v1/shipments", CLERK).json()["shipments"]
        return next((s for s in listed if s["dossier_code"] == code), None)
    return wait_for(shipment, timeout=30)["tracking_number"]


def test_a_tracking_file_upload_shows_its_per_line_report(desk, stack, office):
    tracking_number = shipment_of_a_result_by_post(stack)
    found = scenario("tracking_by_hand_and_by_file", desk, tracking_number, module=SCENARIOS)
    assert found["listed"] == 1
    assert "Lý do" in found["refused"] and "bắt buộc" in found["refused"]
    assert found["by_hand"]["notice"] == "Đã ghi sự kiện."
    assert found["by_hand"]["status"] == "Bưu điện đã nhận"
    assert "Bưu điện đã nhận bưu gửi" in found["by_hand"]["history"]
    assert "5 dòng: 2 đã cập nhật, 1 trùng (không thay đổi), 2 bị từ chối" in found["summary"]
    rows = {int(line[0]): line[1:] for line in found["lines"]}
    assert [rows[n][1] for n in sorted(rows)] == [
        "Đã cập nhật", "Đã cập nhật", "Trùng, không thay đổi", "Bị từ chối", "Bị từ chối"]
    assert rows[1][0] == tracking_number
    assert "Số hiệu bưu gửi" in rows[4][2], "the refused line says why"
    assert "Sự kiện" in rows[5][2]
    assert found["status"] == "Đã phát thành công"
    checked_axe(found)
