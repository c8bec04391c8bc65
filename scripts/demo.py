"""`make demo`: a day at the Trung tâm Phục vụ hành chính công, end to end.

Starts the whole stack on its own database and RabbitMQ virtual host (both `motcua_demo`,
or MOTCUA_DEMO_NAME, recreated on every run; its ports MOTCUA_DEMO_PORT_OFFSET above
DESIGN.md's, to run beside another stack), submits about 120 dossiers the way a day at the center brings them
(counter officers of the departments, citizens on the online portal, whose dossiers a
counter officer formally receives), shows two refused submissions, an idempotent replay and
one online dossier from the portal to its formal reception with its dates, then takes every
dossier off its department's queue and prints what arrived where; the citizens' receipts by
SMS and email (notify), fees paid by cash, card and online with the day's reconciliation
(payment), one online dossier's fee paid through the portal's payment platform (the fake
DVCQG's) with its e-receipt, the departments' work with supplements, consultations, closures, an extension and
late dossiers ending in the monthly report (routing), the post office receiving, collecting
and delivering (postal), and the center's everyday mistakes answered plainly (a mistyped
lookup secret, a statement saved with bare CR line ends, a wrong signature from the gateway).
Once the stack has stopped it checks that the services' logs hold no ERROR line and looks for
lookup secrets on every queue and stream. Exit code 0 only if every step behaved. It creates
the desk's demo accounts (scripts/desk_accounts.py) and prints the desk's address and logins;
with KEEP=1 (`make demo KEEP=1`) the stack stays up until Ctrl-C, to open the desk.

    python -m scripts.demo        (from the repository root; RabbitMQ and PostgreSQL running)
"""
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import unicodedata
import uuid
import warnings
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pika
import psycopg2
import requests

# nameko (imported through services.*) announces deprecations that are noise here.
warnings.filterwarnings("ignore", message=".*pkg_resources.*")
warnings.filterwarnings("ignore", message="(?s).*Eventlet is deprecated")

from scripts import (  # noqa: E402,E501
    agency_work_demo,
    docstore_demo,
    everyday_mistakes,
    law_periods_demo,
    online_reception,
    portal_demo,
    postal_demo,
)
from scripts.department_simulation import Desk, run_department_work  # noqa: E402
from scripts.desk_accounts import ACCOUNTS as DESK_ACCOUNTS  # noqa: E402
from scripts.desk_accounts import DEMO_PASSWORD, add_demo_accounts  # noqa: E402
from scripts.payment_demo import pay_in_cash, show_payments  # noqa: E402
from scripts.stack import (  # noqa: E402
    CATALOGUE,
    DVCQG_PORT,
    HTTP_PORTS,
    ROOT,
    Stack,
    ensure_database,
)
from services.common.auth import ROLE_NAMES, issue_token  # noqa: E402
from services.common.topology import department_queue_name  # noqa: E402
from services.intake.catalogue import read_catalogue  # noqa: E402
from tooling.clamav import Clamd  # noqa: E402

# The demo's database and RabbitMQ virtual host (both recreated), and how far above
# DESIGN.md's ports its processes listen: set both to run a demo beside another on the same
# servers.
NAME = os.environ.get("MOTCUA_DEMO_NAME") or "motcua_demo"
PORT_OFFSET = os.environ.get("MOTCUA_DEMO_PORT_OFFSET") or "0"
DB_URL = f"postgresql://postgres@127.0.0.1:5432/{NAME}"
AMQP_URI = f"amqp://guest:guest@127.0.0.1:5672/{NAME}"
RABBIT_API = "http://127.0.0.1:15672/api"  # fallback when rabbitmqctl is not usable
LOG_DIR = ROOT / ".run" / "demo-logs"

DOSSIERS = 120           # submitted in the day, the idempotent one included
ONLINE_SHARE = 0.4       # of dossiers whose procedure accepts online submission
POST_SHARE = 0.2         # of dossiers whose result may be sent by post
OPTIONAL_SHARE = 0.4     # chance of handing in each optional document
WINDOWS = 6              # counters and portal sessions submitting at the same time
DELIVERY_TIMEOUT = 60    # seconds to wait for every dossier on its department's queue
GATEWAY_SECRET = secrets.token_urlsafe(32)  # the demo's own online payment gateway key
SEED = 20251124          # same day every run; change it for other citizens

