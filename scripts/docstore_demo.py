"""docstore's part of `make demo`, against a running stack (scripts/demo.py calls `run`).

At the counter an officer scans two of the documents the citizen hands in (each becomes a
PDF/A with Vietnamese OCR, signed with the officer's test certificate) and registers the
dossier with them (intake asks docstore that they are clean scans of the agency, in no other
dossier); for the same citizen's second dossier the land-use certificate already held is
offered and reused instead of a new scan; the agency signs the first dossier's result with
the agency's certificate and completes the dossier with it (routing), and the citizen
downloads it with the receipt's lookup secret; the verification says it is intact and
trusted. Ends with the month's digitisation shares.

Only HTTP, and the scanned pages are drawn here (`scanned_jpeg`)."""
import hashlib
import io
import time
from datetime import datetime

import requests
from PIL import Image, ImageDraw, ImageFont

from services.common.auth import issue_token
from services.common.events import TIMEZONE

FONT = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"
PROCEDURE = "1.001756"  # Thành lập Văn phòng công chứng (stp)
DEPARTMENT = "stp"


def scanned_jpeg(lines):
    """A page as a scanner gives it: a JPEG at 200 dpi with the lines written on it."""
    image = Image.new("RGB", (1654, 900), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 48)
    for row, line in enumerate(lines):
        draw.text((100, 100 + 150 * row), line, font=font, fill="black")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, dpi=(200, 200))
    return out.getvalue()


class _Api:
    def __init__(self, url, token):
        self.url, self.headers = url, {"Authorization": f"Bearer {token}"}

    def call(self, method, path, **kwargs):
        return requests.request(method, self.url + path, headers=self.headers, timeout=30,
                                **kwargs)


def _scan(api, owner_id, document_type, title, catalogue_key, lines, **fields):
    made = api.call("POST", "/api/v1/documents", json={
        "document_type": document_type, "title": title, "owner": {"id": owner_id},
        "catalogue_key": catalogue_key, **fields})
    made.raise_for_status()
    document_id = made.json()["id"]
    api.call("PUT", f"/api/v1/documents/{document_id}/content",
             data=scanned_jpeg(lines)).raise_for_status()
    return document_id


