"""The device at a counter (tablet), signed in as the counter's officer: the citizen who was
just served evaluates that officer (Decree 118/2025 art. 31(1)(b)) with one touch, then the
screen thanks them and is ready for the next. Routing records the visit for the token's
officer."""
import uuid

from .web import redirect, render

LABELS = {"level": "Mức độ hài lòng", "comment": "Ý kiến khác", "dossier_code": "Mã hồ sơ"}


def tablet_page(services, user, request, values=None, errors=None, status=200):
    thanked = request.args.get("da-ghi-nhan") == "1" and not errors
    question = services.call("routing", "GET", "/api/v1/evaluation-forms").body["counter_visit"]
    return render("tablet.html", status, user=None, officer=user, question=question,
                  values=values or {}, errors=errors or {}, labels=LABELS, thanked=thanked,
                  key=str(uuid.uuid4()))


def evaluate_visit(services, user, request):
    form = request.form
    values = {name: form.get(name, "").strip() for name in ("level", "comment", "dossier_code")}
    if not values["level"]:
        return tablet_page(services, user, request, values,
                           {"level": ["Xin chạm vào một mức độ hài lòng."]}, 422)
    body = {"level": values["level"], "comment": values["comment"][:1000] or None,
            "dossier_code": values["dossier_code"].upper() or None}
    answer = services.call("routing", "POST", "/api/v1/counter-evaluations", expect=(200, 201),
                           json=body, headers={"Idempotency-Key": form.get("key")
                                               or str(uuid.uuid4())})
    if not answer.ok:
        errors = {name: messages for name, messages in answer.fields.items()} or {
            "level": [answer.error.get("message", "Chưa ghi nhận được; xin thử lại.")]}
        return tablet_page(services, user, request, values, errors, 422)
    return redirect("/quay/danh-gia?da-ghi-nhan=1")  # a reload asks nothing again
