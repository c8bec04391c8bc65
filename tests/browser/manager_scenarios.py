"""The manager's side of tests/browser/test_manager.py, in a process of its own as
scenarios.py (`python -m tests.browser.manager_scenarios NAME DESK_URL`)."""
import re
from pathlib import Path

from tests.browser.scenarios import axe_check, fresh, run, sign_in
from tests.chromium import missing_texts, read_pdf

MANAGER = "trungtam.lanhdao"
NOVEMBER = {"start": "01/11/2026", "end": "30/11/2026"}


def watch_csp(page):
    """The Content-Security-Policy refusals Chromium reports on this page."""
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    return refused


def dashboard(browser, desk, _):
    page = fresh(browser)
    refused = watch_csp(page)
    sign_in(page, desk, MANAGER)
    axe = {}
    axe_check(page, "dashboard", axe)
    page.set_viewport_size({"width": 360, "height": 640})
    axe_check(page, "dashboard on a phone", axe)
    page.set_viewport_size({"width": 1366, "height": 768})
    found = {"home": page.url, "axe": axe, "csp_refused": refused, **dashboard_figures(page)}
    page.goto(f"{desk}/portal-sync")
    axe_check(page, "national-portal sync", axe)
    found["portal_sync"] = page.locator("main").inner_text()
    return found


def dashboard_figures(page):
    rows = lambda table: [row.inner_text() for row in  # noqa: E731
                          page.locator(f"table[aria-labelledby={table}] tbody tr").all()]
    return {"charts": page.locator("figure.chart svg[role=img]").count(),
            "scripts_in_charts": page.locator("figure.chart script").count(),
            "month_chart_text": page.locator("#chart-month svg").text_content(),
            "received_rows": rows("received"), "pending_rows": rows("pending")}


def bieu06_of_november(page, desk, axe):
    """Biểu 06 asked for in the form, then downloaded as CSV and printed."""
    page.goto(f"{desk}/reports")
    page.locator("#f-report").select_option("bieu06")
    for name, typed in NOVEMBER.items():
        page.locator(f"#f-{name}").fill(typed)
    with page.expect_navigation():
        page.locator("button.primary").click()
    axe_check(page, "reports: Biểu 06", axe)
    found = {"title": page.locator("#report-title").inner_text(),
             "sentence": page.locator("#report-sentence").inner_text()}
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Tải về tệp CSV")).click()
    data = Path(download.value.path()).read_bytes()
    found.update(csv_bom=data.startswith(b"\xef\xbb\xbf"), csv=data.decode("utf-8-sig"),
                 csv_name=download.value.suggested_filename)
    printed = page.context.new_page()
    printed.goto(desk + page.get_by_role("link", name="Bản in").get_attribute("href"))
    axe_check(printed, "reports: print view", axe)
    pdf = read_pdf(printed.pdf(prefer_css_page_size=True))
    found["printed_missing"] = missing_texts(pdf, ["Hộ tịch", "Hoạt động xây dựng", "Sở Tư pháp",
                                                   "Tổng cộng", "THỦ TRƯỞNG ĐƠN VỊ"])
    found["printed_chrome"] = printed.locator("nav, form").count()
    return found


def reports(browser, desk, _):
    page = fresh(browser)
    refused = watch_csp(page)
    sign_in(page, desk, MANAGER)
    axe = {}
    found = {"bieu06": bieu06_of_november(page, desk, axe)}
    for report in ("agencies", "channels"):
        page.goto(f"{desk}/reports?report={report}&start=01/11/2026&end=30/11/2026")
        axe_check(page, f"reports: {report}", axe)
        found[report] = page.locator("table.report tbody tr").count()
    page.goto(f"{desk}/reports?report=steps")  # this month to date
    axe_check(page, "reports: steps", axe)
    found["steps"] = page.locator("table.report tbody").inner_text()
    page.goto(f"{desk}/reports?report=bieu06&start=2026-11-01&end=30/11/2026")
    found["typed_wrong"] = page.locator("#error-summary").inner_text()
    found["typed_kept"] = page.locator("#f-start").input_value()
    axe_check(page, "reports: a date typed wrong", axe)
    found["axe"] = axe
    found["csp_refused"] = refused
    return found


def without_javascript(browser, desk, _):
    """The dashboard and a report in a browser that runs no script."""
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    page = context.new_page()
    sign_in(page, desk, MANAGER)
    charts = page.locator("figure.chart svg").count()
    page.goto(f"{desk}/reports")
    page.locator("#f-start").fill("01/11/2026")
    page.locator("#f-end").fill("30/11/2026")
    with page.expect_navigation():
        page.locator("button.primary").click()
    return {"charts": charts, "rows": page.locator("table.report tbody tr").count()}


def listed_letters(page, desk, keys):
    """The dead-letter page, once every key in `keys` is listed on it."""
    for _ in range(30):
        page.goto(f"{desk}/dead-letters")
        if all(page.locator(f"input[name=keys][value='{key}']").count() for key in keys):
            return True
        page.wait_for_timeout(1000)
    return False


def press(page, button):
    with page.expect_navigation():
        page.locator("button", has_text=button).click()


