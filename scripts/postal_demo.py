"""Postal's part of `make demo`, against a running stack (scripts/demo.py calls `run`).

Shows a post office set up with delegations (and the 500-dossier rule refusing a busy
department until a manager overrides), clerks receiving dossiers for delegated departments
(and a 403 for one that did not delegate), a pick-up at home, then the results going out by
post: shipments, a clerk's updates, the carrier's tracking file with a bad and a repeated
row, a failed delivery returned to the center, and the month's report.

Only HTTP: `complete(code)` is the caller's way of getting a dossier's result ready (the
department's action in routing), after which routing's `dossier.result_ready` reaches postal.
"""
import time
from datetime import datetime, timedelta

import requests

from services.common.auth import issue_token
from services.common.events import TIMEZONE

OFFICE = {"code": "BD-TINH", "name": "Bưu điện tỉnh (Bưu cục Trung tâm)",
          "address": "01 Lê Duẩn, phường Tân Lập", "receiving_unit": "000.00.41.H33"}
DELEGATED = ("sdttg", "bqlkkt", "skhcn", "svhttdl")
BUSY = "ca"  # above 500 dossiers a half-year: must station officers


def run(postal_url, secret, catalogue, make_body, complete, show=print, timeout=60):
    """Returns {check name: passed}. `make_body(procedure, result_by_post)` gives a dossier
    body; `complete(code)` makes its result ready."""
    api = _Api(postal_url, secret)
    checks = {}
    show("\n== Bưu điện: ủy quyền tiếp nhận, thu gom tại nhà, trả kết quả qua bưu chính ==")
    checks["post office and delegations"] = _set_up(api, show)
    postal_procedures = {
        dept: [p for p in catalogue["procedures"].values()
               if p["department"] == dept and "postal" in p["channels"] and p["postal_return"]]
        for dept in (*DELEGATED, BUSY)
    }
    received, refused_ok = _receive(api, postal_procedures, make_body, show)
    checks["clerk receives for delegated departments only"] = refused_ok and len(received) >= 4
    pickup = _pickup(api, postal_procedures[DELEGATED[0]][0], make_body, show)
    checks["pick-up at home registered"] = pickup is not None
    if pickup:
        received.append(pickup)
    for code in received:
        complete(code)
    shipments = _wait_for_shipments(api, received, timeout)
    show(f"{len(shipments)} of {len(received)} results handed to the post office "
         "(postal.shipment_created → payment bills the fee)")
    checks["a shipment for every result sent by post"] = len(shipments) == len(received)
    if len(shipments) >= 3:
        checks["tracking (clerk and carrier file)"] = _track(api, shipments, show)
    checks["report"] = _report(api, show)
    return checks


class _Api:
    def __init__(self, base, secret):
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.tokens = {
            "manager": issue_token(secret, "manager", subject="giamdoc.trungtam"),
            "clerk": issue_token(secret, "postal_clerk", post_office=OFFICE["code"],
                                 subject="buudien.nv01"),
            "portal": issue_token(secret, "portal", subject="cong.dichvucong"),
        }

    def call(self, method, path, who, **kwargs):
        headers = {"Authorization": f"Bearer {self.tokens[who]}", **kwargs.pop("headers", {})}
        return self.session.request(method, self.base + path, headers=headers, timeout=15,
                                    **kwargs)


def _error(response):
    try:
        return response.json()["error"]["message"]
    except (ValueError, KeyError):
        return response.text[:200]


def _set_up(api, show):
    ok = api.call("POST", "/api/v1/post-offices", "manager", json=OFFICE).status_code in (201, 409)
    today = datetime.now(TIMEZONE).date()
    last_half = today.year if today.month >= 7 else today.year - 1
    volumes = [{"department": BUSY, "month": f"{last_half}-{m:02d}", "dossiers": 610}
               for m in range(1, 7)]
    volumes += [{"department": d, "month": f"{last_half}-{m:02d}", "dossiers": 35}
                for d in DELEGATED for m in range(1, 7)]
    ok &= api.call("PUT", "/api/v1/volumes", "manager", json={"volumes": volumes}).ok
    start = today.isoformat()
    busy = api.call("POST", "/api/v1/delegations", "manager",
                    json={"department": BUSY, "post_office": OFFICE["code"], "valid_from": start})
    show(f"ủy quyền {BUSY} → {OFFICE['code']}: HTTP {busy.status_code}: {_error(busy)}")
    ok &= busy.status_code == 409
    for dept in DELEGATED:
        made = api.call("POST", "/api/v1/delegations", "manager",
                        json={"department": dept, "post_office": OFFICE["code"],
                              "valid_from": start})
        volume = made.json().get("volume", {}) if made.ok else {}
        show(f"ủy quyền {dept} → {OFFICE['code']} từ {start}: HTTP {made.status_code} "
             f"({volume.get('dossiers')} hồ sơ {volume.get('from')}…{volume.get('to')})")
        ok &= made.status_code == 201
    return bool(ok)


