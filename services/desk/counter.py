"""The counter officer's screens: my work, the reception form, its confirmation and the
printed forms (intake's own print views), and the return of results with the fees. The
reception form serves a post office's counter too: it asks its reception point (here the
center's counter, CounterReception; postoffice.PostOfficeReception) what it receives, where
the dossier is registered and whether it scans the documents (scans.py)."""
import time
import uuid

from werkzeug.wrappers import Response

from . import scans, store
from .formats import folded
from .web import PageError, redirect, render

DOCUMENT_FORMS = {"original": "Bản chính", "certified_copy": "Bản sao có chứng thực",
                  "copy": "Bản sao"}
DELIVERIES = {"counter": "Nhận tại Bộ phận Một cửa", "post": "Qua dịch vụ bưu chính"}
LABELS = {
    "procedure_code": "Thủ tục", "agency": "Cơ quan giải quyết", "documents": "Thành phần hồ sơ",
    "applicant.full_name": "Họ và tên", "applicant.citizen_id": "Số định danh cá nhân",
    "applicant.phone": "Số điện thoại", "applicant.email": "Thư điện tử",
    "applicant.address": "Địa chỉ", "result_delivery": "Cách nhận kết quả",
    "delivery_address": "Địa chỉ nhận kết quả", "_body": "Hồ sơ",
}
NEEDS_OWNER_FOR_OFFERS = ("Nhập số định danh cá nhân của người nộp để tìm giấy tờ đã số hóa "
                          "của họ.")
CATALOGUE_KEPT_SECONDS = 60
# the catalogue's procedures open to a channel, and its agencies, kept a minute:
# {key: (when, what)}
_kept = {}


def kept(key, load):
    """What `load()` answers, asked again once it is a minute old."""
    at, value = _kept.get(key, (None, None))
    if at is None or time.monotonic() - at > CATALOGUE_KEPT_SECONDS:
        value = load()
        _kept[key] = (time.monotonic(), value)
    return value


def procedures(services, channel):
    return kept(("procedures", channel), lambda: services.call(
        "intake", "GET", "/api/v1/procedures", params={"channel": channel}).body["procedures"])


def agency_names(services):
    """{agency code: its name} of intake's catalogue."""
    return kept("agencies", lambda: {
        agency["code"]: agency["name"]
        for agency in services.call("intake", "GET", "/api/v1/agencies").body["agencies"]})


class CounterReception:
    """Reception at the one-stop center's counter, registered by intake: a stationed officer
    receives its agency's procedures, one of the center's own staff any (the others are not
    offered, as intake would refuse them)."""
    channel = "counter"
    title = "Tiếp nhận hồ sơ"
    intro = None
    prints_guidance = True  # intake's missing-documents slip (Mẫu 02) of the counter
    scans = True  # the counter officer scans what is handed in (docstore: art. 17(1)(c))

    def __init__(self, user):
        self.user = user

    def agencies(self, procedure):
        """The competent agencies the form offers for a commune-level procedure."""
        return procedure.get("competent_agencies", ())

    def receives(self, procedure):
        agency = self.user["department"]
        return (agency is None or agency == procedure["department"]
                or agency in procedure.get("competent_agencies", ()))

    def refusal(self, procedure):
        """Why this point does not receive `procedure`, when the officer should be told."""
        return None

    def register(self, services, body, key):
        # 503 (docstore cannot check the scans, the day's numbers used): the form is kept
        return services.call("intake", "POST", "/api/v1/dossiers", expect=(200, 201, 503),
                             json=body, headers={"Idempotency-Key": key})


def search(services, point, text, limit=15):
    """(procedures the point receives whose code or name holds every word typed, diacritics
    or not; those it does not, each with why, when the point tells it)."""
    words = folded(text).split()
    if not words:
        return [], []
    matching = [p for p in procedures(services, point.channel)
                if all(word in folded(f"{p['code']} {p['name']}") for word in words)]
    refused = [(p, point.refusal(p)) for p in matching if not point.receives(p)]
    return ([p for p in matching if point.receives(p)][:limit],
            [(p, why) for p, why in refused if why][:limit])


