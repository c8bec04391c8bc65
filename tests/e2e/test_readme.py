"""The README's "Using it" commands run as written, in one bash, and each succeeds.

What a reader on a machine already running other things changes, and nothing else:
- the database and RabbitMQ virtual host are this test's, given as DB_URL and AMQP_URI, and
  the services' ports are the README's 8001-8005 plus MOTCUA_E2E_PORT_OFFSET (the relays'
  metrics ports likewise), given as <SERVICE>_HTTP and <SERVICE>_RELAY_METRICS_PORT: the
  README's settings table names all of them;
- the curl commands use those ports;
- after `motcua run &`, the reader waits until every service's /ready answers, and stops it
  at the end;
- `<code>` and `<lookup secret>` are what the submission answered, as the README says.
"""
import json
import os
import re
import subprocess

import pytest

from scripts.stack import HTTP_PORTS, RELAY_PORT_GAP, ensure_database
from tests.conftest import E2E_PORT_OFFSET, ROOT, TEST_DB_URL

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"
RUN_COMMAND = "motcua run &"
ANSWER = "answer.json"  # where the reader keeps the submission's answer to read it


def using_it_commands():
    """The shell commands of the README's "Using it" section (its code blocks, up to the next
    section of the same level), one per command, continuation lines joined."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Using it\n", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```(?:sh|bash|shell)\n(.*?)```", section, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split("  #", 1)[0].strip()  # a comment after the command
            if command:
                commands.append(command)
    return commands


def as_the_reader_runs(command, tmp_path):
    """The command with the substitutions of the module's docstring."""
    for port in HTTP_PORTS.values():
        command = command.replace(f"127.0.0.1:{port}/", f"127.0.0.1:{port + E2E_PORT_OFFSET}/")
    if command == RUN_COMMAND:
        ready = " && ".join(
            f"until curl -sf http://127.0.0.1:{port + E2E_PORT_OFFSET}/ready >/dev/null; "
            "do sleep 0.5; done" for port in HTTP_PORTS.values())
        log = tmp_path / "motcua-run.log"
        return (f"motcua run >{log} 2>&1 & RUNNING=$!; "
                f"trap 'status=$?; kill $RUNNING; wait $RUNNING || true; exit $status' EXIT; {ready}")
    if "/api/v1/dossiers " in command + " " and "-d @" in command:
        return f"{command} -sS -o {tmp_path / ANSWER} -w '%{{http_code}}\\n'"
    read = f"python3 -c 'import json; print(json.load(open(\"{tmp_path / ANSWER}\"))[\"{{}}\"])'"
    command = command.replace("<code>", "$(" + read.format("code") + ")")
    command = command.replace("<lookup secret>", "$(" + read.format("lookup_secret") + ")")
    if command.startswith("curl "):
        return command + " -sS -w '\\n%{http_code}\\n'"
    return command


def test_the_readme_using_it_commands_run_as_written(rabbit_config, tmp_path):
    commands = using_it_commands()
    assert RUN_COMMAND in commands and any("/api/v1/dossiers" in c for c in commands), commands
    db_url = f"{TEST_DB_URL}_readme"
    ensure_database(db_url, fresh=True)
    env = {**os.environ, "DB_URL": db_url, "AMQP_URI": rabbit_config["AMQP_URI"]}
    for secret in ("TOKEN_SECRET", "LOOKUP_PEPPER", "NOTIFY_SECRET_KEY"):
        env.pop(secret, None)  # a reader's shell has none: the README's commands set them
    for service, port in HTTP_PORTS.items():
        env[f"{service.upper()}_HTTP"] = f"127.0.0.1:{port + E2E_PORT_OFFSET}"
        env[f"{service.upper()}_RELAY_METRICS_PORT"] = str(port + E2E_PORT_OFFSET + RELAY_PORT_GAP)
    script = ["set -e"]
    for n, command in enumerate(commands):
        script += [f"echo '>>> {n}'", as_the_reader_runs(command, tmp_path)]
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"

    outputs = re.split(r"^>>> \d+$", done.stdout, flags=re.M)[1:]
    statuses = [int(output.split()[-1]) for command, output in zip(commands, outputs, strict=True)
                if command.startswith("curl ")]
    assert statuses and all(200 <= status < 300 for status in statuses), statuses
    created = json.loads((tmp_path / ANSWER).read_text())
    view = json.loads(outputs[-1].rsplit("\n", 2)[0])
    assert view["code"] == created["code"], view
    print(f"\nREADME \"Using it\": {len(commands)} commands run as written, curl answers "
          f"{statuses}; dossier {created['code']} submitted and looked up ({view['status']})")
