"""The electronic copies of the documents handed in at the counter (Decree 118/2025 art.
17(1)(c)), made through docstore's API as the signed-in officer: a file chosen beside a
document of the checklist is described and sent to docstore, which checks its type and size,
scans it for viruses and makes it a signed PDF/A; or a document docstore already holds for
the same citizen and type is reused instead (art. 22(1)). The dossier is then registered
naming them (intake keeps each to one dossier). And what the dossier page shows of them:
each page's thumbnail and the signature's verification, in words."""
import re
import uuid

from .web import PageError

# docstore's owner identifier: a citizen ID (12 digits), an enterprise or tax code
OWNER_ID = re.compile(r"^[0-9A-Z-]{9,20}$")
NEEDS_OWNER = ("Chưa lưu được bản điện tử: cần số định danh cá nhân của người nộp (chủ sở hữu "
               "giấy tờ).")
OWNER_MALFORMED = "Số định danh cá nhân phải gồm đúng 12 chữ số."
UNAVAILABLE = "Chưa lấy được tài liệu điện tử; hãy tải lại trang sau giây lát."
# thumbnails shown per document; the rest are in the PDF
MAX_THUMBNAILS = 6
STATUS_WORDS = {
    "awaiting_content": "Chưa có tệp quét.",
    "processing": "Đang chuyển sang PDF/A và ký số; tải lại trang sau ít giây.",
    "awaiting_signature": "Đang chờ ký số.",
    "quarantined": "Tệp có mã độc, đã bị cách ly.",
    "failed": "Không chuyển đổi được tệp; cần quét lại.",
}
# what each check of the verification means when it fails
PROBLEMS = (("intact", "tệp đã bị thay đổi sau khi ký"),
            ("valid", "chữ ký số không hợp lệ"),
            ("trusted", "chứng thư của người ký không do tổ chức chứng thực tin cậy cấp"),
            ("covers_whole_file", "chữ ký không phủ toàn bộ tệp"))


def document_id(text):
    """A document id as the form carries it, or None."""
    try:
        return str(uuid.UUID(text)) if text else None
    except ValueError:
        return None


def chosen_file(files, key):
    """The file chosen beside document `key`, or None (a file input left empty sends an
    empty part)."""
    upload = files.get(f"file.{key}")
    return upload if upload is not None and upload.filename else None


def _refusal(answer):
    """docstore's refusal of a file, as one sentence: its message and its field's."""
    error = answer.error
    details = [message for messages in answer.fields.values() for message in messages]
    return " ".join([error.get("message") or "Không lưu được tệp.", *details])


def upload(services, doc, agency, owner_id, upload):
    """(the new document's id, None), or (None, why not) beside the document."""
    try:
        made = services.call("docstore", "POST", "/api/v1/documents", expect=(201,), json={
            "kind": "reception", "source": "scan", "document_type": doc["key"],
            "title": doc["name"][:300], "owner": {"id": owner_id},
            "catalogue_key": doc["key"], "department": agency})
        if not made.ok:
            return None, _refusal(made)
        sent = services.call(
            "docstore", "PUT", f"/api/v1/documents/{made.body['id']}/content",
            expect=(202, 413, 503), data=upload.stream,
            headers={"Content-Type": "application/octet-stream"})
    except PageError as exc:
        return None, f"Chưa lưu được bản điện tử: {exc.message}"
    return (made.body["id"], None) if sent.ok else (None, _refusal(sent))


def reuse(services, doc, offered_id, owner_id):
    """A document already held, reused for this dossier: (its new id, None) or (None, why)."""
    try:
        answer = services.call("docstore", "POST", f"/api/v1/documents/{offered_id}/reuse",
                               expect=(201,), json={"owner_id": owner_id,
                                                    "catalogue_key": doc["key"]})
    except PageError as exc:
        return None, f"Chưa lưu được bản điện tử: {exc.message}"
    if not answer.ok:
        return None, "Giấy tờ đã số hóa này không còn dùng lại được; hãy quét bản mới."
    return answer.body["id"], None


def offers(services, procedure, owner_id):
    """{document key: the signed, valid documents docstore holds of this owner and type}."""
    def offered(key):
        return lambda: services.call("docstore", "POST", "/api/v1/reuse-offers",
                                     json={"owner_id": owner_id, "document_type": key})
    try:
        found = services.together(**{doc["key"]: offered(doc["key"])
                                     for doc in procedure["documents"]})
    except PageError:
        return {}
    return {key: answer.body.get("documents", []) for key, answer in found.items()
            if answer.ok and answer.body.get("documents")}