def dead_letters(browser, desk, keys):
    """`keys`: the message to purge and the one to replay, comma-separated."""
    to_purge, to_replay = keys.split(",")
    page = fresh(browser)
    sign_in(page, desk, MANAGER)
    axe = {}
    found = {"listed": listed_letters(page, desk, (to_purge, to_replay))}
    axe_check(page, "dead letters", axe)
    press(page, "Phát lại")
    found["nothing_chosen"] = page.locator("#error-summary").inner_text()
    axe_check(page, "dead letters: nothing chosen", axe)
    page.get_by_role("link", name=to_purge).click()
    page.wait_for_url(re.compile("/dead-letters/.+"))
    found["letter"] = page.locator("main").inner_text()
    axe_check(page, "dead letter", axe)
    page.goto(f"{desk}/dead-letters")
    page.locator(f"input[name=keys][value='{to_purge}']").check()
    press(page, "Xóa")
    found["unconfirmed"] = page.locator("#error-summary").inner_text()
    page.locator(f"input[name=keys][value='{to_purge}']").check()
    page.locator("#f-confirm").check()
    press(page, "Xóa")
    found["purged"] = page.locator(".notice").inner_text()
    page.locator(f"input[name=keys][value='{to_replay}']").check()
    press(page, "Phát lại")
    found["replayed"] = page.locator(".notice").inner_text()
    found["left"] = [box.get_attribute("value") for box in
                     page.locator("input[name=keys]").all()]
    found["axe"] = axe
    return found


def calendar(browser, desk, _):
    """A day off added by typing its date (wrongly first), one the national calendar already
    has refused, then the day given back to the national calendar."""
    page = fresh(browser)
    sign_in(page, desk, MANAGER)
    axe = {}
    found = {}
    for name, typed, kind in (("typed_wrong", "2027-03-15", "day_off"),
                              ("national", "01/01/2027", "day_off"),
                              ("added", "15/03/2027", "day_off")):
        page.goto(f"{desk}/calendar")
        page.locator("#f-day").fill(typed)
        page.locator(f"#f-kind-{kind}").check()
        page.locator("#f-note").fill("Nghỉ bù theo quyết định của UBND tỉnh")
        press(page, "Lưu")
        shown = page.locator("#error-summary, .notice").first
        found[name] = shown.inner_text()
        axe_check(page, f"calendar: {name}", axe)
    found["days_off"] = page.locator("table[aria-labelledby=days-day_off] tbody").inner_text()
    press(page, "Theo lịch quốc gia ngày 15/03/2027")
    found["removed"] = page.locator(".notice").inner_text()
    found["left"] = page.locator("main").inner_text()
    found["axe"] = axe
    return found


def money(browser, desk, given):
    """`given`: a dossier code whose fee was paid in cash today, and the path of the bank's
    statement of the day (that payment and a line the center never recorded). The refunds
    page shows the bill; nothing is owed back (a counter takes no more than is due)."""
    code, statement = given.split("|")
    page = fresh(browser)
    sign_in(page, desk, MANAGER)
    axe = {}
    page.goto(f"{desk}/reconciliation")
    axe_check(page, "reconciliation", axe)
    form = page.locator("form[enctype='multipart/form-data']")
    press(page, "Nhập và đối soát")
    found = {"no_file": page.locator("#error-summary").inner_text()}
    form.locator("#f-channel").select_option("cash")
    form.locator("#f-source").select_option("bank")
    form.locator("#f-statement").set_input_files(statement)
    press(page, "Nhập và đối soát")
    found["reconciled"] = page.locator("main").inner_text()
    axe_check(page, "reconciliation: the day's report", axe)
    page.goto(f"{desk}/refunds?code={code}")
    axe_check(page, "refunds", axe)
    found["bill"] = page.locator("section dl.facts").inner_text()
    found["refund_due"] = page.locator(".refund-due").inner_text()
    found["refund_forms"] = page.locator("form[action^='/refunds/']").count()
    found["axe"] = axe
    return found


def refund(browser, desk, code):
    """`code`: a dossier whose fee was paid twice. The manager finds what is owed back, is
    told when the amount typed is more than that, then refunds it in cash with the voucher's
    number: the refund is listed and nothing is owed back any more."""
    page = fresh(browser)
    sign_in(page, desk, MANAGER)
    axe = {}
    page.goto(f"{desk}/refunds?code={code}")
    found = {"due": page.locator(".refund-due").inner_text()}
    axe_check(page, "refunds: owed back", axe)
    form = page.locator("form[action^='/refunds/']")
    form.locator("#f-amount").fill("999999")
    press(page, "Hoàn tiền")
    found["too_much"] = page.locator("#error-summary").inner_text()
    axe_check(page, "refunds: more than owed", axe)
    form.locator("#f-amount").fill("200.000")
    form.locator("#f-channel").select_option("cash")
    form.locator("#f-reference").fill("PC20260001")
    press(page, "Hoàn tiền")
    found["done"] = page.locator(".notice").inner_text()
    found["due_after"] = page.locator(".refund-due").inner_text()
    found["refunds"] = page.locator("section table.cards").inner_text()
    found["forms_after"] = page.locator("form[action^='/refunds/']").count()
    found["axe"] = axe
    return found


if __name__ == "__main__":
    run({f.__name__: f for f in (dashboard, reports, without_javascript, dead_letters,
                                         calendar, money, refund)})