def procedure_of(services, point, code):
    """The procedure `code` when the point receives it; a PageError naming why not."""
    procedure = next((p for p in procedures(services, point.channel) if p["code"] == code),
                     None)
    if procedure is not None and point.receives(procedure):
        return procedure
    why = procedure and point.refusal(procedure)
    if why:
        raise PageError(403, why, "Chưa được ủy quyền tiếp nhận")
    raise PageError(404, f"Không có thủ tục mã {code} mà bạn được tiếp nhận.",
                    "Không tìm thấy thủ tục")


# my work ----------------------------------------------------------------------------------------
def my_work(services, user):
    def inbox(status):
        return lambda: services.call("routing", "GET", "/api/v1/inbox",
                                     params={"status": status, "per_page": 50})
    found = services.together(
        today=lambda: services.call("intake", "GET", "/api/v1/register"),
        ready=inbox("result_ready"), waiting=inbox("supplement_requested"))
    entries = [entry for book in found["today"].body.get("books", [])
               for entry in book["entries"]]
    return render("work.html", user=user, today=entries,
                  ready=found["ready"].body.get("dossiers", []),
                  waiting=found["waiting"].body.get("dossiers", []))


# reception ---------------------------------------------------------------------------------------
def reception_page(services, point, user, request):
    args = request.args
    text = args.get("q", "").strip()
    code = args.get("procedure")
    if code:
        return reception_form(point, user, procedure_of(services, point, code), {}, {})
    return render("reception_search.html", user=user, q=text, point=point,
                  **found_for(services, point, text))


def procedure_results(services, point, user, request):
    """The search's results alone (htmx swaps them in as the officer types)."""
    text = request.args.get("q", "").strip()
    return render("procedure_results.html", user=user, q=text, **found_for(services, point, text))


def found_for(services, point, text):
    found, refused = search(services, point, text) if text else (None, [])
    return {"found": found, "refused": refused}


def reception_form(point, user, procedure, values, errors, status=200, offers=None):
    documents = values.get("documents") or {
        doc["key"]: {"given": False, "form": doc.get("form", "original"), "copies": doc["copies"],
                     "scan": None, "reused_from": None}
        for doc in procedure["documents"]}
    return render("reception.html", status, user=user, point=point, procedure=procedure,
                  agencies=point.agencies(procedure), values=values, documents=documents,
                  errors=errors, labels=LABELS, forms=DOCUMENT_FORMS, deliveries=DELIVERIES,
                  key=values.get("key") or str(uuid.uuid4()), offers=offers or {})


def _documents_given(procedure, form):
    """Each document of the checklist as the form gives it, with the electronic copy made
    for it in an earlier sending of the form (`scan`; `reused_from`: the document reused)."""
    kept = {}
    for doc in procedure["documents"]:
        key = doc["key"]
        copies = form.get(f"copies.{key}", "1").strip()
        kept[key] = {"given": form.get(f"doc.{key}") == "1",
                     "form": form.get(f"form.{key}") or doc.get("form", "original"),
                     "copies": int(copies) if copies.isdigit() else copies,
                     "scan": scans.document_id(form.get(f"scan.{key}")),
                     "reused_from": scans.document_id(form.get(f"reused.{key}"))}
    return kept


def _agency(procedure, form):
    """The competent agency the form names (a commune-level procedure's chosen one)."""
    return procedure["department"] or form.get("agency") or None


def _body(procedure, form, documents):
    applicant = {name: form.get(f"applicant.{name}", "").strip() or None
                 for name in ("full_name", "citizen_id", "phone", "email", "address")}
    body = {"procedure_code": procedure["code"],
            "applicant": {k: v for k, v in applicant.items() if v is not None or k == "email"},
            "documents": [{"key": key, "form": doc["form"], "copies": doc["copies"],
                           **({"document_id": doc["scan"]} if doc["scan"] else {})}
                          for key, doc in documents.items() if doc["given"]],
            "result_delivery": form.get("result_delivery") or "counter",
            "delivery_address": form.get("delivery_address", "").strip() or None}
    if not procedure["department"]:
        body["agency"] = _agency(procedure, form)
    return body


def _local_errors(form, documents):
    errors = {}
    for key, doc in documents.items():
        if doc["given"] and (not isinstance(doc["copies"], int) or not 1 <= doc["copies"] <= 20):
            errors[f"copies.{key}"] = ["Số bản là một số từ 1 đến 20."]
    return errors


