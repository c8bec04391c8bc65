"""What `make demo` shows of the National Public Service Portal link: online dossiers
arrive from the (fake) DVCQG, are handed to intake once and acknowledged to the portal,
formally received by an officer, and every dossier and step goes back to the portal; one
of them has a fee, paid through the portal's payment platform; at the end, the share of
dossiers the portal shows as they stand."""
import time
import uuid

import psycopg2
import psycopg2.extras
import requests

from scripts.dvcqg import PAY_PARTNER, PAY_SECRET
from services.common.auth import issue_token
from services.common.money import vnd

TIMEOUT = 30
PROCEDURE = "1.001665"  # Đăng ký hoạt động Văn phòng công chứng: stp, online
FEE_PROCEDURE = "1.001432"  # Cấp thẻ hướng dẫn viên du lịch nội địa: svhttdl, 650.000 đ
PEOPLE = (("Nguyễn Văn Bình", "079190004321"), ("Phạm Thị Hoa", "079290005678"),
          ("Đỗ Minh Tuấn", "079190008765"))
FEE_PAYER = ("Vũ Thị Lan", "079290002468")


def payment_platform(port):
    """payment's settings for the fake DVCQG's payment platform on `port`."""
    return {"DVCQG_PAY_URL": f"http://127.0.0.1:{port}/thanhtoan",
            "DVCQG_PAY_PARTNER": PAY_PARTNER, "DVCQG_PAY_SECRET": PAY_SECRET,
            "DVCQG_PAY_UNIT": "000.00.31.H33", "DVCQG_PAY_SERVICE_CODE": "MOTCUA-DVC",
            "DVCQG_PAY_ACCOUNT": "3511.0.1234567", "DVCQG_PAY_BANK": "970415",
            "DVCQG_PAY_ACCOUNT_NAME": "Kho bạc Nhà nước tỉnh"}


def online(portal_id, name, citizen_id, procedure):
    return {"MaHoSoQG": portal_id, "MaTTHC": procedure["code"], "ChuHoSo": name,
            "SoDinhDanh": citizen_id, "SoDienThoai": "0912345678",
            "DiaChi": "12 Trần Hưng Đạo, phường Bến Thành, TP. Hồ Chí Minh", "LoaiDoiTuong": "1",
            "TaiLieuNop": [{"MaThanhPhanHoSo": d["key"]} for d in procedure["documents"]
                           if d["mandatory"]]}


def headers(token):
    return {"Authorization": f"Bearer {token}"}


def wait(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.5)
    return None


def show(stack, secret, catalogue):
    """Online dossiers from DVCQG to their reception and back: {check: ok}."""
    manager = headers(issue_token(secret, "manager", subject="lanhdao.01"))
    procedures = catalogue["procedures"]
    handed = {f"G22.DVCQG-{n:04d}": online(f"G22.DVCQG-{n:04d}", name, cid, procedures[code])
              for n, ((name, cid), code) in enumerate(
                  [*((person, PROCEDURE) for person in PEOPLE), (FEE_PAYER, FEE_PROCEDURE)],
                  start=1)}
    requests.post(f"{stack.portal_url}/_control/online", json=handed,
                  timeout=TIMEOUT).raise_for_status()
    national = stack.url("nationalportal")
    polls = [requests.post(f"{national}/api/v1/inbound/polls", headers=manager,
                           timeout=TIMEOUT).json() for _ in range(2)]
    print(f"  DVCQG lists {len(handed)} online dossiers; two polls: {polls[0]}, then {polls[1]}")
    taken = requests.get(f"{national}/api/v1/inbound", headers=manager, timeout=TIMEOUT).json()
    ours = {row["submission_id"]: row["portal_id"] for row in taken["inbound"]
            if row["portal_id"] in handed}
    acknowledged = requests.get(f"{stack.portal_url}/_control/received",
                                timeout=TIMEOUT).json()["taken"]
    print(f"  handed to intake: {len(ours)}, acknowledged to DVCQG: "
          f"{sorted(acknowledged)} (each once)")
    codes = {}
    for submission_id, portal_id in sorted(ours.items(), key=lambda item: item[1]):
        department = procedures[handed[portal_id]["MaTTHC"]]["department"]
        officer = headers(issue_token(secret, "counter_officer", department=department,
                                      subject=f"canbo.{department}.01"))
        answer = requests.post(stack.url("intake", f"/api/v1/submissions/{submission_id}/"
                                         "reception"), headers=officer, timeout=TIMEOUT)
        if answer.status_code == 201:
            codes[answer.json()["code"]] = portal_id
            print(f"  canbo.{department}.01 receives {portal_id}: code {answer.json()['code']}")

    def all_synced():
        states = [requests.get(f"{national}/api/v1/sync/dossiers/{code}", headers=manager,
                               timeout=TIMEOUT) for code in codes]
        return all(s.status_code == 200 and s.json()["state"] == "acknowledged"
                   for s in states) and states

    states = wait(all_synced) or []
    shown = requests.get(f"{stack.portal_url}/_control/received", timeout=TIMEOUT).json()
    for code, portal_id in codes.items():
        record = shown["dossiers"].get(code, {})
        rows = shown["progress"].get(code, [])
        before = [row["TrangThai"] for row in shown["statuses"].get(portal_id, [])]
        print(f"  DVCQG sets {portal_id} to {', '.join(before) or 'nothing'} under its own id "
              f"(DongBoTrangThaiHoSo), then shows {code}: TrangThaiHoSo "
              f"{record.get('TrangThaiHoSo')}, {len(rows)} progress rows")
    fee_code = next((code for code, pid in codes.items()
                     if handed[pid]["MaTTHC"] == FEE_PROCEDURE), None)
    paid = pay_through_the_portal(stack, secret, fee_code) if fee_code else False
    return {"DVCQG: online dossiers taken once, acknowledged once": sorted(acknowledged) ==
            sorted(handed) and len(ours) == len(handed),
            "DVCQG: online dossiers received and synced back": bool(states) and
            len(codes) == len(handed) and all(
                shown["dossiers"].get(code, {}).get("MaHoSoQG") == pid
                and [(row["TrangThai"], row["MaHoSoDonVi"]) for row in
                     shown["statuses"].get(pid, [])] == [("1", ""), ("2", code)]
                for code, pid in codes.items()),
            "DVCQG: a fee paid through the portal's payment platform": paid}


