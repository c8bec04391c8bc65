"""The browser's side of tests/browser, run in a process of its own: Playwright's sync API
driving Chromium stalls inside the eventlet-patched test process, so each test runs one
scenario here (`python -m tests.browser.scenarios NAME DESK_URL [CODE]`) and reads the JSON
it prints last; a failed check exits non-zero with its traceback."""
import json
import os
import re
import sys

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

from scripts.desk_accounts import DEMO_PASSWORD
from tests.chromium import CHROMIUM, missing_texts, read_pdf

SERIOUS = ("serious", "critical")


def fresh(browser):
    """A page of a browser session of its own (its own cookies), at a desktop's size."""
    return browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN").new_page()


def sign_in(page, desk, username, password=DEMO_PASSWORD):
    """Signs in with the keyboard alone."""
    page.goto(f"{desk}/sign-in")
    page.locator("#f-username").focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def press_enter_and_wait(page):
    with page.expect_navigation():
        page.keyboard.press("Enter")


def reception_by_keyboard(browser, desk, _):
    page = fresh(browser)
    sign_in(page, desk, "motcua.thu")
    assert page.url.endswith("/work"), page.url
    page.goto(f"{desk}/reception")
    page.locator("#f-q").focus()
    page.keyboard.type("cap phieu ly lich")  # no diacritics: found all the same
    result = page.get_by_role("link", name=re.compile(r"2\.000488"))
    result.wait_for()  # htmx shows the results as the officer types
    result.focus()
    press_enter_and_wait(page)
    assert "procedure=2.000488" in page.url
    # a wrong ID number and a mandatory document left out: the summary names the field
    page.locator("#f-doc-to_khai").focus()
    page.keyboard.press("Space")
    for field, text in (("applicant-full_name", "Trần Thị Bích Ngọc"),
                        ("applicant-citizen_id", "0791"),
                        ("applicant-phone", "0912345678"),
                        ("applicant-address", "25 Nguyễn Huệ, phường Long Xuyên, An Giang")):
        page.locator(f"#f-{field}").focus()
        page.keyboard.type(text)
    press_enter_and_wait(page)
    summary = page.locator("#error-summary").inner_text()
    assert "Số định danh cá nhân" in summary, summary
    assert page.locator("#f-applicant-full_name").input_value() == "Trần Thị Bích Ngọc"
    page.get_by_role("link", name=re.compile("Số định danh cá nhân")).focus()
    page.keyboard.press("Enter")  # the summary's link takes the focus to the field
    page.locator("#f-applicant-citizen_id").fill("")
    page.locator("#f-applicant-citizen_id").focus()
    page.keyboard.type("079190001234")
    press_enter_and_wait(page)
    if page.locator("#error-summary").count():  # intake checks the documents next
        assert "Thành phần hồ sơ" in page.locator("#error-summary").inner_text()
        page.locator("#f-doc-giay_to_tuy_than").focus()
        page.keyboard.press("Space")
        page.locator("#f-applicant-phone").focus()
        press_enter_and_wait(page)
    code = page.locator("#dossier-code").inner_text().strip()
    assert re.fullmatch(r"[\w.]+-\d{6}-\d{4}", code), code
    receipt = page.context.new_page()
    receipt.goto(f"{desk}/dossiers/{code}/receipt")
    printed = read_pdf(receipt.pdf(prefer_css_page_size=True))
    return {"code": code, "missing": missing_texts(printed, [code, "Trần Thị Bích Ngọc",
                                                             "Phiếu lý lịch tư pháp"]),
            "drawing": printed.drawing, "pages": printed.pages}


def date_field(page, selector):
    field = page.locator(selector)
    return {"type": field.get_attribute("type"), "placeholder": field.get_attribute("placeholder")}


def filter_by_due_date(page, typed):
    """The inbox filtered by a due date typed dd/mm/yyyy: the error summary, or the codes."""
    page.locator("#f-due_before").fill(typed)
    page.locator("#f-q").focus()
    press_enter_and_wait(page)
    summary = page.locator("#error-summary")
    return summary.inner_text() if summary.count() else [
        link.inner_text() for link in page.locator("#inbox-rows a[href^='/dossiers/']").all()]


