"""One dossier through every branch of its lifecycle, over HTTP and the department queues
only, with the whole stack running as processes: supplement (the period restarts), inter-agency
consultation, warned before its due date and extended once (Mẫu 04), result, return, evaluation;
then its history and the reports."""
import signal
from datetime import date, timedelta

import pytest
import requests

from services.common.calendar import load_calendar
from services.common.contracts import EVALUATION_ITEMS
from tests.conftest import dossier_body, drain, local_today, procedure, running_stack, token, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(rabbit_config, tmp_path):
    with running_stack("lifecycle_e2e", rabbit_config["AMQP_URI"], tmp_path / "logs",
                       DEADLINE_WATCH_SECONDS="1") as running:
        yield running


class Routing:
    def __init__(self, stack):
        self.stack = stack

    def post(self, path, body, who=None):
        headers = {"Authorization": f"Bearer {who}"} if who else {}
        return requests.post(self.stack.url("routing", path), json=body, headers=headers,
                             timeout=10)

    def act(self, code, action, who, **body):
        response = self.post(f"/api/v1/dossiers/{code}/actions/{action}", body, who)
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path, who=None, **params):
        headers = {"Authorization": f"Bearer {who}"} if who else {}
        response = requests.get(self.stack.url("routing", path), params=params,
                                headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


def taken(amqp_uri, department, event_type):
    """Waits for a message of this type on the department's queue (acking what it reads)."""
    found = []

    def arrived():
        found.extend(m for _, m in drain(amqp_uri, f"department.{department}", 0.2)
                     if m["type"] == event_type)
        return found

    return wait_for(arrived, timeout=30)


def test_one_dossier_through_every_branch(stack, rabbit_config):
    amqp = rabbit_config["AMQP_URI"]
    routing = Routing(stack)
    lead = token("department_officer", department="sxd", subject="chuyenvien.sxd.01")
    counter = token("counter_officer", department="sxd", subject="motcua.sxd.01")
    proc = procedure(department="sxd", cooperating=True)
    submitted = requests.post(stack.url("intake", "/api/v1/dossiers"), timeout=10,
                              json=dossier_body(proc), headers={"Authorization": "Bearer "
                                                                + counter})
    assert submitted.status_code == 201, submitted.text
    code, secret = submitted.json()["code"], submitted.json()["lookup_secret"]
    assert taken(amqp, "sxd", "dossier.assigned")[0]["dossier_code"] == code

    routing.act(code, "accept", lead, processing_unit="Phòng Quản lý xây dựng")
    routing.act(code, "request_supplement", lead, reason="thiếu bản vẽ",
                documents=[{"name": "Bản vẽ tổng mặt bằng", "note": "tỷ lệ 1/500"}])
    asked = routing.get(f"/api/v1/dossiers/{code}", secret=secret)["asked_of_citizen"]
    assert asked["documents"][0]["name"] == "Bản vẽ tổng mặt bằng"
    resubmitted = routing.post(f"/api/v1/dossiers/{code}/resubmission", {"secret": secret})
    assert resubmitted.status_code == 200, resubmitted.text
    due = date.fromisoformat(resubmitted.json()["due_date"])
    [message] = taken(amqp, "sxd", "dossier.resubmitted")
    assert message["version"] == 2 and message["data"]["due_date"] == due.isoformat()

    routing.act(code, "consult", lead, question="Đề nghị cho ý kiến về PCCC và đất đai")
    for department in proc["cooperating"]:
        [request] = taken(amqp, department, "dossier.consultation_requested")
        officer = token("department_officer", department=department,
                        subject=f"chuyenvien.{department}.01")
        routing.act(code, "reply_consultation", officer, opinion="Thống nhất", agrees=True)
    assert routing.get(f"/api/v1/dossiers/{code}", secret=secret)["status"] == "processing"

    # time passes: routing's clock jumps to the last working day before the due date, its
    # timer warns the lead department, which asks for the one extension (Mẫu 04)
    calendar = load_calendar()
    today = due - timedelta(days=1)
    while not calendar.is_working_day(today):
        today -= timedelta(days=1)
    stack.env["ROUTING_CLOCK_SHIFT_DAYS"] = str((today - local_today()).days)
    stack.kill("routing", signal.SIGTERM)
    stack.restart("routing")
    [due_soon] = taken(amqp, "sxd", "dossier.due_soon")
    assert due_soon["data"]["extension_deadline"] == today.isoformat()
    new_due = calendar.add_working_days(due, 3)
    answer = routing.act(code, "request_extension", lead, reason="Chờ ý kiến thẩm định bổ sung",
                         new_due_date=new_due.isoformat())
    assert answer["extension"]["new_due_date"] == new_due.isoformat()
    html = requests.get(stack.url("routing", f"/api/v1/dossiers/{code}/forms/extension"),
                        params={"format": "html", "secret": secret}, timeout=10)
    assert "Chờ ý kiến thẩm định bổ sung" in html.text and f"{new_due:%d/%m/%Y}" in html.text

    routing.act(code, "complete", lead, result_reference="125/GPXD")
    routing.act(code, "return", counter, method="counter")
    evaluation = {"secret": secret, "answers": {
        **dict.fromkeys(EVALUATION_ITEMS, "satisfied"), "time": "not_satisfied",
        "attitude": "very_satisfied", "online_services": "not_applicable"}}
    assert routing.post(f"/api/v1/dossiers/{code}/evaluation", evaluation).status_code == 201
    assert routing.post(f"/api/v1/dossiers/{code}/evaluation", evaluation).status_code == 409

    view = routing.get(f"/api/v1/dossiers/{code}", secret=secret)
    assert view["status"] == "returned" and view["due_date"] == new_due.isoformat()
    steps = [(h["status"], h["label"]) for h in view["history"]]
    # the extension is a line of history that does not change the status
    assert [s for s, _ in steps] == [
        "received", "assigned", "processing", "supplement_requested", "resubmitted",
        "consulting", "consulting", "processing", "processing", "result_ready", "returned"]
    labels = [label for _, label in steps]
    for label in ("Yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02; thời hạn giải quyết tính lại "
                  "từ đầu khi nhận đủ hồ sơ)", "Gửi lấy ý kiến cơ quan phối hợp",
                  "Gia hạn thời gian giải quyết, hẹn lại ngày trả kết quả (Mẫu 04)",
                  "Đã trả kết quả cho người nộp"):
        assert label in labels

    manager = token("manager")
    received_month = routing.get("/api/v1/reports/monthly", manager,
                                 month=f"{local_today():%Y-%m}", department="sxd")["totals"]
    assert received_month["received_by_channel"]["counter"] == 1
    # decided before its legal due date: on time, whatever the extension said
    result_month = routing.get("/api/v1/reports/monthly", manager, month=f"{today:%Y-%m}",
                               department="sxd")["totals"]
    assert (result_month["resolved_late"], result_month["resolved_on_time"],
            result_month["returned"]) == (0, 1, 1)