def attach(services, procedure, agency, owner_id, files, form, documents):
    """Each file chosen, or document chosen for reuse, made a document of docstore: its id
    kept with the document (`scan`), which is then handed in; {field: [why not]} for those
    that could not be."""
    wanted = {}
    for doc in procedure["documents"]:
        upload_ = chosen_file(files, doc["key"])
        offered = document_id(form.get(f"reuse.{doc['key']}"))
        if upload_ is not None:
            wanted[doc["key"]] = lambda d=doc, u=upload_: _kept(
                upload(services, d, agency, owner_id, u))
        elif offered and offered != documents[doc["key"]]["reused_from"]:
            wanted[doc["key"]] = lambda d=doc, o=offered: _kept(
                reuse(services, d, o, owner_id), o)
    if not wanted:
        return {}
    if not OWNER_ID.fullmatch(owner_id or ""):
        # the field's own problem beside it (as intake would say), the consequence beside
        # each file
        return {"applicant.citizen_id": [OWNER_MALFORMED if owner_id else NEEDS_OWNER],
                **{f"file.{key}": [NEEDS_OWNER] for key in wanted}}
    errors = {}
    for key, (made, problem, reused_from) in services.together(**wanted).items():
        if problem:
            errors[f"file.{key}"] = [problem]
        else:
            documents[key].update(given=True, scan=made, reused_from=reused_from)
    return errors


def _kept(outcome, reused_from=None):
    made, problem = outcome
    return made, problem, reused_from


def verification_words(found):
    """(verified, the sentence saying so in plain words) of docstore's verification."""
    problems = [words for check, words in PROBLEMS if not found.get(check)]
    if problems:
        return False, "Không xác thực được: " + "; ".join(problems) + "."
    signer = found.get("signer") or "người ký"
    return True, (f"Đã xác thực chữ ký số của {signer}: tệp còn nguyên vẹn từ khi ký, chữ ký "
                  "hợp lệ, phủ toàn bộ tệp, do tổ chức chứng thực tin cậy cấp.")


def of_dossier(services, reception):
    """The dossier's documents that have an electronic copy, each with what docstore says of
    it: {key, name, id, document (its metadata, or None), pages, verified, words}."""
    scanned = [doc for doc in (reception or {}).get("documents", []) if doc.get("document_id")]
    if not scanned:
        return []

    def described(doc):
        def call():
            try:
                found = services.call("docstore", "GET",
                                      f"/api/v1/documents/{doc['document_id']}")
            except PageError:
                return None, None
            if not found.ok:
                return None, None
            if found.body["status"] != "signed":
                return found.body, None
            try:
                checked = services.call(
                    "docstore", "GET", f"/api/v1/documents/{doc['document_id']}/verification")
            except PageError:
                return found.body, None
            return found.body, checked.body if checked.ok else None
        return call

    found = services.together(**{str(index): described(doc)
                                 for index, doc in enumerate(scanned)})
    shown = []
    for index, doc in enumerate(scanned):
        document, verification = found[str(index)]
        if document is None:
            words, verified = UNAVAILABLE, False
        elif verification is None:
            words, verified = STATUS_WORDS.get(document["status"],
                                               "Chưa xác thực được chữ ký số."), False
            if document["status"] == "signed":
                words = "Chưa xác thực được chữ ký số lúc này; hãy tải lại trang sau giây lát."
        else:
            verified, words = verification_words(verification)
        pages = (document or {}).get("pages") or 0
        shown.append({"key": doc["key"], "name": doc["name"], "id": doc["document_id"],
                      "document": document, "verified": verified, "words": words,
                      "pages": range(1, min(pages, MAX_THUMBNAILS) + 1),
                      "signed": bool(document and document["status"] == "signed")})
    return shown


def thumbnail(services, document_id_text, page):
    """A page of a document as docstore draws it (PNG), with the officer's authority."""
    found = document_id(document_id_text)
    if found is None:
        raise PageError(404, "Không có tài liệu này.", "Không tìm thấy")
    answer = services.call("docstore", "GET",
                           f"/api/v1/documents/{found}/pages/{page}/thumbnail")
    if not answer.ok:
        raise PageError(404, "Không có trang này của tài liệu (hoặc tài liệu chưa được ký số).",
                        "Không tìm thấy")
    return answer.content


def signed_file(services, document_id_text):
    """A document's signed PDF/A, shown in the browser, with the officer's authority (docstore
    decides who sees it and records the download)."""
    found = document_id(document_id_text)
    if found is None:
        raise PageError(404, "Không có tài liệu này.", "Không tìm thấy")
    answer = services.call("docstore", "GET", f"/api/v1/documents/{found}/file",
                           params={"inline": "1"}, expect=(200, 404, 409))
    if not answer.ok:
        raise PageError(404, "Không có tài liệu này (hoặc tài liệu chưa được ký số).",
                        "Không tìm thấy")
    return found, answer.content
