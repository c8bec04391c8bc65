"""What `make demo` shows of online dossiers: the portal hands one in, it waits unnumbered
until a counter officer of the competent agency formally receives it (within 8 office
hours, Decree 118/2025 art. 17(2)(c)), and only then is it numbered, its receipt issued and
its period started, that day."""
from datetime import datetime

import requests

TIMEOUT = 30


def post(stack, path, token, body=None, key=None):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    response = requests.post(stack.url("intake", path), json=body, headers=headers,
                             timeout=TIMEOUT)
    return response.status_code, response.json()


def submit(stack, portal_token, body, key=None):
    """The portal hands an online dossier in: (status, the submission or the error)."""
    return post(stack, "/api/v1/submissions", portal_token, body, key)


def receive(stack, officer_token, submission_id):
    """The officer's formal reception: (status, the numbered dossier or the error)."""
    return post(stack, f"/api/v1/submissions/{submission_id}/reception", officer_token)


def submit_and_receive(stack, portal_token, officer_token, body):
    """(status, answer) of the reception, or of the submission when it was refused."""
    status, submission = submit(stack, portal_token, body)
    if status != 201:
        return status, submission
    return receive(stack, officer_token, submission["id"])


def when(iso):
    return f"{datetime.fromisoformat(iso):%H:%M:%S %d/%m/%Y}"


def day(iso):
    return f"{datetime.fromisoformat(iso):%d/%m/%Y}"


def show(stack, portal_token, officer_token, officer, body):
    """One online dossier from the portal to its formal reception, with its dates: (True when
    it was numbered only at the reception and dated that day, the dossier or None)."""
    status, submission = submit(stack, portal_token, body)
    if status != 201:
        print(f"  the portal's submission was refused: HTTP {status} {submission}")
        return False, None
    print(f"  {when(submission['submitted_at'])}  the portal hands in {body['procedure_code']} "
          f"({submission['procedure']['name'][:50]}): submission {submission['id'][:8]}…, "
          f"{submission['status']}, no code yet")
    print(f"  {'':19}  to be received or sent back for corrections by "
          f"{when(submission['receive_by'])} (8 office hours)")
    waiting = requests.get(stack.url("intake", "/api/v1/submissions"), timeout=TIMEOUT,
                           headers={"Authorization": f"Bearer {officer_token}"}).json()
    print(f"  {'':19}  {officer}'s list of online dossiers awaiting reception: "
          f"{waiting['count']}")
    status, dossier = receive(stack, officer_token, submission["id"])
    if status != 201:
        print(f"  the reception was refused: HTTP {status} {dossier}")
        return False, None
    print(f"  {when(dossier['received_at'])}  {officer} receives it: code {dossier['code']}, "
          f"receipt issued; its period runs from this reception: due {day(dossier['due_at'])}")
    shown = requests.get(stack.url("intake", f"/api/v1/submissions/{submission['id']}"),
                         headers={"Authorization": f"Bearer {portal_token}"},
                         timeout=TIMEOUT).json()
    print(f"  {'':19}  the portal now finds it {shown['status']} as {shown['dossier_code']}")
    numbered_that_day = dossier["code"].split("-")[-2] == \
        f"{datetime.fromisoformat(dossier['received_at']):%y%m%d}"
    return shown["dossier_code"] == dossier["code"] and numbered_that_day, dossier
