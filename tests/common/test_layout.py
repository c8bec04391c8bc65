"""The layout DESIGN.md asks of a service's folder, checked on the code itself: SQL only in
store modules (and migrations), no request parsing in service.py (the kernel's @api loads what an endpoint
declares), and service classes short enough to read as declarations."""
import ast
from pathlib import Path

import pytest

from services.common.config import SERVICE_NAMES, SERVICES_DIR

MAX_SERVICE_CLASS_LINES = 250
# Calls that talk to the database directly.
SQL_CALLS = {"execute", "executemany", "execute_values", "copy_expert", "mogrify",
             "fetchone", "fetchall", "fetchmany"}
# What reading a request by hand looks like: its raw body, query string or JSON.
REQUEST_READS = {"args", "stream", "get_data", "get_json", "form", "files", "data"}
PARSING_CALLS = {"read_json", "read_query", "loads"}


def modules(service):
    """The service's Python modules, its migrations left out (they are the schema's own SQL)."""
    return sorted(path for path in (SERVICES_DIR / service).rglob("*.py")
                  if "migrations" not in path.relative_to(SERVICES_DIR).parts)


def calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            yield node.lineno, name


def where(path, line):
    return f"{path.relative_to(SERVICES_DIR.parent)}:{line}"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_sql_is_executed_only_in_store_modules(service):
    found = [where(path, line) for path in modules(service) if path.stem != "store"
             for line, name in calls(ast.parse(path.read_text(encoding="utf-8")))
             if name in SQL_CALLS]
    assert not found, "SQL outside store modules: " + ", ".join(found)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_service_py_parses_no_request(service):
    path = SERVICES_DIR / service / "service.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [where(path, line) for line, name in calls(tree) if name in PARSING_CALLS]
    found += [where(path, node.lineno) for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and node.attr in REQUEST_READS
              and isinstance(node.value, ast.Name) and node.value.id == "request"]
    assert not found, "request parsing in service.py: " + ", ".join(found)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_service_classes_read_as_declarations(service):
    path = SERVICES_DIR / service / "service.py"
    classes = [node for node in ast.parse(path.read_text(encoding="utf-8")).body
               if isinstance(node, ast.ClassDef)]
    assert classes, f"no class in {path}"
    long = {c.name: c.end_lineno - c.lineno + 1 for c in classes
            if c.end_lineno - c.lineno + 1 > MAX_SERVICE_CLASS_LINES}
    assert not long, f"service classes over {MAX_SERVICE_CLASS_LINES} lines: {long}"


def test_the_checks_see_every_service():
    assert len(SERVICE_NAMES) >= 5
    assert all(Path(SERVICES_DIR / s / "service.py").exists() for s in SERVICE_NAMES)
