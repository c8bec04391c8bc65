"""The printed forms of one demo dossier, as PDF examples in docs/forms/ (Circular
03/2025/TT-VPCP: Mẫu 01 to Mẫu 07 and the transfer slip), printed by headless Chromium.

    python -m scripts.forms_examples [--out docs/forms]

starts intake and routing with their relays on a database and RabbitMQ virtual host of their
own (`motcua_forms_examples`, the database created afresh; MOTCUA_FORMS_DB and
MOTCUA_FORMS_AMQP change them), on DESIGN.md's ports plus --port-offset (1400), plays one
day at a counter of the Department of Justice through the services' HTTP APIs only
(`issue_every_form`, which tests/forms plays too), and prints every form's page to PDF with
Debian's Chromium (CHROMIUM, default /usr/bin/chromium) through Playwright."""
import argparse
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import requests

from services.common.auth import issue_token
from services.common.calendar import load_calendar

ROOT = Path(__file__).resolve().parent.parent
PROCEDURE = "1.001756"  # Thành lập Văn phòng công chứng (Sở Tư pháp), 20 working days
DEPARTMENT = "stp"
COUNTER = "canbo.stp.01"
OFFICER = "chuyenvien.stp.02"
LEADER = "lanhdao.stp"
APPLICANT = {"full_name": "Trần Thị Bích Ngọc", "citizen_id": "079190001234",
             "phone": "0912345678", "email": "ngoc.tran@example.vn",
             "address": "25 Nguyễn Huệ, phường Long Xuyên, tỉnh An Giang"}
# who a slip given instead of a receipt is for: the contacts, not the citizen ID
SLIP_APPLICANT = {key: value for key, value in APPLICANT.items() if key != "citizen_id"}
DOCUMENTS = [{"key": "don_de_nghi"},
             {"key": "de_an_thanh_lap", "copies": 2},
             {"key": "qd_bo_nhiem_ccv", "form": "certified_copy"},
             {"key": "giay_to_tru_so", "form": "copy"}]
MISSING = {"name": "Bản sao có chứng thực quyết định bổ nhiệm công chứng viên",
           "note": "Bản đã nộp không có chứng thực"}
# file name in docs/forms -> the form
FORMS = {
    "mau-01-giay-tiep-nhan": "receipt",
    "phieu-chuyen-xu-ly": "transfer_slip",
    "mau-02-huong-dan-tai-quay": "guidance",
    "mau-02-yeu-cau-bo-sung": "supplement_request",
    "mau-03-tu-choi-tiep-nhan": "counter_refusal",
    "mau-03-tu-choi-giai-quyet": "refusal",
    "mau-04-gia-han-xin-loi": "extension",
    "mau-05-dung-giai-quyet": "stop_notice",
    "mau-06-phieu-kiem-soat": "control_slip",
    "mau-07-so-theo-doi": "register",
}


@dataclass
class Services:
    """Where intake and routing answer, and how to sign a token for them."""
    intake: str
    routing: str
    token_secret: str

    def headers(self, role, subject, **scope):
        token = issue_token(self.token_secret, role, subject=subject, **scope)
        return {"Authorization": f"Bearer {token}"}


class Desk:
    """The counter, the department and the manager, through the HTTP APIs."""

    def __init__(self, services):
        self.services = services
        self.http = requests.Session()

    def counter(self):
        return self.services.headers("counter_officer", COUNTER, department=DEPARTMENT)

    def call(self, method, service, path, headers=None, expect=200, **kwargs):
        base = getattr(self.services, service)
        response = self.http.request(method, base + path, headers=headers, timeout=15, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path}: HTTP {response.status_code} {response.text}")
        return response

    def act(self, code, action, role, subject, **body):
        headers = self.services.headers(role, subject, department=DEPARTMENT)
        return self.call("POST", "routing", f"/api/v1/dossiers/{code}/actions/{action}",
                         headers, json=body).json()

    def receive(self, documents=DOCUMENTS):
        return self.call("POST", "intake", "/api/v1/dossiers", self.counter(), 201, json={
            "procedure_code": PROCEDURE, "applicant": APPLICANT, "documents": documents}).json()

    def routed(self, dossier, timeout=30):
        """Waits until routing has the dossier (intake's event reached it)."""
        deadline = time.monotonic() + timeout
        path = f"/api/v1/dossiers/{dossier['code']}"
        while self.http.get(self.services.routing + path, timeout=15,
                            params={"secret": dossier["lookup_secret"]}).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"routing did not get {dossier['code']} in {timeout}s")
            time.sleep(0.2)

    def page(self, service, path, headers=None, **params):
        return self.call("GET", service, path, headers, params={"format": "html", **params}).text


