"""`make screens`: a screenshot of every screen of the desk at 1366×768 and 360×640, into
docs/screens/ (the README shows the main ones).

    python -m scripts.desk_screens [--out docs/screens]

starts the whole stack on a database and RabbitMQ virtual host of its own
(`motcua_desk_screens`, the database created afresh; MOTCUA_SCREENS_DB and
MOTCUA_SCREENS_AMQP change them) on DESIGN.md's ports plus --port-offset (1500), creates the
demo's accounts, receives two dossiers at the counter through the desk itself (the
declaration scanned, through a clamd of its own), and photographs each page (the staff's, the
post-office clerk's, the citizen's) with Debian's Chromium (CHROMIUM, default
/usr/bin/chromium) through Playwright."""
import argparse
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

from scripts.desk_accounts import DEMO_PASSWORD, add_demo_accounts
from scripts.docstore_demo import scanned_jpeg
from scripts.stack import ROOT, Stack, ensure_database
from services.common.auth import issue_token
from services.common.events import now
from tooling.clamav import Clamd

NAME = "motcua_desk_screens"
SIZES = {"1366x768": {"width": 1366, "height": 768}, "360x640": {"width": 360, "height": 640}}
POST_OFFICE = {"code": "BD-TINH", "name": "Bưu điện tỉnh", "address": "01 Lê Duẩn, phường Long Xuyên",
               "receiving_unit": "000.00.41.H33"}
APPLICANT = {"applicant-full_name": "Trần Thị Bích Ngọc", "applicant-citizen_id": "079190001234",
             "applicant-phone": "0912345678",
             "applicant-address": "25 Nguyễn Huệ, phường Long Xuyên, tỉnh An Giang"}


def sign_in(page, desk, username):
    page.goto(f"{desk}/sign-in")
    page.fill("#f-username", username)
    page.fill("#f-password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button.primary")


def receive(page, desk, leave_out_id=False):
    """A dossier of the police's Phiếu lý lịch tư pháp received through the desk's form, its
    declaration scanned."""
    page.goto(f"{desk}/reception?procedure=2.000488")
    page.check("#f-doc-to_khai")
    page.check("#f-doc-giay_to_tuy_than")
    for field, value in APPLICANT.items():
        page.fill(f"#f-{field}", "0791" if leave_out_id and "citizen_id" in field else value)
    page.set_input_files("#f-file-to_khai", files=[{
        "name": "to-khai.jpg", "mimeType": "image/jpeg",
        "buffer": scanned_jpeg(["TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP",
                                "Họ và tên: Trần Thị Bích Ngọc"])}])
    with page.expect_navigation():
        page.click("button.primary")
    found = page.locator("#dossier-code")
    return found.inner_text().strip() if found.count() else None


def clerk_screens(page, stack, secret, out):
    """The post-office clerk's screens: the provincial post office, delegated by the
    Department of Science and Technology only, with a pick-up asked for on the portal."""
    def call(path, role, body, **scope):
        answer = requests.post(stack.url("postal", path), json=body, timeout=30, headers={
            "Authorization": "Bearer " + issue_token(secret, role, **scope)})
        answer.raise_for_status()
    call("/api/v1/post-offices", "manager", POST_OFFICE)
    call("/api/v1/delegations", "manager", {"department": "skhcn", "post_office": "BD-TINH",
                                            "valid_from": now().date().isoformat()})
    call("/api/v1/pickups", "portal", {
        "post_office": "BD-TINH", "pickup_address": "45 Hai Bà Trưng, phường Long Xuyên",
        "dossier": {"procedure_code": "1.003701",
                    "applicant": {"full_name": "Hoàng Văn Khải", "citizen_id": "079190005678",
                                  "phone": "0934556677", "address": APPLICANT["applicant-address"]},
                    "documents": [{"key": key} for key in ("don_dang_ky", "qd_thanh_lap", "dieu_le",
                                                           "ho_so_nhan_luc", "giay_to_tru_so")]}})
    page.context.clear_cookies()
    sign_in(page, stack.url("desk"), "buudien.lan")
    shoot(page, out, "31-buu-dien-hom-nay")
    page.goto(stack.url("desk", "/reception?q=ly+lich+tu+phap"))
    shoot(page, out, "32-buu-dien-chua-uy-quyen")
    page.goto(stack.url("desk", "/pickups"))
    shoot(page, out, "33-thu-gom-tai-nha")
    page.goto(stack.url("desk", "/shipments"))
    shoot(page, out, "34-chuyen-phat-ket-qua")


