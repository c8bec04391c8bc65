"""Headless Chromium for the tests that print or browse: Debian's chromium (CHROMIUM, default
/usr/bin/chromium; never a downloaded browser) driven by Playwright, launched once per test
session, and what a printed PDF holds (pypdf). A test folder's conftest.py takes the fixtures
by importing them (`from tests.chromium import browser, print_pdf  # noqa: F401`)."""
import io
import os
import re
import unicodedata
from dataclasses import dataclass

import pytest
from playwright.sync_api import sync_playwright
from pypdf import PdfReader

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# PostScript points of a page (1/72 inch), portrait
PAPER_POINTS = {"A4": (595, 842), "A5": (420, 595)}


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (launching it costs about a second). Playwright's
    driver is not stopped: under eventlet's monkey patching its stop waits forever for the
    driver to exit, which it does by itself when the test process ends."""
    playwright = sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def print_pdf(browser):
    """print_pdf(html) -> the PDF Chromium prints of the page, at the paper size its print CSS
    asks for."""
    def to_pdf(html):
        page = browser.new_page()
        try:
            page.set_content(html, wait_until="load")
            return page.pdf(prefer_css_page_size=True)
        finally:
            page.close()
    return to_pdf


@dataclass
class Printed:
    pages: int
    size: tuple     # of the first page, in points, rounded
    text: str       # every page's, NFC, each run of white space one space
    drawing: int    # path operators of the first page's content (a QR code draws hundreds)


def read_pdf(data):
    reader = PdfReader(io.BytesIO(data))
    first = reader.pages[0]
    text = " ".join(page.extract_text() for page in reader.pages)
    content = first.get_contents().get_data().decode("latin-1")
    return Printed(
        pages=len(reader.pages),
        size=(round(float(first.mediabox.width)), round(float(first.mediabox.height))),
        text=" ".join(unicodedata.normalize("NFC", text).split()),
        drawing=len(re.findall(r"(?<![A-Za-z])[mlc](?![A-Za-z])", content)),
    )


def missing_texts(printed, texts):
    """The texts (NFC, white space collapsed) the printed PDF does not hold."""
    return [text for text in texts
            if " ".join(unicodedata.normalize("NFC", text).split()) not in printed.text]
