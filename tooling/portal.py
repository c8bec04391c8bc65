"""`motcua portal`: the link to DVCQG through nationalportal's HTTP API, as a manager.
`reconcile --since` compares the dossiers received since then with the portal's and pushes
again what differs; `import-catalogue` compares the portal's procedures, agencies and lĩnh
vực with the local catalogue and reports the differences (nothing is changed)."""
import json
from datetime import datetime

from services.common.events import TIMEZONE
from tooling.calendar import CalendarError, _call


class PortalError(CalendarError):
    """nationalportal refused, or could not be reached."""


def since_moment(text):
    """A date (YYYY-MM-DD, from its start in Asia/Ho_Chi_Minh) or an ISO moment."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=TIMEZONE)


def portal_command(url, token, action, since=None):
    base = url.rstrip("/")
    try:
        if action == "reconcile":
            if not since:
                raise ValueError("reconcile needs --since (YYYY-MM-DD or an ISO moment)")
            return _call("POST", f"{base}/api/v1/reconciliations", token,
                         {"since": since_moment(since).isoformat()})
        return _call("POST", f"{base}/api/v1/catalogue-checks", token)
    except CalendarError as exc:
        raise PortalError(str(exc).replace("intake", "nationalportal")) from exc


def printed(action, report):
    if action == "reconcile":
        return (f"checked={report['checked']} missing={len(report['missing'])} "
                f"differing={len(report['differing'])} steps_missing={report['steps_missing']}"
                + "".join(f"\nmissing   {code}" for code in report["missing"])
                + "".join(f"\ndiffering {code}" for code in report["differing"]))
    lines = []
    for part in ("procedures", "agencies", "sectors"):
        found = report[part]
        lines.append(f"{part}: missing_on_portal={len(found['missing_on_portal'])} "
                     f"missing_locally={len(found['missing_locally'])} "
                     f"differing={len(found['differing'])}")
        lines += [f"  not on the portal: {code}" for code in found["missing_on_portal"]]
        lines += [f"  differs: {json.dumps(row, ensure_ascii=False)}"
                  for row in found["differing"]]
    lines.append("matches" if report["matches"] else "differences found: nothing was changed")
    return "\n".join(lines)