def citizen_screens(browser, stack, secret, code, out):
    """The citizen's pages, on a phone-sized page of a browser context without staff cookies:
    the catalogue, a procedure, the lookup form, the dossier found from the receipt's QR
    address (the secret in its fragment), and the evaluation form."""
    counter = {"Authorization": "Bearer " + issue_token(
        secret, "counter_officer", department="ca", center="trung_tam_tinh")}
    lookup_secret = requests.get(stack.url("intake", f"/api/v1/dossiers/{code}/receipt"),
                                 headers=counter, timeout=10).json()["lookup_secret"]
    desk = stack.url("desk")
    page = browser.new_context(locale="vi-VN").new_page()
    page.goto(f"{desk}/thu-tuc?q=cap+phieu+ly+lich")
    shoot(page, out, "21-danh-muc-thu-tuc")
    page.goto(f"{desk}/thu-tuc/2.000488")
    shoot(page, out, "22-thu-tuc")
    page.goto(f"{desk}/tra-cuu")
    shoot(page, out, "23-tra-cuu")
    page.goto(f"{desk}/tra-cuu?ma={code}#ma-tra-cuu={lookup_secret}")
    page.wait_for_url(re.compile(r"/tra-cuu/[^/?#]+$"))
    shoot(page, out, "24-tinh-trang-ho-so")
    page.goto(f"{desk}/danh-gia/{code}")
    shoot(page, out, "25-danh-gia")
    page.context.close()


def manager_screens(page, desk, out):
    for path, name in (("/dashboard", "11-tong-quan"), ("/reports?report=bieu06", "12-bieu-06"),
                       ("/dead-letters", "13-thu-loi"), ("/calendar", "14-lich-lam-viec"),
                       ("/reconciliation", "15-doi-soat"), ("/refunds", "16-hoan-tra"),
                       ("/portal-sync", "17-dong-bo-dvcqg")):
        page.goto(desk + path)
        shoot(page, out, name)


def shoot(page, out, name):
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(out / f"{name}-{size}.png"), full_page=size == "360x640")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    parser.add_argument("--port-offset", type=int, default=1500)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    db_url = os.environ.get("MOTCUA_SCREENS_DB", f"postgresql://postgres@127.0.0.1:5432/{NAME}")
    amqp = os.environ.get("MOTCUA_SCREENS_AMQP")
    if amqp is None:
        api = "http://127.0.0.1:15672/api"
        requests.put(f"{api}/vhosts/{NAME}", auth=("guest", "guest"), timeout=300)
        requests.put(f"{api}/permissions/{NAME}/guest", auth=("guest", "guest"), timeout=60,
                     json={"configure": ".*", "write": ".*", "read": ".*"})
        amqp = f"amqp://guest:guest@127.0.0.1:5672/{NAME}"
    ensure_database(db_url, fresh=True)
    secret = secrets.token_urlsafe(32)
    with Clamd() as scanner, Stack(db_url, amqp, secret, tempfile.mkdtemp(prefix="desk-screens-"),
                                   port_offset=args.port_offset,
                                   extra_env={"CLAMD_ADDRESS": scanner.address}) as stack:
        stack.prepare()
        add_demo_accounts(stack)
        stack.start()
        desk = stack.url("desk")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                args=["--no-sandbox"])
            page = browser.new_page(locale="vi-VN")
            page.goto(f"{desk}/sign-in")
            shoot(page, args.out, "01-dang-nhap")
            sign_in(page, desk, "motcua.thu")
            page.goto(f"{desk}/reception?q=cap+phieu+ly+lich")
            shoot(page, args.out, "02-tim-thu-tuc")
            receive(page, desk, leave_out_id=True)
            shoot(page, args.out, "03-tiep-nhan-loi")
            code = receive(page, desk)
            shoot(page, args.out, "04-da-tiep-nhan")
            page.goto(f"{desk}/dossiers/{code}/receipt")
            shoot(page, args.out, "05-giay-tiep-nhan")
            page.goto(f"{desk}/work")
            shoot(page, args.out, "06-viec-cua-toi")
            page.goto(f"{desk}/return?code={code}")
            shoot(page, args.out, "18-tra-ket-qua")
            page.goto(f"{desk}/quay/danh-gia")
            shoot(page, args.out, "19-quay-danh-gia")
            officer = {"Authorization": "Bearer " + issue_token(secret, "department_officer",
                                                                 department="ca")}
            while requests.get(stack.url("routing", f"/api/v1/inbox/{code}"), headers=officer,
                               timeout=5).status_code != 200:
                pass
            page.context.clear_cookies()
            sign_in(page, desk, "ca.an")
            shoot(page, args.out, "07-ho-so-can-xu-ly")
            for _ in range(120):  # its scan converted and signed by docstore's worker
                page.goto(f"{desk}/dossiers/{code}")
                if page.locator(".verified").count():
                    break
                page.wait_for_timeout(1000)
            page.locator("summary", has_text="Thao tác").click()
            shoot(page, args.out, "08-ho-so-thao-tac")
            page.goto(f"{desk}/dossiers/{code}/actions/request_supplement")
            shoot(page, args.out, "09-yeu-cau-bo-sung")
            page.context.clear_cookies()
            sign_in(page, desk, "trungtam.lanhdao")
            page.goto(f"{desk}/accounts")
            shoot(page, args.out, "10-tai-khoan")
            manager_screens(page, desk, args.out)
            clerk_screens(page, stack, secret, args.out)
            citizen_screens(browser, stack, secret, code, args.out)
            browser.close()
    print(f"screens written to {args.out}: "
          + ", ".join(sorted(p.name for p in args.out.glob("*.png") if re.match(r"\d", p.name))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
