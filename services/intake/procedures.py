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