def _signed(api, document_id, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = api.call("GET", f"/api/v1/documents/{document_id}").json()
        if found["status"] in ("signed", "failed"):
            return found
        time.sleep(0.5)
    return found


def _with_scans(body, scans):
    """The dossier body naming each scan ({catalogue key: document id}) on its document."""
    return {**body, "documents": [{**d, **({"document_id": scans[d["key"]]}
                                           if d["key"] in scans else {})}
                                  for d in body["documents"]]}


def _acted(api, code, action, timeout, **body):
    """The action's answer, once routing knows the dossier (its dossier.received may still
    be on its way)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = api.call("POST", f"/api/v1/dossiers/{code}/actions/{action}", json=body)
        if answer.status_code != 404 or time.monotonic() > deadline:
            return answer
        time.sleep(0.3)


def _downloaded(docstore_url, code, lookup_secret, timeout):
    """The citizen's download of the result, once docstore issued it."""
    deadline = time.monotonic() + timeout
    while True:
        download = requests.get(f"{docstore_url}/api/v1/dossiers/{code}/result",
                                params={"secret": lookup_secret}, timeout=30)
        if download.ok or time.monotonic() > deadline:
            return download
        time.sleep(0.3)


def run(docstore_url, intake_url, routing_url, secret, make_body, show=print, timeout=180):
    """Returns {check name: passed}. `make_body(procedure_code)` gives a dossier body for
    intake."""
    officer = _Api(docstore_url, issue_token(secret, "counter_officer", department=DEPARTMENT,
                                             subject="canbo.stp.01"))
    agency = _Api(docstore_url, issue_token(secret, "department_officer",
                                            department=DEPARTMENT, subject="chuyenvien.stp.01"))
    manager = _Api(docstore_url, issue_token(secret, "manager", subject="giamdoc"))
    intake = _Api(intake_url, issue_token(secret, "counter_officer", department=DEPARTMENT,
                                          subject="canbo.stp.01"))
    checks = {}
    show("\n== Số hóa: quét tại quầy, ký số, tái sử dụng, trả kết quả điện tử ==")
    body = make_body(PROCEDURE)
    owner = body["applicant"]["citizen_id"]
    started = time.monotonic()
    office = _scan(officer, owner, "giay_to_tru_so", "Giấy chứng nhận quyền sử dụng đất (trụ sở)",
                   "giay_to_tru_so", ["GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT",
                                      "Thửa đất số 12, tờ bản đồ số 5"],
                   issuer="UBND tỉnh An Giang", validity_scope="Toàn quốc")
    request = _scan(officer, owner, "don_de_nghi", "Đơn đề nghị thành lập Văn phòng công chứng",
                    "don_de_nghi", ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                    "ĐƠN ĐỀ NGHỊ THÀNH LẬP VĂN PHÒNG CÔNG CHỨNG"])
    first = intake.call("POST", "/api/v1/dossiers", json=_with_scans(
        body, {"giay_to_tru_so": office, "don_de_nghi": request}))
    first.raise_for_status()
    code, lookup_secret = first.json()["code"], first.json()["lookup_secret"]
    signed = [_signed(officer, doc, timeout) for doc in (office, request)]
    show(f"  dossier {code}: 2 documents scanned, OCR'd to PDF/A-2B and signed in "
         f"{time.monotonic() - started:.1f} s: " + "; ".join(
             f"{d['title']} ({d['pages']} trang, {d['status']})" for d in signed))
    checks["two scans signed at the counter"] = all(d["status"] == "signed" for d in signed)
    deadline = time.monotonic() + timeout
    while True:  # they join the dossier when docstore has its dossier.received
        listed = officer.call("GET", f"/api/v1/dossiers/{code}/documents").json()["documents"]
        if len(listed) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    checks["the scans are the dossier's"] = {d["id"] for d in listed} == {office, request}

    second = intake.call("POST", "/api/v1/dossiers", json=body)
    second.raise_for_status()
    offers = officer.call("POST", "/api/v1/reuse-offers", json={
        "owner_id": owner, "document_type": "giay_to_tru_so"}).json()["documents"]
    reused = officer.call("POST", f"/api/v1/documents/{offers[0]['id']}/reuse", json={
        "owner_id": owner, "dossier_code": second.json()["code"],
        "catalogue_key": "giay_to_tru_so"}) if offers else None
    ok = reused is not None and reused.status_code == 201
    show(f"  second dossier {second.json()['code']} of the same citizen: {len(offers)} document "
         f"offered for reuse, reused without a new scan: {ok}")
    checks["a document reused for a second dossier"] = ok

    result = _scan(agency, owner, "qd_thanh_lap_vpcc", "Quyết định cho phép thành lập Văn phòng "
                   "công chứng", None, ["QUYẾT ĐỊNH", "Cho phép thành lập Văn phòng công chứng"],
                   kind="result", dossier_code=code, issued_on=datetime.now(TIMEZONE).date()
                   .isoformat(), issuer="Sở Tư pháp")
    issued = _signed(agency, result, timeout)
    department = _Api(routing_url, issue_token(secret, "department_officer",
                                               department=DEPARTMENT,
                                               subject="chuyenvien.stp.01"))
    _acted(department, code, "accept", timeout)
    completed = _acted(department, code, "complete", timeout,
                       result_reference=f"{code[-4:]}/QĐ-STP", result_document_id=result)
    show(f"  the agency completes {code} with its signed result: HTTP {completed.status_code}")
    download = _downloaded(docstore_url, code, lookup_secret, timeout)
    verified = agency.call("GET", f"/api/v1/documents/{result}/verification").json()
    same = download.ok and hashlib.sha256(download.content).hexdigest() == issued["sha256"]
    show(f"  electronic result signed by {issued['signer'] or '?'}; the citizen downloaded "
         f"{len(download.content)} bytes with the lookup secret; verification: "
         f"{verified.get('summary')}")
    checks["the citizen downloads a signed result that verifies"] = (
        same and verified.get("intact") and verified.get("valid") and verified.get("trusted"))

    month = datetime.now(TIMEZONE).strftime("%Y-%m")
    report = manager.call("GET", "/api/v1/reports", params={"from": month, "to": month}).json()
    for row in report["agencies"]:
        show(f"  {row['month']} {row['department']}: {row['dossiers']} dossiers, "
             f"digitised {row['digitised_share']}, documents reused {row['reused_share']}, "
             f"results electronic {row['results_electronic_share']}")
    checks["digitisation shares reported"] = bool(report["agencies"])
    return checks
