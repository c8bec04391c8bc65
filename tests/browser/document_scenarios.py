"""The browser's side of tests/browser/test_documents.py (run as tests/browser/scenarios.py's
are: `python -m tests.browser.document_scenarios NAME DESK_URL`)."""
import re

from scripts.docstore_demo import scanned_jpeg
from tests.browser.scenarios import axe_check, fresh, run, sign_in
from tooling.clamav import EICAR

CITIZEN_ID = "079190001234"
FORM = "/reception?procedure=2.000488"


def submit(page, button="button.primary"):
    with page.expect_navigation():
        page.locator(button).click()


def fill_applicant(page):
    for field, text in (("applicant-full_name", "Trần Thị Bích Ngọc"),
                        ("applicant-citizen_id", CITIZEN_ID),
                        ("applicant-phone", "0912345678"),
                        ("applicant-address", "25 Nguyễn Huệ, phường Long Xuyên, An Giang")):
        page.locator(f"#f-{field}").fill(text)


def verified_dossier_page(page, desk, code, tries=90):
    """The dossier page once routing has the dossier and docstore has signed its scan."""
    for _ in range(tries):
        answer = page.goto(f"{desk}/dossiers/{code}")
        if answer.status == 200 and page.locator("#scanned + ul .verified").count():
            return True
        page.wait_for_timeout(1000)
    return False


def whole_file(page, desk):
    """The dossier page's link to the whole signed scan, followed: what the browser is sent."""
    link = page.get_by_role("link", name="Xem toàn bộ bản điện tử (PDF)", exact=False).first
    if not link.count():
        return None
    answer = page.request.get(desk + link.get_attribute("href"))
    return {"status": answer.status, "type": answer.headers.get("content-type"),
            "csp": answer.headers.get("content-security-policy"),
            "cache": answer.headers.get("cache-control"),
            "resource_policy": answer.headers.get("cross-origin-resource-policy"),
            "starts": answer.body()[:5].decode("latin-1")}


def scans_at_reception(browser, desk, _):
    page = fresh(browser)
    addresses = []
    page.on("request", lambda request: addresses.append(request.url))
    sign_in(page, desk, "motcua.thu")
    page.goto(desk + FORM)
    axe = {}
    page.locator("#f-doc-to_khai").check()
    page.locator("#f-doc-giay_to_tuy_than").check()
    fill_applicant(page)
    page.locator("#f-file-to_khai").set_input_files(files=[{
        "name": "to-khai.jpg", "mimeType": "image/jpeg",
        "buffer": scanned_jpeg(["TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP",
                                "Họ và tên: Trần Thị Bích Ngọc"])}])
    page.locator("#f-file-giay_to_tuy_than").set_input_files(files=[{
        # EICAR behind a PDF header: an allowed type by its first bytes, caught by clamd
        "name": "can-cuoc.pdf", "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n" + EICAR}])
    submit(page)
    refused = {
        "summary": page.locator("#error-summary").inner_text(),
        "beside": page.locator("#f-file-giay_to_tuy_than-error").inner_text(),
        "name_kept": page.locator("#f-applicant-full_name").input_value(),
        "phone_kept": page.locator("#f-applicant-phone").input_value(),
        "ticked_kept": page.locator("#f-doc-giay_to_tuy_than").is_checked(),
        "clean_kept": page.locator("input[type=hidden][name='scan.to_khai']").count(),
        "infected_kept": page.locator("input[name='scan.giay_to_tuy_than']").count(),
        "summary_links_to": page.get_by_role(
            "link", name=re.compile("Bản điện tử: Bản chụp")).get_attribute("href"),
    }
    axe_check(page, "reception: a scan refused", axe)
    submit(page)  # the card handed in on paper only; the clean scan kept from the first sending
    code = page.locator("#dossier-code").inner_text().strip()
    shown = verified_dossier_page(page, desk, code)
    scanned = page.locator("#scanned + ul > li")
    thumbnail = page.locator("#scanned + ul img").first
    dossier = {
        "verified_shown": shown,
        "documents": scanned.count(),
        "words": scanned.first.inner_text() if scanned.count() else "",
        "thumbnail_alt": thumbnail.get_attribute("alt") if thumbnail.count() else None,
        "thumbnail_drawn": thumbnail.count() > 0 and page.evaluate(
            "img => img.complete && img.naturalWidth > 0", thumbnail.element_handle()),
        "thumbnail_type": page.request.get(desk + thumbnail.get_attribute("src")).headers.get(
            "content-type") if thumbnail.count() else None,
        "whole_file": whole_file(page, desk),
    }
    axe_check(page, "dossier: its scans", axe)
    page.set_viewport_size({"width": 360, "height": 640})
    axe_check(page, "dossier: its scans on a phone", axe)
    page.set_viewport_size({"width": 1366, "height": 768})

    # the same citizen's next dossier: the declaration already held is offered for reuse
    page.goto(desk + FORM)
    page.locator("#f-doc-giay_to_tuy_than").check()
    fill_applicant(page)
    submit(page, "button[name=step][value=offers]")
    offer = page.locator("input[type=radio][name='reuse.to_khai']").first
    offered = page.locator("input[type=radio][name='reuse.to_khai']").count()
    axe_check(page, "reception: documents to reuse", axe)
    if offered:
        offer.check()
        page.locator("#f-doc-to_khai").check()
    submit(page)
    second = page.locator("#dossier-code").inner_text().strip() if page.locator(
        "#dossier-code").count() else None
    reused = second is not None and verified_dossier_page(page, desk, second)
    return {"refused": refused, "code": code, "dossier": dossier, "offered": offered,
            "second": second, "reused_shown": reused and "dùng lại" in page.locator(
                "#scanned + ul").inner_text(),
            "id_in_an_address": any(CITIZEN_ID in address for address in addresses),
            "axe": axe}


SCENARIOS = {f.__name__: f for f in (scans_at_reception,)}

if __name__ == "__main__":
    run(SCENARIOS)