def _field_errors(fields, body=None, documents=None):
    """intake's field names as the form's ("documents.0.key" belongs to the checklist; the
    electronic copy of "documents.0.document_id" is beside its document, and is let go)."""
    errors = {}
    for name, messages in fields.items():
        parts = name.split(".")
        if body and len(parts) == 3 and parts[2] == "document_id" and parts[1].isdigit() \
                and int(parts[1]) < len(body["documents"]):
            key = body["documents"][int(parts[1])]["key"]
            documents[key].update(scan=None, reused_from=None)
            name = f"file.{key}"
        elif name.startswith("documents"):
            name = "documents"
        errors.setdefault(name, []).extend(messages)
    return errors


def _offers(services, point, procedure, form, errors):
    """The documents docstore holds of the applicant, to reuse, once the officer asked."""
    if not point.scans or not form.get("looked_up"):
        return {}
    owner_id = form.get("applicant.citizen_id", "").strip()
    if not scans.OWNER_ID.fullmatch(owner_id):
        errors.setdefault("applicant.citizen_id", [NEEDS_OWNER_FOR_OFFERS])
        return {}
    return scans.offers(services, procedure, owner_id)


def submit_reception(db, services, point, user, request):
    """The form sent: its files made electronic copies first (each refusal beside its
    document, the copies made kept for the next sending), then the dossier registered with
    them. "Tìm giấy tờ đã số hóa" (step=offers) shows what may be reused instead."""
    form = request.form
    procedure = procedure_of(services, point, form.get("procedure_code", ""))
    documents = _documents_given(procedure, form)
    values = {**form.to_dict(), "documents": documents}
    errors = _local_errors(form, documents)
    if point.scans:
        errors.update(scans.attach(services, procedure, _agency(procedure, form),
                                   form.get("applicant.citizen_id", "").strip(), request.files,
                                   form, documents))
    if form.get("step") == "offers":
        values["looked_up"] = "1"
        offers = _offers(services, point, procedure, {**values}, errors)
        return reception_form(point, user, procedure, values, errors, 422 if errors else 200,
                              offers)
    if errors:
        return reception_form(point, user, procedure, values, errors, 422,
                              _offers(services, point, procedure, form, {}))
    body = _body(procedure, form, documents)
    answer = point.register(services, body, form.get("key") or str(uuid.uuid4()))
    if not answer.ok:
        errors = _field_errors(answer.fields, body, documents) or {
            "_body": [answer.error.get("message", "")]}
        return reception_form(point, user, procedure, values, errors, 422,
                              _offers(services, point, procedure, form, {}))
    code = answer.body["code"]
    with db.transaction() as cur:
        store.audit(cur, user["username"], "reception", code, "ok")
    return redirect(f"/reception/done/{code}")


def confirmation(services, user, code):
    receipt = services.call("intake", "GET", f"/api/v1/dossiers/{code}/receipt")
    if not receipt.ok:
        raise PageError(404, receipt.error.get("message", ""), "Không tìm thấy hồ sơ")
    return render("confirmation.html", user=user, code=code, receipt=receipt.body)


def printed(services, service, path):
    """A form as the owning service prints it (HTML with its print CSS)."""
    answer = services.call(service, "GET", path, params={"format": "html"})
    if not answer.ok:
        raise PageError(404, answer.error.get("message", "Không có biểu mẫu này."),
                        "Không tìm thấy")
    return Response(answer.text, mimetype="text/html")


def guidance(db, services, user, request):
    """The missing-documents slip (Mẫu 02) of what the form holds, instead of a receipt."""
    form = request.form
    point = CounterReception(user)
    procedure = procedure_of(services, point, form.get("procedure_code", ""))
    documents = _documents_given(procedure, form)
    body = _body(procedure, form, documents)
    slip = {"procedure_code": procedure["code"], "documents": body["documents"],
            "applicant": {k: body["applicant"].get(k) for k in ("full_name", "phone",
                                                                 "address")}}
    answer = services.call("intake", "POST", "/api/v1/guidance", expect=(200, 201), json=slip,
                           headers={"Idempotency-Key": f"guidance-{form.get('key', '')}"})
    if not answer.ok:
        values = {**form.to_dict(), "documents": documents}
        errors = _field_errors(answer.fields) or {"_body": [answer.error.get("message", "")]}
        return reception_form(point, user, procedure, values, errors, 422)
    with db.transaction() as cur:
        store.audit(cur, user["username"], "guidance", procedure["code"], "ok")
    return redirect(f"/slips/guidance/{answer.body['id']}")