def issue_every_form(services):
    """One demo day at the counter of the Department of Justice, each form issued as the law
    has it; {form: (HTML page, what it is about)}: the dossier's code, the slip's number."""
    desk = Desk(services)
    manager = services.headers("manager", "quanly")
    pages = {}
    # an incomplete dossier: the guidance (Mẫu 02), recorded, instead of a receipt
    guidance = desk.call("POST", "intake", "/api/v1/guidance", desk.counter(), 201, json={
        "procedure_code": PROCEDURE, "applicant": SLIP_APPLICANT, "documents": DOCUMENTS[:2],
        "missing": [MISSING], "reason": "Hồ sơ chưa đủ thành phần theo quy định"}).json()
    pages["guidance"] = (desk.page("intake", f"/api/v1/guidance/{guidance['id']}",
                                   desk.counter()), guidance["number"])
    refused = desk.call("POST", "intake", "/api/v1/refusals", desk.counter(), 201, json={
        "procedure_code": PROCEDURE, "applicant": SLIP_APPLICANT,
        "reason": "Trụ sở đề nghị đã được đăng ký cho một văn phòng công chứng khác"}).json()
    pages["counter_refusal"] = (desk.page("intake", f"/api/v1/refusals/{refused['id']}",
                                          desk.counter()), refused["number"])
    # the demo dossier, and two more: one refused during processing, one stopped
    dossier, to_refuse, to_stop = desk.receive(), desk.receive(), desk.receive()
    code = dossier["code"]
    pages["receipt"] = (desk.page("intake", f"/api/v1/dossiers/{code}/receipt", desk.counter()),
                        code)
    pages["transfer_slip"] = (desk.page("intake", f"/api/v1/dossiers/{code}/transfer-slip",
                                        desk.counter()), code)
    for each in (dossier, to_refuse, to_stop):
        desk.routed(each)
    desk.act(code, "accept", "department_officer", OFFICER)
    desk.act(code, "request_supplement", "department_officer", OFFICER, reason=MISSING["note"],
             documents=[MISSING])
    desk.act(code, "resubmit", "counter_officer", COUNTER, note="Đã nộp bản sao có chứng thực")
    resubmitted = desk.act(code, "assign_officer", "leader", LEADER, officer=OFFICER,
                           note="Thẩm định hồ sơ")
    new_due = load_calendar().next_working_day(
        date.fromisoformat(resubmitted["due_date"]) + timedelta(days=5))
    desk.act(code, "request_extension", "leader", LEADER, new_due_date=new_due.isoformat(),
             reason="Cần xác minh thực tế trụ sở văn phòng công chứng")
    desk.act(code, "propose", "department_officer", OFFICER, result_reference="125/QĐ-STP",
             note="Đủ điều kiện thành lập")
    desk.act(code, "approve", "leader", LEADER, note="Đồng ý")
    desk.act(code, "return", "counter_officer", COUNTER, method="counter")
    desk.act(to_refuse["code"], "refuse", "department_officer", OFFICER,
             reason="Người đề nghị không đủ điều kiện thành lập văn phòng công chứng")
    desk.call("POST", "routing", f"/api/v1/dossiers/{to_stop['code']}/withdrawal", json={
        "secret": to_stop["lookup_secret"], "reason": "Không còn nhu cầu"})
    forms = {"supplement_request": dossier, "extension": dossier, "refusal": to_refuse,
             "stop_notice": to_stop, "control_slip": dossier}
    for form, which in forms.items():
        pages[form] = (desk.page("routing", f"/api/v1/dossiers/{which['code']}/forms/{form}",
                                 manager), which["code"])
    pages["register"] = (desk.page("intake", "/api/v1/register", manager), code)
    return pages


def print_pdfs(pages, out, chromium):
    """Each page printed to `out`/<file>.pdf by headless Chromium."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    names = {form: name for name, form in FORMS.items()}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        for form, (html, _) in pages.items():
            page.set_content(html, wait_until="load")
            (out / f"{names[form]}.pdf").write_bytes(page.pdf(prefer_css_page_size=True))
        browser.close()


def ensure_vhost(amqp_uri, api="http://127.0.0.1:15672/api"):
    """The virtual host of `amqp_uri`, created through RabbitMQ's management API when missing
    (what an earlier run left in its queues does not change the forms)."""
    parts = urlsplit(amqp_uri)
    vhost, auth = quote(unquote(parts.path.lstrip("/")), safe=""), (parts.username,
                                                                    parts.password)
    if requests.get(f"{api}/vhosts/{vhost}", auth=auth, timeout=10).status_code == 200:
        return
    requests.put(f"{api}/vhosts/{vhost}", auth=auth, timeout=30).raise_for_status()
    requests.put(f"{api}/permissions/{vhost}/{parts.username}", auth=auth,
                 json={"configure": ".*", "write": ".*", "read": ".*"},
                 timeout=30).raise_for_status()


def run_stack(db_url, amqp_uri, port_offset):
    """intake and routing with their relays, on a fresh database: (stack, Services)."""
    from scripts.stack import Stack, ensure_database

    ensure_database(db_url, fresh=True)
    ensure_vhost(amqp_uri)
    token_secret = secrets.token_urlsafe(32)
    stack = Stack(db_url, amqp_uri, token_secret, tempfile.mkdtemp(prefix="motcua-forms-"),
                  port_offset=port_offset)
    stack.prepare()
    stack.start(["intake", "routing", "intake_relay", "routing_relay"])
    return stack, Services(stack.url("intake"), stack.url("routing"), token_secret)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "forms")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--port-offset", type=int, default=1400)
    args = parser.parse_args(argv)
    db_url = os.environ.get("MOTCUA_FORMS_DB",
                            "postgresql://postgres@127.0.0.1:5432/motcua_forms_examples")
    amqp_uri = os.environ.get("MOTCUA_FORMS_AMQP",
                              "amqp://guest:guest@127.0.0.1:5672/motcua_forms_examples")
    stack, services = run_stack(db_url, amqp_uri, args.port_offset)
    try:
        pages = issue_every_form(services)
    finally:
        stack.stop()
    print_pdfs(pages, args.out, args.chromium)
    for name in sorted(FORMS):
        print(args.out / f"{name}.pdf")


if __name__ == "__main__":
    sys.exit(main())
