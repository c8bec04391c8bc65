"""services/common is a leaf and services are independent: the kernel imports no service, a
service imports only the kernel and its own package, and nothing in services/ imports the
tooling, the scripts, the tests or the benchmark (which may import any service)."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import services

SERVICES_DIR = Path(services.__file__).parent
PACKAGES = sorted(path.name for path in SERVICES_DIR.iterdir()
                  if path.is_dir() and any(path.rglob("*.py")))
OUTSIDE_SERVICES = {"tooling", "scripts", "tests", "bench"}

LOADED_BY_THE_KERNEL = """
import importlib, json, pkgutil, sys
import services.common
for module in pkgutil.walk_packages(services.common.__path__, "services.common."):
    importlib.import_module(module.name)
print(json.dumps(sorted(sys.modules)))
"""


def test_importing_every_module_of_the_kernel_loads_no_service():
    result = subprocess.run([sys.executable, "-c", LOADED_BY_THE_KERNEL], capture_output=True,
                            text=True, timeout=120, cwd=SERVICES_DIR.parent)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert "services.common.relay" in loaded and "services.common.http" in loaded
    leaked = [name for name in loaded if name.startswith("services.")
              and name != "services.common" and not name.startswith("services.common.")]
    assert leaked == []


def dynamic_import(node):
    """The module name an `import_module(...)` or `__import__(...)` call is given literally, a
    formatted part as `*` (`f"services.{name}.service"`: `services.*.service`)."""
    function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
    if function not in ("import_module", "__import__") or not node.args:
        return None
    name = node.args[0]
    if isinstance(name, ast.Constant) and isinstance(name.value, str):
        return name.value
    if isinstance(name, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "*" for part in name.values)
    return None


def imported_modules(path, package):
    """(line, absolute module name) of each import of a file, relative ones resolved; for
    `from a import b`, both `a` and `a.b` (b may be a module: `from services import routing`);
    and of each module imported by a literal name at run time."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Call) and dynamic_import(node):
            yield node.lineno, dynamic_import(node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[:len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def forbidden_imports(owner):
    """`file:line imports module` for every import by services/<owner> that it may not make:
    another service's modules (services/common: any service's), or the tooling, scripts,
    tests or benchmark."""
    allowed = {"common", owner}
    found = []
    for path in sorted((SERVICES_DIR / owner).rglob("*.py")):
        relative = path.relative_to(SERVICES_DIR.parent)
        package = ".".join(relative.parent.parts)
        for line, module in imported_modules(path, package):
            parts = module.split(".")
            if (parts[0] == "services" and len(parts) > 1 and parts[1] not in allowed) \
                    or parts[0] in OUTSIDE_SERVICES:
                found.append(f"{relative}:{line} imports {module}")
    return sorted(set(found))


def test_every_service_package_is_checked():
    assert {"common", "intake", "routing", "notify", "payment", "postal"} <= set(PACKAGES)


@pytest.mark.parametrize("owner", PACKAGES)
def test_a_package_of_services_imports_only_the_kernel_and_itself(owner):
    assert forbidden_imports(owner) == []
