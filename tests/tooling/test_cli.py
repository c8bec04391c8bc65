"""The operator's command line as an operator runs it (the installed `motcua` script): a
token carries the role and scope asked for, a bad request or a bad catalogue file is refused
with the reason and exit code 2, and `motcua run` finds honcho and the services without an
activated virtual environment."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from services.common.auth import authenticate
from tooling import cli

MOTCUA = str(Path(sys.executable).parent / "motcua")
SECRET = secrets.token_urlsafe(32)


def motcua(*args, **env):
    environment = {**os.environ, "TOKEN_SECRET": SECRET, **env}
    return subprocess.run([MOTCUA, *args], capture_output=True, text=True, timeout=60,
                          env=environment)


@pytest.mark.parametrize("role", ["counter_officer", "leader"])
def test_token_carries_the_role_and_department_asked_for(role):
    result = motcua("token", "--role", role, "--department", "stp", "--subject", "canbo.stp.01")
    assert result.returncode == 0, result.stderr
    principal = authenticate(SECRET, f"Bearer {result.stdout.strip()}")
    assert (principal.role, principal.department, principal.subject) == (
        role, "stp", "canbo.stp.01")


def test_postal_clerk_token_carries_its_post_office():
    result = motcua("token", "--role", "postal_clerk", "--post-office", "BD-TINH")
    assert result.returncode == 0, result.stderr
    assert authenticate(SECRET, f"Bearer {result.stdout.strip()}").post_office == "BD-TINH"


@pytest.mark.parametrize("args, env, reason", [
    (("--role", "counter_officer"), {}, "needs --department"),
    (("--role", "leader"), {}, "needs --department"),
    (("--role", "manager"), {"TOKEN_SECRET": "short"}, "TOKEN_SECRET must be set"),
    (("--role", "citizen"), {}, "invalid choice: 'citizen'"),
])
def test_a_token_that_cannot_be_issued_is_refused_with_the_reason(args, env, reason):
    result = motcua("token", *args, **env)
    assert result.returncode == 2
    assert reason in result.stderr and result.stdout == ""


def test_a_catalogue_with_bad_rows_is_refused_whole_naming_row_and_field(tmp_path):
    bad = tmp_path / "procedures.yml"
    shipped = (cli.ROOT / "services/intake/catalogue/procedures.yml").read_text()
    bad.write_text(shipped.replace("processing_days: 15", "processing_days: 0", 1))
    assert bad.read_text() != shipped
    for action in ("check", "load"):  # load refuses before it touches the database
        result = motcua("catalogue", action, str(bad), DB_URL="postgresql://nobody@127.0.0.1:1/x")
        assert result.returncode == 2
        assert "rejected, nothing loaded" in result.stderr
        assert "processing_days" in result.stderr and "procedures[" in result.stderr


def test_an_unreadable_catalogue_file_is_named_not_a_traceback(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("procedures: [\n")
    for path in (broken, tmp_path / "missing.yml"):
        result = motcua("catalogue", "check", str(path))
        assert result.returncode == 2
        assert f"{path}: cannot be read" in result.stderr and "Traceback" not in result.stderr


def test_run_finds_honcho_and_the_services_without_an_activated_environment(monkeypatch):
    started = {}
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setattr(os, "chdir", lambda path: None)
    monkeypatch.setattr(os, "execvpe", lambda file, args, env: started.update(
        file=file, args=args, env=env))
    monkeypatch.setattr(os, "execvp", lambda file, args: started.update(file=file, args=args))
    cli.cmd_run(None)
    bin_dir = Path(sys.executable).parent
    first = started["env"]["PATH"].split(os.pathsep)[0]
    assert first == str(bin_dir)
    assert all((bin_dir / tool).exists() for tool in ("honcho", "nameko", "motcua"))
    assert started["args"][:2] == ["honcho", "start"]