def _receive(api, procedures, make_body, show):
    received = []
    for dept in DELEGATED:
        proc = procedures[dept][0]
        answer = api.call("POST", "/api/v1/receptions", "clerk", json=make_body(proc, True))
        if answer.status_code == 201:
            received.append(answer.json()["code"])
            show(f"  bưu điện tiếp nhận {answer.json()['code']} ({dept}, {proc['code']})")
        else:
            show(f"  unexpected HTTP {answer.status_code} for {dept}: {_error(answer)}")
    refused = api.call("POST", "/api/v1/receptions", "clerk",
                       json=make_body(procedures[BUSY][0], True))
    show(f"  hồ sơ của {BUSY} tại bưu điện: HTTP {refused.status_code}: {_error(refused)}")
    return received, refused.status_code == 403


def _pickup(api, proc, make_body, show):
    order = api.call("POST", "/api/v1/pickups", "portal", json={
        "post_office": OFFICE["code"], "pickup_address": "27 Phan Bội Châu, phường Thành Công",
        "dossier": make_body(proc, True)})
    if order.status_code != 201:
        show(f"  pick-up order refused: HTTP {order.status_code}: {_error(order)}")
        return None
    pickup = order.json()
    api.call("POST", f"/api/v1/pickups/{pickup['id']}/collected", "clerk")
    received = api.call("POST", f"/api/v1/pickups/{pickup['id']}/received", "clerk")
    if received.status_code != 201:
        show(f"  pick-up not registered: HTTP {received.status_code}: {_error(received)}")
        return None
    code = received.json()["code"]
    show(f"  thu gom tại nhà → {code} (cước {_vnd(pickup['fee'])})")
    return code


def _wait_for_shipments(api, codes, timeout):
    deadline, found = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        listed = api.call("GET", "/api/v1/shipments?limit=1000", "manager").json()["shipments"]
        found = {s["dossier_code"]: s for s in listed if s["dossier_code"] in codes}
        if len(found) == len(codes):
            break
        time.sleep(0.5)
    return [found[c] for c in codes if c in found]


def _track(api, shipments, show):
    first, *rest = [s["tracking_number"] for s in shipments]
    ok = all(api.call("POST", f"/api/v1/shipments/{first}/events", "clerk",
                      json={"event": event}).status_code == 201
             for event in ("picked_up", "in_transit", "delivered"))
    show(f"  {first}: nhân viên bưu điện cập nhật → delivered")
    failed, *others = rest
    t0 = datetime.now(TIMEZONE)  # the carrier's events of the last minutes
    at = [(t0 + timedelta(seconds=s)).isoformat() for s in range(6)]
    lines = ["tracking_number,event,at,reason"]
    for number in others:
        lines += [f"{number},picked_up,{at[0]},", f"{number},in_transit,{at[1]},",
                  f"{number},delivered,{at[2]},"]
    lines += [f"{failed},picked_up,{at[0]},", f"{failed},in_transit,{at[1]},",
              f"{failed},delivery_failed,{at[2]},không có người nhận",
              f"{failed},delivery_failed,{at[3]},không có người nhận",
              f"{failed},returned_to_center,{at[4]},hết số lần phát",
              f"{failed},returned_to_center,{at[4]},hết số lần phát",   # repeated row
              f"RM12345678VN,delivered,{at[2]},"]                      # mistyped number
    report = api.call("POST", "/api/v1/tracking-imports", "clerk",
                      data="\n".join(lines).encode(),
                      headers={"Content-Type": "text/csv"}).json()
    show(f"  tệp hành trình của bưu chính: {report['rows']} dòng, {report['applied']} áp dụng, "
         f"{report['duplicates']} trùng, {len(report['rejected'])} bị loại "
         f"({'; '.join(str(r['errors']) for r in report['rejected'])})")
    returned = api.call("GET", f"/api/v1/shipments/{failed}", "manager").json()
    show(f"  {failed}: {returned['status']} sau {returned['attempts']} lần phát")
    return ok and report["duplicates"] == 1 and len(report["rejected"]) == 1 \
        and returned["status"] == "returned_to_center"


def _report(api, show):
    month = datetime.now(TIMEZONE).strftime("%Y-%m")
    answer = api.call("GET", f"/api/v1/reports?from={month}&to={month}", "manager")
    if not answer.ok:
        show(f"  report: HTTP {answer.status_code}: {_error(answer)}")
        return False
    report = answer.json()
    for row in report["receptions"]:
        show(f"  {row['month']} {row['post_office']} {row['department']}: "
             f"{row['receptions']} hồ sơ tiếp nhận")
    totals = report["totals"]
    show(f"  bưu gửi {totals['shipments']}, đã phát {totals['delivered']}, tỷ lệ thành công "
         f"{totals['success_rate']}, thời gian TB {totals['mean_delivery_hours']} giờ, "
         f"cước {_vnd(totals['postal_fees_vnd'])}")
    return True


def _vnd(amount):
    return f"{amount:,} đ".replace(",", ".")
