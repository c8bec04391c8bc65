"""`motcua calendar`: the province's calendar overrides through intake's HTTP API, which owns
them (GET /api/v1/calendar, PUT and DELETE /api/v1/calendar/days/<day>)."""
import json
import urllib.error
import urllib.parse
import urllib.request


class CalendarError(Exception):
    """intake refused the change, or could not be reached: the reason, as it said it."""


def change_calendar(intake_url, token, action, day=None, kind=None, note=None):
    """The overrides after `action` (list, add, remove); ValueError for a request that
    cannot be sent."""
    if action != "list" and not day:
        raise ValueError(f"{action} needs the day (YYYY-MM-DD)")
    if action == "add" and not kind:
        raise ValueError("add needs --day-off or --working-day")
    url = intake_url.rstrip("/") + "/api/v1/calendar"
    if action == "list":
        return _call("GET", url, token)
    url += f"/days/{urllib.parse.quote(day)}"
    if action == "add":
        return _call("PUT", url, token, {"kind": kind, "note": note})
    return _call("DELETE", url, token)


def _call(method, url, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise CalendarError(_reason(exc)) from exc
    except OSError as exc:
        raise CalendarError(f"intake is not reachable at {url}: {exc}") from exc


def _reason(exc):
    """intake's error message and the fields it names."""
    try:
        error = json.loads(exc.read())["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {exc.code}"
    fields = "; ".join(f"{name}: {' '.join(problems)}"
                       for name, problems in (error.get("fields") or {}).items())
    return f"HTTP {exc.code} {error['code']}: {error['message']}" + (f" ({fields})" if fields else "")
