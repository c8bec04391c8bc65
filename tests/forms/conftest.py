"""The forms print in the session's headless Chromium (tests/chromium.py)."""
from tests.chromium import browser, print_pdf  # noqa: F401