def notifications_listed(page, desk, code):
    """The dossier page's notifications, once notify has recorded the receipt's SMS."""
    for _ in range(20):
        page.goto(f"{desk}/dossiers/{code}")
        rows = [row.inner_text() for row in
                page.locator("table[aria-labelledby=notifications] tbody tr").all()]
        if any("Đã tiếp nhận hồ sơ" in row for row in rows):
            return rows
        page.wait_for_timeout(1000)
    return []


def take_action(page, action, **fields):
    """An action of the dossier page's "Thao tác" menu, with the keyboard."""
    page.locator("summary", has_text="Thao tác").focus()
    page.keyboard.press("Enter")
    page.locator(f"a[href$='/actions/{action}']").focus()
    press_enter_and_wait(page)
    for name, value in fields.items():
        page.locator(f"#f-{name}").fill(value)
    page.locator("button.primary").focus()
    press_enter_and_wait(page)
    assert "?done=" in page.url, page.url


def extension_typed_wrong(page, desk, code):
    """The extension's new date typed yyyy-mm-dd: refused by the desk, naming the field."""
    page.goto(f"{desk}/dossiers/{code}/actions/request_extension")
    found = {"extension_field": date_field(page, "#f-new_due_date")}
    page.locator("#f-reason").fill("Chờ xác minh")
    page.locator("#f-new_due_date").fill("2027-01-15")
    page.locator("button.primary").focus()
    press_enter_and_wait(page)
    found["extension_wrong"] = page.locator("#error-summary").inner_text()
    found["extension_kept"] = page.locator("#f-new_due_date").input_value()
    page.goto(f"{desk}/dossiers/{code}")
    return found


def department_completes(browser, desk, code):
    page = fresh(browser)
    sign_in(page, desk, "ca.an")
    assert page.url.endswith("/inbox"), page.url
    dates = {"inbox_field": date_field(page, "#f-due_before")}
    page.locator("#f-q").fill("do thi hong")  # typed without diacritics
    dates["inbox_wrong"] = filter_by_due_date(page, "12/31/2099")
    dates["inbox_listed"] = filter_by_due_date(page, "31/12/2099")
    dates["inbox_kept"] = page.locator("#f-due_before").input_value()
    page.get_by_role("link", name=code).focus()
    press_enter_and_wait(page)
    assert page.url.endswith(f"/dossiers/{code}"), page.url
    assert "Đỗ Thị Hồng Nhung" in page.content()
    notifications = notifications_listed(page, desk, code)
    take_action(page, "accept")
    dates.update(extension_typed_wrong(page, desk, code))
    take_action(page, "complete", result_reference="125/PLLTP-CA")
    done = page.locator(".success").inner_text()
    slip = page.context.new_page()
    slip.goto(f"{desk}/dossiers/{code}/forms/control_slip")
    control_slip = "Mẫu" in slip.content() or "MẪU" in slip.content()
    counter = fresh(browser)
    sign_in(counter, desk, "motcua.thu")
    counter.goto(f"{desk}/return?code={code}")
    fee_shown = "200.000 đ" in counter.content()
    with counter.expect_navigation():
        counter.locator("button.primary", has_text="Thu").click()
    receipt_link = counter.get_by_role("link", name=re.compile("In biên lai")).count()
    handover = hand_over(counter, desk, code)
    return {"done": done, "control_slip": control_slip, "result_shown": "125/PLLTP-CA" in page.content(),
            "fee_shown": fee_shown, "payment_receipt_link": receipt_link,
            "returned": f"Đã trả kết quả hồ sơ {code}" in counter.content(),
            "notifications": notifications, "dates": dates, "handover": handover}


