"""The work inside a department, for `make demo` (scripts/demo.py calls `run`): the leader of
Sở Nội vụ assigns a new dossier to an officer, who finds it in their list with the working
days left and proposes the result; the leader sends the proposal back with a reason (its date
shown), the officer proposes again and the leader approves. Then the dossier's hand-overs (the
rows of Mẫu 06) and what the applicant's lookup shows of all this: a plain label, no officer.

Only HTTP, against a running stack. Routing's clock runs ahead by then (the department
simulation moved it to make dossiers late): the dates shown are routing's."""
import time
from datetime import datetime

import requests

from services.common.auth import issue_token

PROCEDURE = "1.003822"  # Thành lập hội có phạm vi hoạt động trong tỉnh (Sở Nội vụ), 30 days
DEPARTMENT = "snv"
LEADER, OFFICER = "lanhdao.snv.01", "chuyenvien.snv.03"
SENT_BACK_REASON = "Thiếu biên bản đại hội thành lập hội"
# who takes a dossier when nobody is named
TAKERS = {"leader": "lãnh đạo", "unit": "phòng chuyên môn", "one_stop_unit": "Bộ phận Một cửa"}


def run(stack, secret, catalogue, make_body, timeout=30):
    """Returns {check name: passed}; `make_body(procedure)` gives a dossier body."""
    print("\n== Work inside a department: assigned, proposed, sent back, approved "
          + "=" * 20)
    api = _Api(stack, secret)
    code, lookup_secret = api.submit(make_body(catalogue["procedures"][PROCEDURE]))
    if not api.wait_routed(code, lookup_secret, timeout):
        print(f"  {code} never reached routing")
        return {"work inside a department": False}
    steps = [
        (LEADER, "assign_officer", {"officer": OFFICER, "note": "hồ sơ thành lập hội"}),
        (OFFICER, "propose", {"result_reference": "125/QĐ-SNV"}),
        (LEADER, "send_back", {"reason": SENT_BACK_REASON}),
        (OFFICER, "propose", {"result_reference": "126/QĐ-SNV", "note": "đã bổ sung"}),
        (LEADER, "approve", {}),
    ]
    statuses, sent_back = [], None
    for who, action, body in steps:
        status = api.act(who, code, action, body)
        statuses.append(status)
        print(f"  {who:<18} {action:<15} -> {status}")
        if action == "assign_officer":
            mine = api.mine(OFFICER)[code]
            print(f"  {OFFICER} sees it in GET /api/v1/my-dossiers: due {mine['due_date']}, "
                  f"{mine['days_left']} working days left")
        if action == "send_back":
            sent_back = api.mine(OFFICER)[code]["sent_back"]
            print(f"  {OFFICER} reads why: “{sent_back['reason']}”, sent back by "
                  f"{sent_back['by']} on {_when(sent_back['at'])}")
    handovers = api.handovers(code)
    print("  its hand-overs (GET /api/v1/dossiers/<code>/handovers, the rows of Mẫu 06):")
    for row in handovers:
        taker = row["taker"]["id"] or TAKERS[row["taker"]["role"]]
        print(f"    {_when(row['at'])}  {row['step_label']:<40} {row['giver']['id']} → "
              f"{taker:<18} {row['timing_label']}")
    view = api.lookup(code, lookup_secret)
    print(f"  the applicant's lookup: {view['status_label']}; history: "
          + " · ".join(h["label"] for h in view["history"]))
    return {"work inside a department: a proposal sent back with its reason and date":
                sent_back is not None and sent_back["reason"] == SENT_BACK_REASON,
            "work inside a department: approved, every hand-over kept":
                statuses[-1] == "result_ready" and len(handovers) == len(steps),
            "work inside a department: no officer in the applicant's lookup":
                OFFICER not in str(view) and LEADER not in str(view)}


def _when(at):
    return datetime.fromisoformat(at).strftime("%d/%m/%Y %H:%M")


class _Api:
    def __init__(self, stack, secret):
        self.stack, self.secret = stack, secret

    def _headers(self, role, subject):
        token = issue_token(self.secret, role, department=DEPARTMENT, subject=subject)
        return {"Authorization": f"Bearer {token}"}

    def _as(self, subject):
        return self._headers("leader" if subject == LEADER else "department_officer", subject)

    def submit(self, body):
        response = requests.post(self.stack.url("intake", "/api/v1/dossiers"), json=body,
                                 headers=self._headers("counter_officer", "canbo.snv.01"),
                                 timeout=30)
        response.raise_for_status()
        answer = response.json()
        return answer["code"], answer["lookup_secret"]

    def lookup(self, code, lookup_secret):
        return requests.get(self.stack.url("routing", f"/api/v1/dossiers/{code}"),
                            params={"secret": lookup_secret}, timeout=10).json()

    def wait_routed(self, code, lookup_secret, timeout):
        deadline = time.monotonic() + timeout
        while "status" not in self.lookup(code, lookup_secret):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.3)
        return True

    def act(self, subject, code, action, body):
        response = requests.post(
            self.stack.url("routing", f"/api/v1/dossiers/{code}/actions/{action}"), json=body,
            headers=self._as(subject), timeout=10)
        return response.json().get("status") or f"HTTP {response.status_code} {response.text}"

    def mine(self, subject):
        response = requests.get(self.stack.url("routing", "/api/v1/my-dossiers"),
                                headers=self._as(subject), timeout=10)
        response.raise_for_status()
        return {item["code"]: item for item in response.json()["dossiers"]}

    def handovers(self, code):
        response = requests.get(self.stack.url("routing", f"/api/v1/dossiers/{code}/handovers"),
                                headers=self._as(LEADER), timeout=10)
        response.raise_for_status()
        return response.json()["handovers"]
