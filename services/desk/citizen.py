"""The citizen's pages about their dossier (no sign-in): the lookup by code and lookup secret
(or the receipt's QR code, whose secret the page's own script reads from the address's
fragment), the dossier's status in plain Vietnamese with its timeline, what is asked of them
and the forms issued to them, and the evaluation of the nine items of Decree 118/2025 art.
33(1). Routing checks every secret and answers an unknown code as a wrong secret; the desk
counts the checks (citizen_access.SecretChecks) and keeps a proved secret in an encrypted
cookie for the dossier's other pages."""
import uuid
from urllib.parse import quote

from werkzeug.wrappers import Response

from . import citizen_payment
from .citizen_access import CODE_PATTERN, NOT_FOUND, checked_code, secret_or_lookup
from .web import PageError, redirect, render, with_citizen_csrf

LABELS = {"code": "Mã hồ sơ", "secret": "Mã tra cứu", "comment": "Ý kiến khác"}
# a result shipment's status and tracking events (postal's), as the citizen reads them
SHIPMENT_LABELS = {"created": "Bưu điện đã nhận yêu cầu chuyển phát kết quả",
                   "picked_up": "Bưu điện đã nhận kết quả tại Trung tâm",
                   "in_transit": "Đang chuyển phát", "delivered": "Đã giao đến Ông/Bà",
                   "delivery_failed": "Giao không thành công",
                   "returned_to_center": "Đã chuyển trả về Trung tâm; mời Ông/Bà đến nhận"}
PUBLIC_FORMS = ("supplement_request", "refusal", "extension", "stop_notice")


def dossier_path(code, rest=""):
    return f"/tra-cuu/{quote(code, safe='')}{rest}"


def _typed(form):
    """The code and secret as typed (codes and secrets are printed in capitals)."""
    return form.get("code", "").strip().upper(), form.get("secret", "").strip().upper()


def _missing(code, secret):
    errors = {}
    if not code:
        errors["code"] = ["Hãy nhập mã hồ sơ in trên giấy tiếp nhận."]
    elif not CODE_PATTERN.match(code):
        errors["code"] = ["Mã hồ sơ gồm chữ, số, dấu chấm và gạch nối, như in trên giấy tiếp "
                          "nhận."]
    if not secret:
        errors["secret"] = ["Hãy nhập mã tra cứu in cạnh mã QR trên giấy tiếp nhận."]
    return errors


# the lookup -----------------------------------------------------------------------------------
def lookup_form(request, settings, dossier_pass, code="", errors=None, status=200):
    code = code or request.args.get("ma", "").strip()
    if status == 200 and code and dossier_pass.secret_for(request, code):
        return redirect(dossier_path(code))  # let in a minute ago: no second check
    return with_citizen_csrf(request, settings.secure_cookies, lambda csrf: render(
        "lookup.html", status, user=None, csrf=csrf, code=code, errors=errors or {},
        labels=LABELS))


def look_up(services, secret_checks, dossier_pass, settings, request):
    code, secret = _typed(request.form)
    errors = _missing(code, secret)
    if errors:
        return lookup_form(request, settings, dossier_pass, code, errors, 422)
    secret_checks(request, code)
    answer = services.call("routing", "GET", f"/api/v1/dossiers/{quote(code, safe='')}",
                           params={"secret": secret})
    if not answer.ok:
        return lookup_form(request, settings, dossier_pass, code, {"secret": [NOT_FOUND]}, 404)
    return redirect(dossier_path(code), [dossier_pass.cookie(code, secret)])


def dossier_page(services, settings, dossier_pass, request, code):
    code = checked_code(code)
    secret = secret_or_lookup(request, dossier_pass, code)
    found = services.together(
        dossier=lambda: services.call("routing", "GET", f"/api/v1/dossiers/{quote(code, safe='')}",
                                      params={"secret": secret}),
        bills=lambda: citizen_payment.bills_of(services, code),
        shipment=lambda: services.as_citizen_of(code).call(
            "postal", "GET", f"/api/v1/dossiers/{quote(code, safe='')}/shipment"))
    if not found["dossier"].ok:
        raise PageError(404, NOT_FOUND, "Không tìm thấy hồ sơ")
    return with_citizen_csrf(request, settings.secure_cookies, lambda csrf: render(
        "citizen_dossier.html", user=None, csrf=csrf, dossier=found["dossier"].body,
        bills=found["bills"], bill_statuses=citizen_payment.BILL_STATUSES,
        shipment=found["shipment"].body if found["shipment"].ok else None,
        shipment_labels=SHIPMENT_LABELS, key=str(uuid.uuid4())))