CHANNEL_LABELS = {"counter": "trực tiếp", "online": "trực tuyến"}
# How busy each department's counters are on an ordinary day (relative weights).
WORKLOAD = {"ca": 18, "stc": 16, "stp": 12, "sxd": 12, "snnmt": 12, "syt": 8, "sct": 8,
            "sgddt": 8, "snv": 7, "svhttdl": 5, "skhcn": 5, "bqlkkt": 5, "sdttg": 3}


# ----------------------------------------------------------------------------- citizens
SURNAMES = ["Nguyễn"] * 8 + ["Trần"] * 3 + ["Lê"] * 3 + ["Phạm"] * 2 + [
    "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
    "Trương", "Đinh", "Lâm", "Mai", "Tạ", "Châu"]
MIDDLE = {"male": ["Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Gia", "Xuân",
                   "Đình", "Anh", "Trọng", "Bảo"],
          "female": ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Mỹ", "Bảo", "Hồng", "Kim",
                     "Phương", "Diệu", "Khánh", "Thùy"]}
GIVEN = {"male": ["An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khoa",
                  "Khánh", "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Phúc", "Quang", "Sơn", "Tài",
                  "Thắng", "Thịnh", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Hoàng", "Kiên"],
         "female": ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan",
                    "Linh", "Loan", "Mai", "Ngân", "Nhung", "Oanh", "Phương", "Quyên", "Thảo",
                    "Trang", "Tuyết", "Uyên", "Vân", "Vy", "Yến", "Nhi", "Trâm"]}
# First three digits of a citizen ID: province of birth registration (Circular 59/2021/TT-BCA).
PROVINCES = ["001", "022", "027", "031", "034", "036", "038", "040", "042", "044", "046", "048",
             "049", "051", "052", "054", "056", "062", "064", "066", "066", "066", "066", "067",
             "068", "074", "075", "079", "079", "087", "089", "092"]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Quang Trung", "Phan Chu Trinh",
           "Lý Thường Kiệt", "Điện Biên Phủ", "Nguyễn Tất Thành", "Hùng Vương", "Trần Phú",
           "Lê Duẩn", "Ngô Quyền", "Phan Bội Châu", "Y Jút", "Mai Hắc Đế", "Nguyễn Văn Cừ"]
WARDS = ["phường Tân Lập", "phường Tân An", "phường Thành Công", "phường Ea Tam",
         "phường Tự An", "phường Thống Nhất", "phường Tân Thành", "phường Khánh Xuân"]
COMMUNES = ["xã Hòa Phú", "xã Ea Kao", "xã Cư Êbur", "xã Hòa Thắng", "xã Krông Ana",
            "xã Ea Tu", "xã Hòa Xuân", "xã Dray Bhăng"]
HAMLETS = ["thôn 1", "thôn 3", "thôn 5", "thôn Tân Hòa", "buôn Kô Tam", "thôn Đoàn Kết"]
OFFICES = ["Bưu điện văn hóa {w}", "Văn phòng công ty, số {n} {s}, {w}", "số {n} {s}, {w}"]


def ascii_fold(text):
    """'Nguyễn Thị Hồng Đào' -> 'nguyen thi hong dao' (for e-mail addresses)."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if not unicodedata.combining(c)).lower()


def address(rng):
    if rng.random() < 0.7:
        return f"Số {rng.randint(1, 350)} {rng.choice(STREETS)}, {rng.choice(WARDS)}"
    return f"{rng.choice(HAMLETS)}, {rng.choice(COMMUNES)}"


def citizen(rng):
    """A plausible applicant: full name with diacritics, citizen ID, phone, address."""
    sex = rng.choice(("male", "female"))
    surname, middle, given = rng.choice(SURNAMES), rng.choice(MIDDLE[sex]), rng.choice(GIVEN[sex])
    if rng.random() < 0.15:  # four-part names: Nguyễn Thị Thu Hà
        middle += " " + rng.choice([m for m in MIDDLE[sex] if m not in middle])
    born = rng.randint(1950, 2006)
    century_sex = (0 if born < 2000 else 2) + (sex == "female")
    applicant = {
        "full_name": f"{surname} {middle} {given}",
        "citizen_id": f"{rng.choice(PROVINCES)}{century_sex}{born % 100:02d}"
                      f"{rng.randint(0, 999999):06d}",
        "phone": f"{rng.choice(('09', '03'))}{rng.randint(0, 99999999):08d}",
        "address": address(rng),
    }
    if rng.random() < 0.35:
        handle = ascii_fold(f"{given}{surname}").replace(" ", "")
        applicant["email"] = f"{handle}{born % 100:02d}@gmail.com"
    return applicant


# ----------------------------------------------------------------------------- the day's plan
def dossier_body(rng, procedure, agency=None):
    """All mandatory documents, sometimes the optional ones, sometimes the result by post; a
    commune-level procedure's dossier names its `agency`."""
    documents = [{"key": d["key"], "copies": d["copies"]} for d in procedure["documents"]
                 if d["mandatory"] or rng.random() < OPTIONAL_SHARE]
    body = {"procedure_code": procedure["code"], "applicant": citizen(rng), "documents": documents}
    if not procedure["department"]:
        body["agency"] = agency
    if procedure["postal_return"] and rng.random() < POST_SHARE:
        body["result_delivery"] = "post"
        body["delivery_address"] = rng.choice([body["applicant"]["address"], address(rng)])
    return body


