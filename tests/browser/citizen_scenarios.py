"""The browser's side of tests/browser/test_citizen.py, in a process of its own as
scenarios.py's (`python -m tests.browser.citizen_scenarios NAME DESK_URL ARGUMENT`, the
argument a JSON object): a citizen on a phone, coming through the center's proxy (which
names them in X-Forwarded-For, a header the desk believes from that proxy only)."""
import json
import os
import re
import sys
import urllib.parse
import urllib.request

from playwright.sync_api import sync_playwright

from scripts.payment_gateway import ipn_params, redirect_params
from tests.browser.scenarios import axe_check, fresh, sign_in
from tests.chromium import CHROMIUM

PHONE = {"width": 360, "height": 640}


def phone(browser, client):
    """A page of a browser of its own at a phone's size, as the client `client` (an address
    the proxy would name)."""
    context = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True,
                                  extra_http_headers={"X-Forwarded-For": client})
    return context.new_page()


def requested_urls(page):
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def scan_the_qr(browser, desk, given):
    """The receipt's QR code opened on a phone: the dossier's status, and no request whose
    address carries the secret."""
    page = phone(browser, given["client"])
    urls = requested_urls(page)
    page.goto(given["qr_url"])
    page.wait_for_url(re.compile(r"/tra-cuu/[^/?#]+$"))
    axe = {}
    axe_check(page, "citizen: dossier status on a phone", axe)
    return {"url": page.url, "status": page.locator("#status").inner_text(),
            "asked": page.locator("#asked").inner_text() if page.locator("#asked").count()
            else "", "address_bar": page.evaluate("window.location.href"),
            "secret_sent_in_an_address": any(given["secret"] in url.split("#")[0]
                                             for url in urls), "axe": axe}


def answer_every_item(page, level_index=1):
    for fieldset in page.locator("fieldset").all():
        fieldset.locator("input[type=radio]").nth(level_index).check()


def evaluate_after_the_result(browser, desk, given):
    """From the QR code's lookup to the evaluation: a form sent half-answered names the items
    left out; answered, it is thanked. Then, from the result SMS's link on another phone
    (the secret typed), a second evaluation is refused."""
    axe = {}
    page = phone(browser, given["client"])
    page.goto(given["qr_url"])
    page.wait_for_url(re.compile(r"/tra-cuu/[^/?#]+$"))
    status = page.locator("#status").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="Đánh giá việc giải quyết hồ sơ").click()
    axe_check(page, "citizen: evaluation form", axe)
    asks_secret = page.locator("#f-secret").count() > 0
    page.locator("fieldset").first.locator("input[type=radio]").first.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Gửi đánh giá").click()
    summary = page.locator("#error-summary").inner_text()
    left_out = page.locator("#error-summary li").count()
    axe_check(page, "citizen: evaluation errors", axe)
    answer_every_item(page)
    page.locator("#f-comment").fill("Cán bộ hướng dẫn tận tình.")
    with page.expect_navigation():
        page.get_by_role("button", name="Gửi đánh giá").click()
    thanked = page.locator(".success").inner_text()
    axe_check(page, "citizen: evaluation thanked", axe)

    again = phone(browser, given["other_client"])
    again.goto(f"{desk}/danh-gia/{given['code']}")  # the result SMS's link
    again.locator("#f-secret").fill(given["secret"].lower())
    answer_every_item(again, 0)
    with again.expect_navigation():
        again.get_by_role("button", name="Gửi đánh giá").click()
    return {"status": status, "asks_secret": asks_secret, "summary": summary,
            "left_out": left_out, "thanked": thanked,
            "second": again.locator("#refused").inner_text(), "axe": axe}


def guess_secrets(browser, desk, given):
    """20 wrong secrets typed from one client; then the right one from it, an unknown code
    and the right secret from another client."""
    page = phone(browser, given["client"])
    answers = []
    for attempt in range(20):
        page.goto(f"{desk}/tra-cuu?ma={given['code']}")
        page.locator("#f-secret").fill(f"WRONG{attempt:03d}")
        with page.expect_navigation() as sent:
            page.get_by_role("button", name="Tra cứu").click()
        answers.append({"status": sent.value.status, "text": page.locator("main").inner_text()})
    page.goto(f"{desk}/tra-cuu?ma={given['code']}")
    page.locator("#f-secret").fill(given["secret"])
    with page.expect_navigation() as right:
        page.get_by_role("button", name="Tra cứu").click()
    stopped_right = {"status": right.value.status, "url": page.url}
    axe = {}
    axe_check(page, "citizen: lookup stopped", axe)

    other = phone(browser, given["other_client"])
    other.goto(f"{desk}/tra-cuu")
    axe_check(other, "citizen: lookup form", axe)
    other.locator("#f-code").fill(given["unknown_code"])
    other.locator("#f-secret").fill("ABCD2345")
    with other.expect_navigation() as unknown:
        other.get_by_role("button", name="Tra cứu").click()
    unknown_text = other.locator("#error-summary").inner_text()
    axe_check(other, "citizen: lookup not found", axe)
    other.goto(f"{desk}/tra-cuu")
    other.locator("#f-code").fill(given["code"])
    other.locator("#f-secret").fill(given["secret"])
    with other.expect_navigation():
        other.get_by_role("button", name="Tra cứu").click()
    return {"answers": answers, "stopped_right": stopped_right,
            "unknown": {"status": unknown.value.status, "text": unknown_text},
            "other_client_url": other.url, "axe": axe}


