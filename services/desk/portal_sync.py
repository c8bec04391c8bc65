"""The link with the National Public Service Portal (DVCQG), for the center's manager, through
nationalportal's HTTP API: how much is synced and how late, the dossiers the portal refused
(each sent again once what failed is fixed) and the online dossiers parked for a person. Each
"send again" is recorded in desk.audit with who and when."""
from urllib.parse import quote

from . import store
from .web import redirect, render

SYNC_STATES = {"pending": "Chờ gửi", "sent": "Đã gửi, chờ xác nhận",
               "acknowledged": "Cổng đã xác nhận", "failed": "Lỗi, cần xử lý"}


def sync_page(services, user, request, refusal=None, status=200):
    found = services.together(
        overview=lambda: services.call("nationalportal", "GET", "/api/v1/sync"),
        parked=lambda: services.call("nationalportal", "GET", "/api/v1/inbound",
                                     params={"state": "parked"}))
    retried = request.args.get("retried")
    return render("portal_sync.html", status, user=user, sync=found["overview"].body,
                  parked=found["parked"].body["inbound"], states=SYNC_STATES,
                  retried=retried, refusal=refusal)


def retry(db, services, user, request, code):
    """Sends a failed dossier (and its failed steps) to the portal again."""
    answer = services.call("nationalportal", "POST",
                           f"/api/v1/sync/dossiers/{quote(code, safe='')}/retry")
    with db.transaction() as cur:
        store.audit(cur, user["username"], "portal_retry", code, "ok" if answer.ok else "refused")
    if not answer.ok:
        return sync_page(services, user, request, answer.error.get("message", ""), answer.status)
    return redirect(f"/portal-sync?retried={quote(code)}")
