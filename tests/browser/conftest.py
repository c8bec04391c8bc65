"""The desk in a real headless Chromium (tests/chromium.py): the Procfile's processes on a
database and RabbitMQ virtual host of their own (scripts/stack.py) with the demo's accounts,
and Chromium driven by Playwright from a process of its own (scenarios.py): Playwright's sync
API stalls inside this eventlet-patched test process."""
import json
import os
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
import requests

from scripts.desk_accounts import add_demo_accounts
from scripts.stack import ROOT
from tests.conftest import running_stack, token, wait_for

# One virtual host kept from run to run (its queues emptied first): creating one takes a busy
# broker a minute or more. MOTCUA_BROWSER_VHOST gives runs sharing the broker one each.
VHOST = os.environ.get("MOTCUA_BROWSER_VHOST", "motcua_desk_browser")


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory):
    uri = request.config.getoption("RABBIT_AMQP_URI").rstrip("/")
    api = request.config.getoption("RABBIT_API_URI").rstrip("/")
    management(api, "PUT", f"/api/vhosts/{VHOST}")
    management(api, "PUT", f"/api/permissions/{VHOST}/guest",
               json={"configure": ".*", "write": ".*", "read": ".*"})
    for queue in requests.get(f"{api}/api/queues/{VHOST}", timeout=60).json():
        management(api, "DELETE", f"/api/queues/{VHOST}/{quote(queue['name'], safe='')}")
    with running_stack("browser", f"{uri}/{VHOST}", tmp_path_factory.mktemp("logs")) as up:
        add_demo_accounts(up)
        yield up


def management(api, method, path, **kwargs):
    """A call to RabbitMQ's management API, tried again while it is busy (creating a
    virtual host takes tens of seconds while other test runs load the broker)."""
    for attempt in range(5):
        try:
            answer = requests.request(method, api + path, timeout=120, **kwargs)
            if not (method == "DELETE" and answer.status_code == 404):
                answer.raise_for_status()
            return
        except requests.RequestException:
            if attempt == 4:
                raise
            time.sleep(1)


@pytest.fixture
def desk(stack):
    return stack.url("desk")


def scenario(name, desk, code=None, module="tests.browser.scenarios"):
    """Runs a scenario of tests/browser/scenarios.py (or of `module`) in its own process:
    what it found."""
    done = subprocess.run([sys.executable, "-m", module, name, desk,
                           *([code] if code else [])], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def receive_by_api(stack, applicant_name="Nguyễn Văn An", phone="0912345678"):
    """A dossier of the police's Phiếu lý lịch tư pháp received through intake's API, once
    routing has it."""
    body = {"procedure_code": "2.000488",
            "applicant": {"full_name": applicant_name, "citizen_id": "079190001234",
                          "phone": phone, "address": "12 Lê Lợi, phường Long Xuyên, An Giang"},
            "documents": [{"key": "to_khai"}, {"key": "giay_to_tuy_than"}]}
    counter = token("counter_officer", department="ca", center="trung_tam_tinh")
    answer = requests.post(stack.url("intake", "/api/v1/dossiers"), json=body, timeout=10,
                           headers={"Authorization": f"Bearer {counter}"})
    assert answer.status_code == 201, answer.text
    code = answer.json()["code"]
    officer = token("department_officer", department="ca")
    wait_for(lambda: requests.get(stack.url("routing", f"/api/v1/inbox/{code}"), timeout=5,
                                  headers={"Authorization": f"Bearer {officer}"}
                                  ).status_code == 200, timeout=30)
    return code
