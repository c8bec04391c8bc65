"""The post-office clerk's side of tests/browser/test_clerk.py, in a process of its own as
tests/browser/scenarios.py (`python -m tests.browser.clerk_scenarios NAME DESK_URL [ARG]`)."""
import re
from datetime import datetime, timedelta

from services.common.events import TIMEZONE
from tests.browser.scenarios import axe_check, fresh, press_enter_and_wait, run, sign_in
from tests.chromium import missing_texts, read_pdf

CLERK = "buudien.lan"
DELEGATED_PROCEDURE = "1.003701"  # of the Department of Science and Technology (skhcn)
RECEPTION_FIELDS = {"applicant-full_name": "Hoàng Văn Khải", "applicant-citizen_id": "079190005678",
                    "applicant-phone": "0934556677",
                    "applicant-address": "8 Tôn Đức Thắng, phường Long Xuyên, An Giang"}


def clerk_page(browser, desk):
    page = fresh(browser)
    sign_in(page, desk, CLERK)
    return page


def without_delegation(browser, desk, _):
    """The clerk looks for the police's procedure (ca did not delegate): the search and the
    form name the missing delegation."""
    page = clerk_page(browser, desk)
    axe = {}
    found = {"home": page.url, "intro": page.locator(".lead").first.inner_text()}
    axe_check(page, "clerk: post office", axe)
    page.goto(f"{desk}/reception")
    page.locator("#f-q").fill("2.000488")
    press_enter_and_wait(page)
    found["offered"] = page.locator("a[href='/reception?procedure=2.000488']").count()
    found["search"] = page.locator(".procedures.refused").inner_text()
    axe_check(page, "clerk: reception search without delegation", axe)
    answer = page.goto(f"{desk}/reception?procedure=2.000488")
    found["form_status"] = answer.status
    found["form"] = page.locator("main").inner_text()
    return {**found, "axe": axe}


def receives_and_prints(browser, desk, _):
    """The clerk finds a procedure of the delegating department, receives its dossier and
    prints the receipt."""
    page = clerk_page(browser, desk)
    axe = {}
    page.goto(f"{desk}/reception")
    page.locator("#f-q").focus()
    page.keyboard.type("to chuc khoa hoc")  # without diacritics
    result = page.get_by_role("link", name=re.compile(re.escape(DELEGATED_PROCEDURE)))
    result.wait_for()
    result.focus()
    press_enter_and_wait(page)
    axe_check(page, "clerk: reception form", axe)
    guidance_offered = page.locator("button[formaction='/reception/guidance']").count()
    for box in page.locator("input[type=checkbox][id^='f-doc-']").all():
        box.check()
    for field, text in RECEPTION_FIELDS.items():
        page.locator(f"#f-{field}").fill(text)
    with page.expect_navigation():
        page.locator("button.primary").click()
    assert page.locator("#dossier-code").count(), (page.url, page.locator("main").inner_text())
    axe_check(page, "clerk: confirmation", axe)
    code = page.locator("#dossier-code").inner_text().strip()
    receipt = page.context.new_page()
    receipt.goto(f"{desk}/dossiers/{code}/receipt")
    printed = read_pdf(receipt.pdf(prefer_css_page_size=True))
    return {"code": code, "guidance_offered": guidance_offered, "axe": axe,
            "missing": missing_texts(printed, [code, RECEPTION_FIELDS["applicant-full_name"],
                                               "Cấp Giấy chứng nhận đăng ký hoạt động"]),
            "drawing": printed.drawing}


def pickup_row(page, pickup_id):
    return page.locator(f"#pickup-{pickup_id}")


def pickup_through_its_states(browser, desk, pickup_id):
    """An order asked for on the portal: collected at home, then handed over and registered."""
    page = clerk_page(browser, desk)
    axe = {}
    page.goto(f"{desk}/pickups")
    row = pickup_row(page, pickup_id)
    states = [row.locator(".status").inner_text()]
    found = {"requested_row": row.inner_text()}
    axe_check(page, "clerk: pick-ups", axe)
    with page.expect_navigation():
        row.get_by_role("button", name="Đã thu gom hồ sơ").click()
    states.append(pickup_row(page, pickup_id).locator(".status").inner_text())
    with page.expect_navigation():
        pickup_row(page, pickup_id).get_by_role("button", name=re.compile("bàn giao")).click()
    states.append(pickup_row(page, pickup_id).locator(".status").inner_text())
    found["notice"] = page.locator(".notice").inner_text()
    axe_check(page, "clerk: pick-up handed over", axe)
    code = pickup_row(page, pickup_id).locator("a[href^='/reception/done/']").inner_text()
    receipt = page.context.new_page()
    receipt.goto(f"{desk}/dossiers/{code}/receipt")
    printed = read_pdf(receipt.pdf(prefer_css_page_size=True))
    return {**found, "states": states, "code": code, "axe": axe,
            "receipt_missing": missing_texts(printed, [code])}


def carrier_file(tracking_number):
    """A carrier's file: two good rows, one repeated, a mistyped number and an unknown event."""
    now = datetime.now(TIMEZONE)
    in_transit, delivered = now.isoformat(), (now + timedelta(minutes=1)).isoformat()
    return "\r\n".join([
        "tracking_number,event,at,reason",
        f"{tracking_number},in_transit,{in_transit},",
        f"{tracking_number},delivered,{delivered},",
        f"{tracking_number},delivered,{delivered},",
        f"RM123,in_transit,{in_transit},",
        f"{tracking_number},lost,{in_transit},",
    ]) + "\r\n"


def tracking_by_hand_and_by_file(browser, desk, tracking_number):
    """The clerk enters the pick-up by hand (a failure without its reason is refused first),
    then uploads the carrier's file and reads its per-line report."""
    page = clerk_page(browser, desk)
    axe = {}
    page.goto(f"{desk}/shipments")
    listed = page.locator(f"a[href='/shipments/{tracking_number}']").count()
    with page.expect_navigation():
        page.locator(f"a[href='/shipments/{tracking_number}']").click()
    page.locator("#f-event").select_option("delivery_failed")
    with page.expect_navigation():
        page.locator("button.primary").click()
    refused = page.locator("#error-summary").inner_text()
    axe_check(page, "clerk: tracking event refused", axe)
    page.locator("#f-event").select_option("picked_up")
    with page.expect_navigation():
        page.locator("button.primary").click()
    by_hand = {"notice": page.locator(".notice").inner_text(),
               "status": page.locator("#shipment-status").inner_text(),
               "history": page.locator("table[aria-labelledby=history]").inner_text()}
    axe_check(page, "clerk: shipment", axe)
    page.goto(f"{desk}/shipments")
    page.locator("#f-file").set_input_files({"name": "vnpost.csv", "mimeType": "text/csv",
                                             "buffer": carrier_file(tracking_number).encode()})
    with page.expect_navigation():
        page.get_by_role("button", name="Nhập tệp").click()
    lines = [[cell.inner_text() for cell in row.locator("td").all()]
             for row in page.locator("#import-lines tbody tr").all()]
    summary = page.locator("#import-report .notice").inner_text()
    axe_check(page, "clerk: tracking file report", axe)
    page.goto(f"{desk}/shipments/{tracking_number}")
    return {"listed": listed, "refused": refused, "by_hand": by_hand, "lines": lines,
            "summary": summary, "status": page.locator("#shipment-status").inner_text(),
            "axe": axe}


SCENARIOS = {f.__name__: f for f in (without_delegation, receives_and_prints,
                                     pickup_through_its_states, tracking_by_hand_and_by_file)}

if __name__ == "__main__":
    run(SCENARIOS)