def catalogue_and_tablet(browser, desk, given):
    """The catalogue searched without diacritics on a phone, a procedure's page; then the
    counter's tablet, signed in as its officer, takes one touch."""
    axe = {}
    page = phone(browser, given["client"])
    page.goto(f"{desk}/thu-tuc")
    axe_check(page, "citizen: catalogue", axe)
    page.locator("#f-q").fill("cap phieu ly lich")
    with page.expect_navigation():
        page.get_by_role("button", name="Tìm", exact=True).click()
    listed = [link.inner_text() for link in page.locator("#procedures a").all()]
    with page.expect_navigation():
        page.locator("#procedures a", has_text="Cấp Phiếu lý lịch tư pháp").first.click()
    axe_check(page, "citizen: procedure", axe)
    procedure = {"text": page.locator("main").inner_text(),
                 "portal": page.get_by_role("link", name=re.compile("Nộp hồ sơ trực tuyến"))
                 .get_attribute("href")}

    tablet = fresh(browser)
    sign_in(tablet, desk, "motcua.thu")
    tablet.goto(f"{desk}/quay/danh-gia")
    axe_check(tablet, "counter tablet", axe)
    question = tablet.locator("h1").inner_text()
    with tablet.expect_navigation():
        tablet.get_by_role("button", name=given["level_label"], exact=True).click()
    thanked = tablet.locator(".success").inner_text()
    return {"listed": listed, "procedure": procedure, "question": question,
            "thanked": thanked, "axe": axe}


def gateway(route, request, given):
    """The payment gateway, as the browser meets it: it notifies payment server to server
    (the IPN, which settles the bill), then sends the browser back to the return URL, both
    signed with the merchant's secret."""
    params = ipn_params(given["gateway_secret"], request.url)
    ipn = f"{given['payment']}/api/v1/gateway/vnpay/ipn?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(ipn, timeout=10) as answer:
        assert json.loads(answer.read())["RspCode"] == "00"
    back = redirect_params(request.url)["vnp_ReturnUrl"]
    route.fulfill(status=302, headers={"Location": f"{back}?{urllib.parse.urlencode(params)}"})


def pay_online(browser, desk, given):
    """The fee seen from the QR code's lookup and paid online: the gateway's result page, then
    the dossier's fee paid with its receipt."""
    axe = {}
    page = phone(browser, given["client"])
    page.route(re.compile(r"/paymentv2/vpcpay\.html"),
               lambda route, request: gateway(route, request, given))
    page.goto(given["qr_url"])
    page.wait_for_url(re.compile(r"/tra-cuu/[^/?#]+$"))
    fees = page.locator("#bills").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Thanh toán trực tuyến")).click()
    axe_check(page, "citizen: to the payment gateway", axe)
    amount = page.locator("main .lead").inner_text()
    with page.expect_navigation():
        page.locator("#to-gateway").click()
    page.wait_for_url(re.compile(r"/thanh-toan/ket-qua"))
    result = page.locator("#payment-result").inner_text()
    axe_check(page, "citizen: payment result", axe)
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Xem hồ sơ")).click()
    return {"fees": fees, "amount": amount, "result": result,
            "after": page.locator("#bills").inner_text(),
            "receipt_links": page.get_by_role("link", name=re.compile("Biên lai")).count(),
            "axe": axe}


SCENARIOS = {f.__name__: f for f in (scan_the_qr, evaluate_after_the_result, guess_secrets,
                                     catalogue_and_tablet, pay_online)}


def main():
    name, desk, given = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", CHROMIUM),
                                             args=["--no-sandbox"])
        try:
            result = SCENARIOS[name](browser, desk, given)
        finally:
            browser.close()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
