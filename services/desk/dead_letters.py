"""The dead-letter queue in the desk, for the center's manager: the messages no consumer could
process and why, replayed after a fix or purged, through routing's HTTP API (the rules of
`motcua dlq`: name the messages or take them all); each replay and purge is recorded in
desk.audit with who and when, refused ones too."""
from urllib.parse import quote

from . import store
from .web import PageError, redirect, render

LABELS = {"keys": "Thư lỗi", "confirm": "Xác nhận xóa"}
DONE = {"replay": "Đã phát lại {n} thư về hàng đợi gốc.", "purge": "Đã xóa {n} thư."}
NOTHING_CHOSEN = "Chọn ít nhất một thư, hoặc chọn tất cả thư trong hàng đợi."
PURGE_UNCONFIRMED = "Đánh dấu ô xác nhận: thư đã xóa không lấy lại được."


def dead_letters_page(services, user, request, errors=None, status=200):
    answer = services.call("routing", "GET", "/api/v1/dead-letters")
    done = request.args.get("done")
    count = request.args.get("n", "")
    message = DONE[done].format(n=count) if done in DONE and count.isdigit() else None
    return render("dead_letters.html", status, user=user, letters=answer.body["messages"],
                  errors=errors or {}, labels=LABELS, message=message)


def dead_letter_page(services, user, key):
    answer = services.call("routing", "GET", f"/api/v1/dead-letters/{quote(key, safe='')}")
    if not answer.ok:
        raise PageError(404, answer.error.get("message", ""), "Không tìm thấy thư lỗi")
    return render("dead_letter.html", user=user, letter=answer.body)


def take(db, services, user, request):
    """Replays or purges the messages ticked (or all of them), as the form's button says."""
    form = request.form
    action = form.get("action")
    if action not in DONE:
        raise PageError(400, "Chọn phát lại hoặc xóa.")
    every = form.get("all") == "yes"
    keys = form.getlist("keys")
    errors = {}
    if not keys and not every:
        errors["keys"] = [NOTHING_CHOSEN]
    if action == "purge" and form.get("confirm") != "yes":
        errors["confirm"] = [PURGE_UNCONFIRMED]
    if errors:
        return dead_letters_page(services, user, request, errors, 422)
    answer = services.call("routing", "POST", f"/api/v1/dead-letters/{action}",
                           json={"all": True} if every else {"keys": keys})
    with db.transaction() as cur:
        store.audit(cur, user["username"], f"dead_letters_{action}",
                    "all" if every else ",".join(keys)[:2000], "ok" if answer.ok else "refused")
    if not answer.ok:
        refusal = {"keys": [m for ms in answer.fields.values() for m in ms]
                   or [answer.error.get("message", "")]}
        return dead_letters_page(services, user, request, refusal, 422)
    return redirect(f"/dead-letters?done={action}&n={len(answer.body['messages'])}")
