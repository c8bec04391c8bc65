"""Reconciliation (`motcua portal reconcile --since`): each dossier received since a moment
looked up on the portal (TraCuuHoSo) and compared with what motcua holds; what differs is
pushed again by the sync (the dossier due again, the steps the portal lacks reopened)."""
from . import mapping, store

MAX_DOSSIERS = 10000


def reconcile(db, portal, since):
    with db.transaction() as cur:
        codes = store.codes_since(cur, since, MAX_DOSSIERS)
    report = {"checked": 0, "missing": [], "differing": [], "steps_missing": 0}
    for code in codes:
        found = portal.call("lookup", mahoso=code).get("result") or []
        with db.transaction() as cur:
            steps = store.steps_of(cur, [code])
            dossier = store.get_dossier(cur, code)
            report["checked"] += 1
            if dossier["state"] == "failed":
                continue  # already a dead letter a person sees
            if not found:
                report["missing"].append(code)
                store.lost_on_portal(cur, code)
                store.reopen_steps(cur, [step["id"] for step in steps])
                store.behind(cur, [code])
                continue
            shown = found[0]
            expected = mapping.STATUS_CODES[mapping.status_of(steps)]
            lacking = [step["id"] for step in steps if step["state"] == "acknowledged"
                       and not any(mapping.same_step(
                           mapping.step_row(code, step["facts"], None), row)
                           for row in shown.get("TienDo") or [])]
            if str(shown.get("TrangThaiHoSo")) != expected or lacking:
                report["differing"].append(code)
                report["steps_missing"] += len(lacking)
                store.reopen_steps(cur, lacking)
                store.behind(cur, [code])
    return report
