"""The catalogue as its readers get it: the same answers over HTTP and by RPC (postal)."""
from services.common.errors import NotFound

from . import store


def procedure_list(cur, department=None, channel=None):
    """The active procedures, of one department or channel when given."""
    procedures = store.list_procedures(cur, department, channel)
    return {"procedures": procedures, "count": len(procedures)}


def procedure(cur, code):
    found = store.get_procedure(cur, code)
    if found is None:
        raise NotFound(f"Không có thủ tục mã {code}.")
    return found


def agency_list(cur):
    """The agencies that decide procedures, each with its kind and electronic identifier."""
    agencies = [dict(row) for row in store.list_departments(cur)]
    return {"agencies": agencies, "count": len(agencies)}


def center_list(cur):
    """The one-stop centers, the provincial one first, each with its counters."""
    centers = [dict(row) for row in store.list_centers(cur)]
    return {"centers": centers, "count": len(centers)}