def issued_form(services, dossier_pass, request, code, form):
    """A form issued to the applicant, printable, as routing prints it."""
    code = checked_code(code)
    secret = secret_or_lookup(request, dossier_pass, code)
    if form not in PUBLIC_FORMS:
        raise PageError(404, "Không có biểu mẫu này.", "Không tìm thấy")
    answer = services.call("routing", "GET",
                           f"/api/v1/dossiers/{quote(code, safe='')}/forms/{form}",
                           params={"secret": secret, "format": "html"})
    if not answer.ok:
        raise PageError(404, answer.error.get("message", "Không có biểu mẫu này."),
                        "Không tìm thấy")
    return Response(answer.text, mimetype="text/html")


# the evaluation ---------------------------------------------------------------------------------
def _evaluation_questions(services):
    return services.call("routing", "GET", "/api/v1/evaluation-forms").body["dossier"]


def evaluation_form(services, dossier_pass, settings, request, code, values=None, errors=None,
                    status=200, refused=None):
    code = checked_code(code)
    questions = _evaluation_questions(services)
    labels = {**LABELS, **{f"answer.{item['value']}": item["label"]
                           for item in questions["items"]}}
    return with_citizen_csrf(request, settings.secure_cookies, lambda csrf: render(
        "evaluation.html", status, user=None, csrf=csrf, code=code, questions=questions,
        values=values or {}, errors=errors or {}, labels=labels, refused=refused,
        secret_known=dossier_pass.secret_for(request, code) is not None))


def _answers(form, questions):
    answers, errors = {}, {}
    allowed = {answer["value"] for answer in questions["answers"]}
    for item in questions["items"]:
        chosen = form.get(f"answer.{item['value']}", "")
        if chosen in allowed:
            answers[item["value"]] = chosen
        else:
            errors[f"answer.{item['value']}"] = ["Hãy chọn một mức (hoặc “Không áp dụng”)."]
    return answers, errors


def evaluate(services, secret_checks, dossier_pass, settings, request, code):
    code = checked_code(code)
    form = request.form
    values = form.to_dict()
    questions = _evaluation_questions(services)
    answers, errors = _answers(form, questions)
    secret = dossier_pass.secret_for(request, code)
    typed = secret is None
    if typed:
        secret = form.get("secret", "").strip().upper()
        if not secret:
            errors["secret"] = ["Hãy nhập mã tra cứu in trên giấy tiếp nhận."]
    comment = form.get("comment", "").strip()[:2000] or None
    if errors:
        return evaluation_form(services, dossier_pass, settings, request, code, values, errors,
                               422)
    if typed:
        secret_checks(request, code)
    answer = services.call("routing", "POST",
                           f"/api/v1/dossiers/{quote(code, safe='')}/evaluation",
                           expect=(201,), json={"secret": secret, "answers": answers,
                                                "comment": comment})
    if answer.status == 404:
        return evaluation_form(services, dossier_pass, settings, request, code, values,
                               {"secret": [NOT_FOUND]}, 404)
    if answer.status == 409:
        return evaluation_form(services, dossier_pass, settings, request, code, status=409,
                               refused=answer.error.get("message"))
    if not answer.ok:
        fields = {f"answer.{name.split('.')[-1]}" if name.startswith("answers") else name:
                  messages for name, messages in answer.fields.items()}
        return evaluation_form(services, dossier_pass, settings, request, code, values,
                               fields, 422)
    cookies = [dossier_pass.cookie(code, secret)] if typed else []
    return redirect(f"/danh-gia/{quote(code, safe='')}/cam-on", cookies)


def evaluated(code):
    return render("evaluated.html", user=None, code=checked_code(code),
                  lookup=dossier_path(code))