def pay_through_the_portal(stack, secret, code):
    """The citizen pays the dossier's fee on DVCQG's payment platform: INIT gives the URL,
    the platform's signed confirmation settles the bill once, the e-receipt is kept. True
    when all of it happened."""
    citizen = headers(issue_token(secret, "portal", subject="cong.dichvucong"))
    payment = stack.url("payment")
    bill = wait(lambda: next((b for b in requests.get(
        f"{payment}/api/v1/bills", params={"dossier_code": code}, headers=citizen,
        timeout=TIMEOUT).json().get("bills", []) if b["status"] == "open"), None))
    if bill is None:
        print(f"  {code}: no bill to pay")
        return False
    started = requests.post(f"{payment}/api/v1/bills/{bill['id']}/payments", timeout=TIMEOUT,
                            json={"channel": "online", "provider": "dvcqg"},
                            headers={**citizen, "Idempotency-Key": f"demo-{uuid.uuid4()}"})
    if started.status_code != 201:
        print(f"  {code}: the platform's INIT failed: {started.status_code} {started.text}")
        return False
    reference = started.json()["payment"]["reference"]
    print(f"  {code}: fee {vnd(bill['amount'])} to pay on DVCQG's payment platform; INIT "
          f"gave {started.json()['pay_url']}")
    confirmation = requests.post(f"{stack.portal_url}/_control/pay", timeout=TIMEOUT,
                                 json={"MaThamChieu": reference}).json()
    answers = [requests.post(f"{payment}/api/v1/gateway/dvcqg/confirm", json=confirmation,
                             timeout=TIMEOUT).json()["MaLoi"] for _ in range(2)]
    print(f"    the citizen paid; the platform's signed confirmation (MaXacThuc checked): "
          f"MaLoi {answers[0]}, sent again: MaLoi {answers[1]} (changes nothing)")
    view = wait(lambda: (lambda b: b if b["status"] == "paid" else None)(requests.get(
        f"{payment}/api/v1/bills/{bill['id']}", headers=citizen, timeout=TIMEOUT).json()))
    receipt = wait(lambda: e_receipt(stack, reference))
    if view and receipt:
        print(f"    bill {view['status']}, receipt {view['receipts'][0]['receipt_no']}; DVCQG's "
              f"e-receipt {receipt['KyHieu']} {receipt['SoBienLai']} of {vnd(int(receipt['SoTien']))}"
              f" (MaThamChieu {receipt['MaThamChieu']})")
    return answers == ["00", "02"] and bool(view) and bool(receipt)


def e_receipt(stack, reference):
    """The platform's e-receipt (GET_BILL) payment kept beside the payment."""
    with psycopg2.connect(stack.env["DB_URL"]) as conn, \
            conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute("SELECT portal_receipt FROM payment.payments WHERE reference = %s",
                    (reference,))
        row = cur.fetchone()
    conn.close()
    return row and row["portal_receipt"]


def share_synced(stack, secret):
    """The share synced at the end of the day (every change acknowledged), waited for."""
    manager = headers(issue_token(secret, "manager", subject="lanhdao.01"))
    url = stack.url("nationalportal", "/api/v1/sync")

    def settled():
        view = requests.get(url, headers=manager, timeout=TIMEOUT).json()
        return view if view["synced_share"] == 1.0 else None

    view = wait(settled, timeout=90) or requests.get(url, headers=manager,
                                                     timeout=TIMEOUT).json()
    print(f"  {view['by_state']['acknowledged']} of {view['dossiers']} dossiers shown on "
          f"DVCQG as they stand: share synced {view['synced_share']:.1%}, lag "
          f"{view['lag_seconds']} s; steps {view['steps']}")
    return {"DVCQG: every dossier and step synced": view["synced_share"] == 1.0}