def hand_over(page, desk, code):
    """The result handed to the person the applicant authorised: a wrong ID number is refused
    naming the field, then the hand-over slip prints to PDF."""
    axe = {}
    axe_check(page, "return: hand-over form", axe)
    prefilled = page.locator("#f-receiver-full_name").input_value()
    page.locator("#f-receiver-full_name").fill("Phạm Thị Lan")
    page.locator("#f-relation-authorised").check()
    page.locator("#f-receiver-id_type").select_option("citizen_id")
    page.locator("#f-receiver-id_number").fill("0791900")
    with page.expect_navigation():
        page.locator("button", has_text="Xác nhận đã trả kết quả").click()
    refused = page.locator("#error-summary").inner_text()
    page.locator("#f-receiver-id_number").fill("079190004567")
    with page.expect_navigation():
        page.locator("button", has_text="Xác nhận đã trả kết quả").click()
    axe_check(page, "return: handed over", axe)
    link = page.get_by_role("link", name="In phiếu bàn giao kết quả")
    slip = page.context.new_page()
    slip.goto(desk + link.get_attribute("href"))
    printed = read_pdf(slip.pdf(prefer_css_page_size=True))
    return {"prefilled": prefilled, "refused": refused,
            "missing": missing_texts(printed, ["PHIẾU BÀN GIAO KẾT QUẢ", code, "Phạm Thị Lan",
                                               "125/PLLTP-CA", "*********567"]),
            "whole_id_printed": "079190004567" in printed.text, "axe": axe}


def refusals(browser, desk, code):
    page = fresh(browser)
    sign_in(page, desk, "ca.an", "not-the-password-1")
    wrong_password = {"url": page.url, "summary": page.locator("#error-summary").inner_text()}
    sign_in(page, desk, "ca.an")
    forged = page.request.post(f"{desk}/sign-out-everywhere", form={"csrf": "forged"},
                               max_redirects=0)
    still_in = page.goto(f"{desk}/inbox").status
    counter_page = page.goto(f"{desk}/reception").status
    elsewhere = fresh(browser)
    sign_in(elsewhere, desk, "stp.binh")  # an officer of the Department of Justice
    other_agency = elsewhere.goto(f"{desk}/dossiers/{code}").status
    elsewhere.goto(f"{desk}/inbox?q={code}")
    listed = elsewhere.locator(f"a[href='/dossiers/{code}']").count() > 0
    return {"wrong_password": wrong_password, "forged_status": forged.status,
            "forged_text": forged.text(), "still_signed_in": still_in,
            "counter_page_for_officer": counter_page, "other_agency": other_agency,
            "other_agency_lists_it": listed}


def axe_check(page, name, results):
    violations = Axe().run(page).response["violations"]
    results[name] = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                      "targets": [node["target"] for node in v["nodes"]][:3]}
                     for v in violations]


def accessibility(browser, desk, code):
    results = {}
    page = fresh(browser)
    page.goto(f"{desk}/sign-in")
    axe_check(page, "sign-in", results)
    sign_in(page, desk, "motcua.thu")
    for name, path in (("my work", "/work"), ("reception search", "/reception?q=ly+lich"),
                       ("reception form", "/reception?procedure=2.000488"),
                       ("confirmation", f"/reception/done/{code}"),
                       ("return", f"/return?code={code}"), ("password", "/password"),
                       ("not found", "/reception?procedure=9.999999")):
        page.goto(desk + path)
        axe_check(page, name, results)
    page.goto(f"{desk}/reception?procedure=2.000488")
    with page.expect_navigation():
        page.locator("button.primary").click()
    axe_check(page, "reception errors", results)
    page.context.clear_cookies()
    sign_in(page, desk, "ca.an")
    for name, path in (("inbox", "/inbox"), ("dossier", f"/dossiers/{code}"),
                       ("action form", f"/dossiers/{code}/actions/request_supplement"),
                       ("date form", f"/dossiers/{code}/actions/request_extension"),
                       ("inbox errors", "/inbox?due_before=31/13/2026")):
        page.goto(desk + path)
        axe_check(page, name, results)
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(f"{desk}/inbox")
    axe_check(page, "inbox on a phone", results)
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, desk, "trungtam.lanhdao")
    page.goto(f"{desk}/accounts")
    axe_check(page, "accounts", results)
    return results


SCENARIOS = {f.__name__: f for f in (reception_by_keyboard, department_completes, refusals,
                                     accessibility)}


def main(scenarios=SCENARIOS):
    name, desk, code = sys.argv[1], sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else None)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", CHROMIUM),
                                             args=["--no-sandbox"])
        try:
            result = scenarios[name](browser, desk, code)
        finally:
            browser.close()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
