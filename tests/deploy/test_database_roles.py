"""Production's database roles (deploy/k8s/components/postgresql): each service connects as
its own role, which owns its schema and has no right on another's; the migrations run as
that role too. Here on the local PostgreSQL, with the whole stack as processes."""
from contextlib import closing
from urllib.parse import urlsplit

import psycopg2
import pytest
import requests

from scripts.stack import Stack, ensure_database, procfile_commands
from services.common.config import SERVICE_NAMES
from services.common.migrations import migrate
from tests.conftest import (
    E2E_PORT_OFFSET,
    LOOKUP_PEPPER,
    NOTIFY_SECRET_KEY,
    TEST_DB_URL,
    TOKEN_SECRET,
    wait_for,
)
from tests.e2e.test_flow import counter_dossiers, submit
from tests.tooling.test_backup_restore import taken_by_departments

pytestmark = pytest.mark.e2e

ROLES_DB_URL = f"{TEST_DB_URL}_roles"
PREFIX = urlsplit(ROLES_DB_URL).path.lstrip("/")  # roles are the server's: one set per checkout


def role(service):
    return f"{PREFIX}_{service}"


def as_role(service):
    return urlsplit(ROLES_DB_URL)._replace(
        netloc=f"{role(service)}@{urlsplit(ROLES_DB_URL).netloc.rpartition('@')[2]}").geturl()


def superuser(sql, db_url=ROLES_DB_URL):
    with closing(psycopg2.connect(db_url)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)


@pytest.fixture
def database_of_roles():
    """What CloudNativePG's Cluster (managed roles) and Database (schemas) declare."""
    ensure_database(ROLES_DB_URL, fresh=True)
    admin = urlsplit(ROLES_DB_URL)._replace(path="/postgres").geturl()
    for service in SERVICE_NAMES:
        superuser(f'DROP ROLE IF EXISTS "{role(service)}"; CREATE ROLE "{role(service)}" LOGIN',
                  admin)
        superuser(f'CREATE SCHEMA "{service}" AUTHORIZATION "{role(service)}"')
    yield
    superuser(f'DROP DATABASE "{PREFIX}" WITH (FORCE)', admin)
    for service in SERVICE_NAMES:
        superuser(f'DROP ROLE "{role(service)}"', admin)


def test_each_service_migrates_and_runs_as_its_own_role_on_its_own_schema_only(
        database_of_roles, rabbit_config, tmp_path):
    for service in SERVICE_NAMES:
        assert migrate(as_role(service), service)
    for service in SERVICE_NAMES:
        other = next(s for s in SERVICE_NAMES if s != service)
        with closing(psycopg2.connect(as_role(service))) as conn, conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {service}.outbox")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege,
                               match=f"permission denied for schema {other}"):
                cur.execute(f"SELECT count(*) FROM {other}.outbox")

    # every process of the Procfile as its service's role, as the Deployments are
    own_role = {name: {"DB_URL": as_role(name.removesuffix("_relay"))}
                for name in procfile_commands()}
    with Stack(as_role("intake"), rabbit_config["AMQP_URI"], TOKEN_SECRET, tmp_path,
               port_offset=E2E_PORT_OFFSET, process_env=own_role,
               extra_env={"LOOKUP_PEPPER": LOOKUP_PEPPER, "NOTIFY_SECRET_KEY": NOTIFY_SECRET_KEY,
                          "DB_POOL_SIZE": "4"}) as stack:
        for service in SERVICE_NAMES:  # the migration Job's steps, each as its own role
            stack.env["DB_URL"] = as_role(service)
            stack.cli("migrate", "--service", service)
        stack.env["DB_URL"] = as_role("intake")
        stack.cli("catalogue", "load", "services/intake/catalogue/procedures.yml")
        stack.start()
        department, body = next(counter_dossiers(1, seed=5))
        dossier = submit(stack, department, body)
        taken = {}
        wait_for(lambda: taken.update(taken_by_departments(rabbit_config["AMQP_URI"]))
                 or dossier["code"] in taken, timeout=30)
        lookup = requests.get(stack.url("routing", f"/api/v1/dossiers/{dossier['code']}"),
                              params={"secret": dossier["lookup_secret"]}, timeout=5)
        assert lookup.status_code == 200
    logs = "".join(path.read_text(errors="replace") for path in tmp_path.glob("*.log"))
    assert "permission denied" not in logs