def plan_day(catalogue, rng):
    """(channel, department, body) for every dossier: each department at least once, then
    as busy as its WORKLOAD says; online when the procedure allows it and the citizen likes."""
    by_department = defaultdict(list)
    for procedure in catalogue["procedures"].values():
        # a commune-level procedure is decided by the commune agency its dossier names
        for agency in procedure["competent_agencies"] or [procedure["department"]]:
            by_department[agency].append(procedure)
    departments = sorted(by_department)
    weights = [WORKLOAD.get(d, 2) for d in departments]
    picks = departments + rng.choices(departments, weights, k=DOSSIERS - 1 - len(departments))
    plan = []
    for department in picks:
        procedure = rng.choice(by_department[department])
        online = "online" in procedure["channels"] and (
            rng.random() < ONLINE_SHARE or "counter" not in procedure["channels"])
        channel = "online" if online else "counter"
        plan.append((channel, department, dossier_body(rng, procedure, department)))
    rng.shuffle(plan)  # citizens do not queue by department
    return plan


# ----------------------------------------------------------------------------- infrastructure
def fresh_vhost():
    """Delete and recreate the demo's virtual host: rabbitmqctl, else the management API."""
    commands = [["rabbitmqctl", "delete_vhost", NAME], ["rabbitmqctl", "add_vhost", NAME],
                ["rabbitmqctl", "set_permissions", "-p", NAME, "guest", ".*", ".*", ".*"]]
    if shutil.which("rabbitmqctl"):
        results = [subprocess.run(c, capture_output=True, text=True) for c in commands]
        if all(r.returncode == 0 for r in results[1:]):
            return
        print(f"rabbitmqctl failed: {results[-1].stderr.strip() or results[1].stderr.strip()}")
    else:
        print("rabbitmqctl is not on PATH (it comes with RabbitMQ and usually needs root)")
    print(f"trying the RabbitMQ management API at {RABBIT_API} instead")
    try:
        auth, vhost = ("guest", "guest"), f"{RABBIT_API}/vhosts/{NAME}"
        requests.delete(vhost, auth=auth, timeout=10)
        requests.put(vhost, auth=auth, timeout=10).raise_for_status()
        requests.put(f"{RABBIT_API}/permissions/{NAME}/guest", auth=auth, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    except requests.RequestException as exc:
        sys.exit(f"cannot create the RabbitMQ virtual host {NAME} ({exc}). Create it by hand:\n"
                 + "\n".join("  sudo " + " ".join(c) for c in commands))


def port_in_use(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def check_settings():
    """MOTCUA_DEMO_NAME and MOTCUA_DEMO_PORT_OFFSET as given: (name, offset), or exits
    naming what is wrong."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", NAME):
        sys.exit(f"MOTCUA_DEMO_NAME {NAME!r}: use lower-case letters, digits and _, starting "
                 "with a letter (it names a database and a virtual host)")
    if not PORT_OFFSET.isdigit() or int(PORT_OFFSET) > 40000:
        sys.exit(f"MOTCUA_DEMO_PORT_OFFSET {PORT_OFFSET!r}: a whole number from 0 to 40000")
    return NAME, int(PORT_OFFSET)


def check_ports_free(offset, wait=10):
    """The services' and the fake portal's ports must be free (a previous run may still be
    shutting down)."""
    deadline = time.monotonic() + wait
    for service, port in {**HTTP_PORTS, "dvcqg": DVCQG_PORT}.items():
        port += offset
        while port_in_use(port):
            if time.monotonic() > deadline:
                sys.exit(f"port {port} ({service}) is already in use: is the stack already "
                         "running (`motcua run`)? Stop it and run the demo again.")
            time.sleep(0.5)


def fresh_logs():
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for log in LOG_DIR.glob("*.log"):
        log.unlink()


# ----------------------------------------------------------------------------- HTTP calls
def submit(stack, token, body, key=None):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    response = requests.post(stack.url("intake", "/api/v1/dossiers"), json=body,
                             headers=headers, timeout=30)
    return response.status_code, response.json()


def submit_day(stack, tokens, plan):
    """Submit the plan from several windows at once; returns (accepted, refused)."""
    def one(item):
        channel, department, body = item
        if channel == "online":  # the portal's, then the agency's formal reception
            return item, *online_reception.submit_and_receive(stack, tokens["portal"],
                                                              tokens[department], body)
        return item, *submit(stack, tokens[department], body)

    accepted, refused = [], []
    with ThreadPoolExecutor(WINDOWS) as pool:
        for (channel, _, body), status, answer in pool.map(one, plan):
            if status == 201:
                accepted.append({**answer, "body": body})
            else:
                refused.append((channel, body["procedure_code"], status, answer))
    return accepted, refused


def error_text(answer):
    error = answer.get("error", answer)
    lines = [f"{error.get('code')}: {error.get('message')}"]
    for field, problems in (error.get("fields") or {}).items():
        lines += [f"    {field}: {p}" for p in problems]
    return "\n    ".join(lines)


def show_refusals(stack, catalogue, tokens, rng):
    """Two submissions the center must refuse; True if both were refused as expected."""
    procedures = catalogue["procedures"]
    notary = procedures["1.001756"]  # Thành lập Văn phòng công chứng (Sở Tư pháp)
    body = dossier_body(rng, notary)
    left_out = next(d["key"] for d in notary["documents"] if d["mandatory"])
    body["documents"] = [d for d in body["documents"] if d["key"] != left_out]
    status, answer = submit(stack, tokens["stp"], body)
    print(f"\n1) canbo.stp.01 submits {notary['code']} without '{left_out}' -> HTTP {status}")
    print(f"    {error_text(answer)}")
    ok = status == 422 and left_out in json.dumps(answer)

    record = procedures["2.000488"]  # Cấp Phiếu lý lịch tư pháp (Công an tỉnh)
    status, answer = submit(stack, tokens["stp"], dossier_body(rng, record))
    print(f"2) canbo.stp.01 submits {record['code']} of department ca -> HTTP {status}")
    print(f"    {error_text(answer)}")
    return ok and status == 403


def show_replay(stack, catalogue, tokens, rng):
    """The portal resends a dossier after a timeout: the second answer is the first one."""
    procedure = catalogue["procedures"]["1.002809"]
    body = dossier_body(rng, procedure)
    key = f"portal-{uuid.uuid4()}"
    first_status, first = online_reception.submit(stack, tokens["portal"], body, key)
    again_status, again = online_reception.submit(stack, tokens["portal"], body, key)
    print(f"\n3) portal sends {body['procedure_code']} twice with Idempotency-Key {key[:15]}…")
    print(f"    first  -> HTTP {first_status}, submission {first.get('id')}")
    print(f"    replay -> HTTP {again_status}, submission {again.get('id')}")
    ok = first_status == 201 and again_status == 200 and first.get("id") == again.get("id")
    if not ok:
        return None, False
    status, dossier = online_reception.receive(stack, tokens[procedure["department"]], first["id"])
    return ({**dossier, "body": body} if status == 201 else None), status == 201


# ----------------------------------------------------------------------------- department queues
def collect_deliveries(expected, timeout=DELIVERY_TIMEOUT):
    """Take messages off the department queues until every expected dossier code has
    arrived or the time is up; returns {code: queue's department}."""
    departments = sorted({d["department"] for d in expected.values()})
    arrived = {}
    deadline = time.monotonic() + timeout
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    channel = connection.channel()
    try:
        while set(expected) - set(arrived) and time.monotonic() < deadline:
            taken = 0
            for department in departments:
                while True:
                    method, _, body = channel.basic_get(department_queue_name(department))
                    if method is None:
                        break
                    arrived[json.loads(body)["dossier_code"]] = department
                    channel.basic_ack(method.delivery_tag)
                    taken += 1
            if not taken:
                time.sleep(0.25)
    finally:
        connection.close()
    return arrived


# ----------------------------------------------------------------------------- printing
def table(headers, rows, align=None):
    """A plain-text table; `align` is one of '<' '>' per column."""
    rows = [[str(c) for c in row] for row in rows]
    align = align or ["<"] * len(headers)
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    fmt = "  ".join(f"{{:{a}{w}}}" for a, w in zip(align, widths, strict=True))
    for text in (fmt.format(*headers), line, *(fmt.format(*r) for r in rows)):
        print(text.rstrip())


def vn_date(iso):
    return date.fromisoformat(iso[:10]).strftime("%d/%m/%Y")


def short(text, width=58):
    return text if len(text) <= width else text[:width - 1] + "…"


def heading(title):
    print(f"\n== {title} " + "=" * max(0, 86 - len(title)))


def print_channels(accepted):
    heading("Received by channel")
    counts = Counter(d["channel"] for d in accepted)
    by_post = Counter(d["channel"] for d in accepted if d["body"].get("result_delivery") == "post")
    rows = [[CHANNEL_LABELS[c], counts[c], by_post[c]] for c in ("counter", "online")]
    rows.append(["total", len(accepted), sum(by_post.values())])
    table(["channel", "dossiers", "result by post"], rows, ["<", ">", ">"])


def print_departments(accepted, arrived, catalogue):
    heading("Received by department (lead department's queue department.<code>)")
    groups = defaultdict(list)
    for dossier in accepted:
        groups[dossier["department"]].append(dossier)
    rows = []
    for code in sorted(groups, key=lambda c: -len(groups[c])):
        dossiers = groups[code]
        dues = sorted(d["due_at"] for d in dossiers)
        rows.append([code, catalogue["departments"][code]["name"], len(dossiers),
                     sum(d["channel"] == "counter" for d in dossiers),
                     sum(d["channel"] == "online" for d in dossiers),
                     vn_date(dues[0]), vn_date(dues[-1]),
                     sum(arrived.get(d["code"]) == code for d in dossiers)])
    table(["code", "department", "total", "counter", "online", "earliest due", "latest due",
           "on queue"], rows, ["<", "<", ">", ">", ">", "<", "<", ">"])


def pick_samples(accepted):
    """Five different dossiers: two at the counter, two online, one with the result by post."""
    wanted = [lambda d: d["channel"] == "counter", lambda d: d["channel"] == "online"] * 2
    wanted.append(lambda d: d["body"].get("result_delivery") == "post")
    samples = []
    for want in wanted:
        found = next((d for d in accepted if want(d) and d not in samples), None)
        if found:
            samples.append(found)
    return samples


def print_receipts(stack, samples, catalogue, token):
    heading("Sample receipts (GET /api/v1/dossiers/<code>/receipt)")
    rows = []
    for dossier in samples:
        receipt = requests.get(stack.url("intake", dossier["receipt_url"]), timeout=10,
                               headers={"Authorization": f"Bearer {token}"}).json()
        procedure = catalogue["procedures"][receipt["procedure"]["code"]]
        delivery = "by post" if receipt["result_delivery"] == "post" else "at the center"
        rows.append([receipt["code"], short(f"{procedure['code']} {procedure['name']}", 50),
                     receipt["applicant"]["full_name"], vn_date(receipt["due_date"]), delivery,
                     receipt["lookup_secret"]])
    table(["code", "procedure", "applicant", "due", "result", "lookup secret"], rows)


def print_lookup(stack, dossier):
    heading("Citizen's lookup through routing")
    url = stack.url("routing", f"/api/v1/dossiers/{dossier['code']}")
    response = requests.get(url, params={"secret": dossier["lookup_secret"]}, timeout=10)
    print(f"GET {url}?secret={dossier['lookup_secret']} -> HTTP {response.status_code}")
    if response.status_code != 200:
        print(f"    {error_text(response.json())}")
        return False
    view = response.json()
    print(f"  {view['code']}  {short(view['procedure']['name'], 70)}")
    cooperating = f", cooperating {', '.join(view['cooperating'])}" if view["cooperating"] else ""
    print(f"  status: {view['status']} ({view['status_label']})")
    print(f"  lead department {view['department']}{cooperating}; channel {view['channel']}; "
          f"due {vn_date(view['due_date'])}")
    for entry in view["history"]:
        print(f"    {entry['at'][11:19]}  {entry['status']:<9} {entry['label']}"
              + (f" — {entry['note']}" if entry["note"] else ""))
    return view["status"] == "assigned"


def print_missing(accepted, arrived):
    heading("Not delivered to the department's queue")
    missing = [d for d in accepted if arrived.get(d["code"]) != d["department"]]
    if not missing:
        print(f"none: all {len(accepted)} accepted dossiers are on their department's queue")
    for dossier in missing:
        where = arrived.get(dossier["code"])
        print(f"  {dossier['code']} ({dossier['department']}): "
              + (f"arrived on department.{where} instead" if where else "never arrived"))
    return not missing


def print_next_steps(stack):
    heading("Where to look next")
    hints = [
        ("README.md", "how the system works, configuration, operations"),
        (".venv/bin/motcua --help", "migrate, load the catalogue, issue tokens, run the stack"),
        (".venv/bin/motcua run", "start the stack yourself (the demo's stack stops now)"),
        (stack.url("intake", "/api/v1/procedures"), "the procedure catalogue (intake)"),
        (stack.url("intake", "/api/v1/dossiers"), "submit a dossier (POST, bearer token)"),
        (stack.url("routing", "/api/v1/dossiers/<code>"), "citizen's lookup (?secret= or ?phone=)"),
        (stack.url("payment", "/api/v1/reconciliations/<day>"), "a day's reconciliation (manager)"),
        (stack.url("routing", "/api/v1/reports/monthly"), "the monthly report (manager)"),
        ("/health /ready /metrics /openapi.json", "on every service; relays' metrics on :9101-9105"),
        (".venv/bin/motcua dlq list", "what could not be processed, to replay after a fix"),
        (f"{LOG_DIR.relative_to(ROOT)}/", "this run's logs, one JSON line per event"),
    ]
    width = max(len(where) for where, _ in hints)
    for where, what in hints:
        print(f"  {where:<{width}}  {what}")


# ----------------------------------------------------------------------------- main
def query(sql, params=()):
    with psycopg2.connect(DB_URL) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.close()
    return rows


def print_notifications(accepted, timeout=60):
    """notify told every citizen: one receipt SMS each (email too when one was given)."""
    heading("Notifications (notify: SMS and email; the log provider stands in for the gateway)")
    codes = {d["code"] for d in accepted}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = {code for (code,) in query(
            "SELECT dossier_code FROM notify.notifications WHERE template = 'receipt'"
            " AND channel = 'sms' AND status IN ('sent', 'delivered')")}
        if codes <= sent:
            break
        time.sleep(0.5)
    rows = query("SELECT template, channel, status, count(*) FROM notify.notifications"
                 " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    table(["message", "channel", "status", "count"], rows, "<<<>")
    missing = codes - sent
    print(f"receipt SMS for {len(codes) - len(missing)} of {len(codes)} dossiers")
    return not missing


def post_body(rng, procedure, result_by_post):
    body = dossier_body(rng, procedure)
    if result_by_post:
        body["result_delivery"] = "post"
        body["delivery_address"] = body["applicant"]["address"]
    return body


def completer(stack, desk, secret, timeout=30):
    """For postal's demo: the department takes a dossier received by post and decides it; the
    citizen pays its fee, if any, so the result can go out."""
    def complete(code):
        deadline = time.monotonic() + timeout
        while not (rows := query("SELECT department FROM routing.dossiers WHERE code = %s",
                                 (code,))) and time.monotonic() < deadline:
            time.sleep(0.2)
        if rows:
            department = rows[0][0]
            desk.act(code, department, "accept")
            desk.act(code, department, "complete", result_reference=f"{code[-4:]}/KQ")
            pay_in_cash(stack.url("payment"), lambda role, **scope: issue_token(secret, role, **scope),
                        code, department, timeout=3)
    return complete


def run(stack, catalogue, secret, rng):
    tokens = {code: issue_token(secret, "counter_officer", department=code,
                                subject=f"canbo.{code}.01") for code in catalogue["departments"]}
    tokens["portal"] = issue_token(secret, "portal", subject="cong.dichvucong")

    plan = plan_day(catalogue, rng)
    started = time.monotonic()
    accepted, refused = submit_day(stack, tokens, plan)
    print(f"submitted {len(plan)} dossiers from {WINDOWS} windows in "
          f"{time.monotonic() - started:.1f} s: {len(accepted)} accepted, {len(refused)} refused")
    for channel, procedure, status, answer in refused:
        print(f"  unexpected refusal ({channel}, {procedure}) HTTP {status}: {error_text(answer)}")

    heading("Submissions the center refuses, and a replay")
    refusals_ok = show_refusals(stack, catalogue, tokens, rng)
    replayed, replay_ok = show_replay(stack, catalogue, tokens, rng)
    if replayed:
        accepted.append(replayed)
    heading("An online dossier formally received (Decree 118/2025 art. 17(2)(c))")
    online_body = dossier_body(rng, catalogue["procedures"]["1.001665"])
    received_ok, received = online_reception.show(stack, tokens["portal"], tokens["stp"],
                                                  "canbo.stp.01", online_body)
    if received:
        accepted.append({**received, "body": online_body})

    started = time.monotonic()
    expected = {d["code"]: d for d in accepted}
    arrived = collect_deliveries(expected)
    print(f"\n{len(set(arrived) & set(expected))} of {len(expected)} dossiers taken off the "
          f"department queues in {time.monotonic() - started:.1f} s")

    print_channels(accepted)
    print_departments(accepted, arrived, catalogue)
    samples = pick_samples(accepted)
    print_receipts(stack, samples, catalogue, tokens["portal"])
    # a dossier with cooperating departments shows the most in its history
    looked_up = next(
        (d for d in accepted if catalogue["procedures"][d["body"]["procedure_code"]]["cooperating"]),
        samples[0])
    lookup_ok = print_lookup(stack, looked_up)
    delivered = print_missing(accepted, arrived)
    notified = print_notifications(accepted)

    heading("Fees (payment: cash at the counter, card, online gateway; reconciliation)")
    paid = show_payments(stack.url("payment"),
                         lambda role, **scope: issue_token(secret, role, **scope),
                         [d["code"] for d in accepted], GATEWAY_SECRET)

    heading("Everyday mistakes at the center, answered plainly")
    mistakes = everyday_mistakes.show(stack, lambda role, **scope: issue_token(secret, role,
                                                                               **scope),
                                      samples[0], GATEWAY_SECRET)

    # Results to send by post are ready during the departments' work: the post office that
    # delivers them must be registered by then, as in a center's first day (postal's part
    # below finds it there).
    requests.post(stack.url("postal", "/api/v1/post-offices"), json=postal_demo.OFFICE,
                  headers={"Authorization": f"Bearer {issue_token(secret, 'manager')}"},
                  timeout=10).raise_for_status()
    law = law_periods_demo.prepare(stack, secret, lambda code: dossier_body(
        rng, catalogue["procedures"][code]))
    department_ok = run_department_work(stack, secret, accepted, rng, list(law["dossiers"]))
    law_checks = law_periods_demo.show(stack, secret, law)
    agency_checks = agency_work_demo.run(stack, secret, catalogue, lambda p: dossier_body(rng, p))

    postal_checks = postal_demo.run(
        stack.url("postal"), secret, catalogue,
        lambda procedure, by_post: post_body(rng, procedure, by_post),
        completer(stack, Desk(stack, secret), secret))
    heading("The National Public Service Portal (DVCQG): online dossiers in, every step back")
    portal_checks = portal_demo.show(stack, secret, catalogue)
    portal_checks.update(portal_demo.share_synced(stack, secret))
    docstore_checks = docstore_demo.run(stack.url("docstore"), stack.url("intake"),
                                        stack.url("routing"), secret,
                                        lambda code: dossier_body(rng, catalogue["procedures"][code]))
    print_next_steps(stack)
    return {"every accepted dossier on its queue": delivered,
            "no unexpected refusal": not refused,
            "422 and 403 as expected": refusals_ok,
            "idempotent replay": replay_ok,
            "an online dossier numbered at its formal reception": received_ok,
            "lookup": lookup_ok,
            "a receipt SMS for every dossier": notified,
            "payments by cash, card and online, reconciled": paid,
            "department work, late dossiers, monthly report": department_ok,
            **law_checks,
            **agency_checks,
            **{f"postal: {name}": ok for name, ok in postal_checks.items()},
            **{f"documents: {name}": ok for name, ok in docstore_checks.items()},
            **mistakes, **portal_checks}, [d["lookup_secret"] for d in accepted], looked_up


def print_desk(stack, looked_up):
    heading("The desk: the officers' web application and the citizens' pages")
    print(f"open {stack.url('desk')} and sign in (password {DEMO_PASSWORD} for every account):")
    for account in DESK_ACCOUNTS:
        scope = (account.get("department") or account.get("center")
                 or account.get("post_office") or "")
        print(f"  {account['username']:<18} {ROLE_NAMES[account['role']]}"
              + (f" ({scope})" if scope else "") + f", {account['full_name']}")
    [manager] = [a["username"] for a in DESK_ACCOUNTS if a["role"] == "manager"]
    print(f"the center's manager: {stack.url('desk')}/sign-in as {manager}, "
          f"password {DEMO_PASSWORD}")
    # what the receipt's QR code of this dossier opens (the secret in the fragment, which the
    # browser never sends), and the catalogue; no sign-in for either
    print(f"a citizen's lookup of {looked_up['code']}: {stack.url('desk')}/tra-cuu?"
          f"ma={looked_up['code']}#ma-tra-cuu={looked_up['lookup_secret']}")
    print(f"the procedures' catalogue: {stack.url('desk')}/thu-tuc")


def wait_for_interrupt(stack):
    print(f"\nKEEP: the stack stays up (desk {stack.url('desk')}); Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print()


def main():
    began = time.monotonic()
    catalogue = read_catalogue(CATALOGUE)
    _, offset = check_settings()
    check_ports_free(offset)
    print(f"demo: database {NAME}, RabbitMQ virtual host {NAME} (both recreated)")
    try:
        ensure_database(DB_URL, fresh=True)
    except psycopg2.OperationalError as exc:
        sys.exit(f"cannot reach PostgreSQL at {DB_URL}: {exc}")
    fresh_vhost()
    fresh_logs()
    secret = secrets.token_urlsafe(32)  # 43 characters; signs this run's bearer tokens
    # a clamd of the demo's own, with the EICAR test signature only (starts in a second)
    scanner = Clamd().start()
    stack = Stack(DB_URL, AMQP_URI, secret, log_dir=LOG_DIR, port_offset=offset, extra_env={
        "VNPAY_TMN_CODE": "MOTCUA01", "VNPAY_HASH_SECRET": GATEWAY_SECRET,
        **portal_demo.payment_platform(DVCQG_PORT + offset),
        "NOTIFY_QUIET_HOURS": "",  # the demo may run at night: nothing held till morning
        # the result SMS's evaluation link opens this run's desk
        "NOTIFY_EVALUATION_URL": f"http://127.0.0.1:{HTTP_PORTS['desk'] + offset}/danh-gia/{{code}}",
        "CLAMD_ADDRESS": scanner.address,
    })
    try:
        stack.prepare()
        print("migrated, catalogue loaded "
              f"({len(catalogue['departments'])} departments, "
              f"{len(catalogue['procedures'])} procedures); starting the stack…")
        stack.start()
        print(f"stack ready in {time.monotonic() - began:.1f} s: "
              + ", ".join(f"{name} {stack.url(name)}" for name in HTTP_PORTS)
              + f", outbox relays; logs in {LOG_DIR}")
        add_demo_accounts(stack)
        checks, lookup_secrets, looked_up = run(stack, catalogue, secret, random.Random(SEED))
        print_desk(stack, looked_up)
        if os.environ.get("KEEP") not in (None, "", "0"):
            wait_for_interrupt(stack)
    except (RuntimeError, subprocess.CalledProcessError, requests.RequestException,
            pika.exceptions.AMQPError) as exc:
        print(f"\ndemo FAILED: {type(exc).__name__}: {exc}\nsee the logs in {LOG_DIR}")
        checks = None
    finally:
        stack.stop()
        scanner.close()
    print(f"stack stopped; the demo took {time.monotonic() - began:.0f} s")
    if checks is None:
        return 1
    heading("What the day left behind: the logs and the broker")
    checks.update(everyday_mistakes.check_afterwards(LOG_DIR, AMQP_URI, RABBIT_API, NAME,
                                                     lookup_secrets))
    failed = [name for name, ok in checks.items() if not ok]
    print("\ndemo " + ("succeeded" if not failed else "FAILED: " + "; ".join(failed)))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
