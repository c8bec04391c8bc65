"""Is a signed PDF intact, validly signed, by a signer chaining to a trusted root, and does
the signature cover the whole file? pyHanko answers in a process without eventlet: the HTTP
service runs `python -m services.docstore.verification ROOT.pem...` with the file on stdin
and reads one JSON object from stdout (`verify_in_process`)."""
import io
import json
import subprocess
import sys

SUMMARIES = {
    "ok": "Chữ ký số hợp lệ: tài liệu nguyên vẹn, người ký được tin cậy.",
    "no_signature": "Tài liệu không có chữ ký số.",
    "tampered": "Tài liệu đã bị sửa đổi sau khi ký: chữ ký không còn giá trị.",
    "untrusted": "Chữ ký đúng nhưng chứng thư của người ký không thuộc tổ chức được tin cậy.",
    "partial": "Chữ ký không bao trùm toàn bộ tệp: có nội dung thêm vào sau khi ký.",
}
TIMEOUT_SECONDS = 60


def verify(pdf, root_paths):
    """{intact, valid, trusted, covers_whole_file, signer, signed_at, summary}."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.general import load_cert_from_pemder
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    answer = {"intact": False, "valid": False, "trusted": False, "covers_whole_file": False,
              "signer": None, "signed_at": None}
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - a file pyHanko cannot read is not verified
        return {**answer, "summary": SUMMARIES["tampered"]}
    if not signatures:
        return {**answer, "summary": SUMMARIES["no_signature"]}
    context = ValidationContext(trust_roots=[load_cert_from_pemder(p) for p in root_paths],
                                allow_fetching=False)
    try:
        status = validate_pdf_signature(signatures[-1], context)
    except Exception:  # noqa: BLE001 - a broken signature structure is a failed one
        return {**answer, "summary": SUMMARIES["tampered"]}
    answer.update(
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=status.signing_cert.subject.human_friendly,
        signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None)
    if not (answer["intact"] and answer["valid"]):
        summary = "tampered"
    elif not answer["trusted"]:
        summary = "untrusted"
    elif not answer["covers_whole_file"]:
        summary = "partial"
    else:
        summary = "ok"
    return {**answer, "summary": SUMMARIES[summary]}


def verify_in_process(pdf, root_paths):
    """verify() in a child process (pyHanko cannot run inside an eventlet green thread)."""
    done = subprocess.run([sys.executable, "-m", "services.docstore.verification", *root_paths],
                          input=pdf, capture_output=True, timeout=TIMEOUT_SECONDS, check=True)
    return json.loads(done.stdout)


if __name__ == "__main__":
    print(json.dumps(verify(sys.stdin.buffer.read(), sys.argv[1:])))