# return of results ---------------------------------------------------------------------------
RETURN_LABELS = {"code": "Mã hồ sơ", "channel": "Thanh toán", "terminal_id": "Mã máy POS",
                 "terminal_reference": "Số giao dịch thẻ", "receiver": "Người nhận kết quả",
                 "receiver.full_name": "Họ và tên người nhận",
                 "receiver.relation": "Người nhận là", "receiver.id_type": "Giấy tờ xuất trình",
                 "receiver.id_number": "Số giấy tờ"}
RECEIVER_RELATIONS = {"applicant": "Người nộp hồ sơ", "authorised": "Người được ủy quyền"}
IDENTITY_PAPERS = {"citizen_id": "Căn cước / căn cước công dân", "passport": "Hộ chiếu",
                   "other": "Giấy tờ tùy thân khác"}


def return_page(services, user, code, message=None, errors=None, status=200, receipt=None,
                receiver=None):
    """The dossier found by its code with its fees, the form to hand its result over, and once
    handed over at the counter the hand-over slip to print."""
    code = (code or "").strip()
    values = {"user": user, "code": code, "dossier": None, "bills": [], "message": message,
              "errors": errors or {}, "receipt": receipt, "labels": RETURN_LABELS,
              "relations": RECEIVER_RELATIONS, "papers": IDENTITY_PAPERS, "receiver": {}}
    if not code:
        return render("return.html", **values)
    found = services.together(
        dossier=lambda: services.call("routing", "GET", f"/api/v1/inbox/{code}"),
        bills=lambda: services.call("payment", "GET", "/api/v1/bills",
                                    params={"dossier_code": code}))
    dossier, bills = found["dossier"], found["bills"]
    if not dossier.ok:
        values.update(message=None, errors={"code": [f"Không tìm thấy hồ sơ {code}."]})
        return render("return.html", 404, **values)
    values.update(dossier=dossier.body, bills=bills.body.get("bills", []) if bills.ok else [],
                  receiver=receiver or {"full_name": dossier.body.get("applicant_name")},
                  returned_at=next((step["at"] for step in reversed(dossier.body["timeline"])
                                    if step["action"] == "return"), None),
                  key=str(uuid.uuid4()))
    return render("return.html", status, **values)


def find_for_return(services, user, request):
    return return_page(services, user, request.args.get("code"))


def record_payment(db, services, user, code, request):
    form = request.form
    bill = form.get("bill", "")
    channel = form.get("channel", "cash")
    body = {"channel": channel}
    if channel == "card":
        body.update(terminal_id=form.get("terminal_id", "").strip() or None,
                    terminal_reference=form.get("terminal_reference", "").strip() or None)
    answer = services.call("payment", "POST", f"/api/v1/bills/{bill}/payments",
                           expect=(200, 201), json=body,
                           headers={"Idempotency-Key": form.get("key") or str(uuid.uuid4())})
    if not answer.ok:
        return return_page(services, user, code, errors=_field_errors(answer.fields) or {
            "channel": [answer.error.get("message", "")]}, status=422)
    with db.transaction() as cur:
        store.audit(cur, user["username"], "payment", code, "ok")
    return return_page(services, user, code, message="Đã ghi nhận thanh toán; hãy in biên lai.",
                       receipt=answer.body.get("receipt"))


def _receiver(form):
    """Who takes the result, as the return form gives it (routing checks it)."""
    receiver = {name: form.get(f"receiver.{name}", "").strip() or None
                for name in ("full_name", "relation", "id_type", "id_number")}
    return {name: value for name, value in receiver.items() if value is not None}


def mark_returned(db, services, user, code, request):
    """The result handed over at the counter, to the person the form names: the page then
    offers the hand-over slip to print and sign."""
    receiver = _receiver(request.form)
    answer = services.call("routing", "POST", f"/api/v1/dossiers/{code}/actions/return",
                           json={"method": "counter", "receiver": receiver},
                           headers={"Idempotency-Key": request.form.get("key")
                                    or str(uuid.uuid4())})
    if not answer.ok:
        errors = _field_errors(answer.fields) or {"code": [answer.error.get(
            "message", "Không trả được kết quả.")]}
        return return_page(services, user, code, errors=errors, status=answer.status,
                           receiver=receiver)
    with db.transaction() as cur:
        store.audit(cur, user["username"], "return", code, "ok")
    return redirect(f"/return?code={code}")
