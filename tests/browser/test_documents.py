"""The counter's scans in Chromium (tests/browser/document_scenarios.py), on a stack with a
clamd of its own (the EICAR test signature) and docstore's document worker: the officer
chooses a clean JPEG beside one document and the EICAR file beside another; the infected one
is refused in Vietnamese beside its document and in the error summary, every value kept and
the clean scan with them; the dossier registered, its page shows the scan's thumbnail, says
in words that its signature is verified and opens the whole signed PDF (sandboxed); the same
citizen's next dossier is offered the document for reuse. No address holds the citizen ID;
axe-core finds no serious or critical violation."""
import pytest

from tests.browser.conftest import scenario
from tests.browser.test_desk import serious_violations
from tests.conftest import AXE_RESULTS
from tooling.clamav import Clamd

pytestmark = pytest.mark.e2e
SCENARIOS = "tests.browser.document_scenarios"
_scanner = {}


@pytest.fixture(scope="module", autouse=True)
def scanner():
    """clamd, started before the module's stack (which reads its address in stack_env)."""
    with Clamd() as running:
        _scanner["address"] = running.address
        yield running


def stack_env(folder):
    return {"CLAMD_ADDRESS": _scanner["address"]}


def test_an_officer_scans_at_reception_and_the_dossier_shows_the_verified_scan(desk):
    found = scenario("scans_at_reception", desk, module=SCENARIOS)
    refused = found["refused"]
    assert "mã độc" in refused["beside"] and "cách ly" in refused["beside"]
    assert "Bản điện tử: Bản chụp Căn cước" in refused["summary"]
    assert "mã độc" in refused["summary"]
    assert refused["summary_links_to"] == "#f-file-giay_to_tuy_than"
    assert refused["name_kept"] == "Trần Thị Bích Ngọc" and refused["phone_kept"] == "0912345678"
    assert refused["ticked_kept"]
    assert refused["clean_kept"] == 1 and refused["infected_kept"] == 0

    dossier = found["dossier"]
    assert dossier["verified_shown"], dossier
    assert dossier["documents"] == 1
    assert "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp" in dossier["words"]
    assert "Đã xác thực chữ ký số" in dossier["words"]
    assert "tệp còn nguyên vẹn" in dossier["words"]
    assert dossier["thumbnail_type"] == "image/png"
    assert dossier["thumbnail_drawn"] and dossier["thumbnail_alt"].startswith("Trang 1")
    assert dossier["whole_file"] == {"status": 200, "type": "application/pdf",
                                     "csp": "sandbox; default-src 'none'",
                                     "cache": "private, no-store",
                                     "resource_policy": "same-origin", "starts": "%PDF-"}

    assert found["offered"] >= 1
    assert found["second"] and found["second"] != found["code"]
    assert found["reused_shown"]
    assert not found["id_in_an_address"]
    AXE_RESULTS.update(found["axe"])
    assert not serious_violations(found["axe"])
