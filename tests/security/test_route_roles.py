"""Every route of every service enforces exactly the roles it declares (`@api(auth=...)`):
walked from the service classes themselves, so a new route is covered without a table.
A caller whose role is not declared gets the role refusal (403); a caller without a token
gets 401; a caller whose role is declared never gets either (the route then answers by what
it was sent, which this test does not judge)."""
import re

from services.common.apidocs import endpoints
from services.common.auth import ROLE_NAMES, ROLE_SCOPES
from services.common.config import SERVICE_NAMES
from tests.conftest import token
from tests.security.conftest import DEPARTMENT, OFFICE
from tooling.topology import service_class

ROLE_REFUSAL = re.compile(r"^Vai trò (.+?) không được làm việc này")
ROLE_OF_NAME = {name: role for role, name in ROLE_NAMES.items()}
# A path parameter the world has no value for gets one that names nothing.
PATH_VALUES = {"action": "accept"}


def caller_of(role):
    scope = ROLE_SCOPES[role]
    if scope in ("department", "center_or_department"):
        return token(role, department=DEPARTMENT, subject="route-walk")
    if scope == "post_office":
        return token(role, post_office=OFFICE["code"], subject="route-walk")
    if scope == "dossier":
        return token(role, dossier="route-walk-dossier", subject="route-walk")
    return token(role, subject="route-walk")


def guarded_routes():
    return [(service, endpoint) for service in SERVICE_NAMES
            for _, _, endpoint in endpoints(service_class(service)) if endpoint.auth is not None]


def path_of(url, ids):
    return re.sub(r"<(?:\w+:)?(\w+)>",
                  lambda m: str(ids.get(m.group(1)) or PATH_VALUES.get(m.group(1), "khong-co")),
                  url)


def refused_role(response):
    if response.status_code != 403:
        return None
    match = ROLE_REFUSAL.match(response.json()["error"]["message"])
    return match and ROLE_OF_NAME.get(match.group(1))


def test_every_guarded_route_enforces_exactly_its_declared_roles(world):
    routes = guarded_routes()
    assert len(routes) > 30, "the walk found too few guarded routes"
    wrong = []
    for service, endpoint in routes:
        path = path_of(endpoint.url, world.ids)
        client = world.clients[service]
        anonymous = client.request(endpoint.method, path, json={})
        if anonymous.status_code != 401:
            wrong.append(f"{service} {endpoint.method} {endpoint.url} without a token: "
                         f"{anonymous.status_code}")
        for role in ROLE_SCOPES:
            response = client.request(endpoint.method, path, token=caller_of(role), json={})
            declared = role in endpoint.auth
            refused = refused_role(response) == role
            if declared and (refused or response.status_code == 401):
                wrong.append(f"{service} {endpoint.method} {endpoint.url}: declared role "
                             f"{role} refused ({response.status_code})")
            if not declared and not refused:
                wrong.append(f"{service} {endpoint.method} {endpoint.url}: undeclared role "
                             f"{role} not refused ({response.status_code})")
    print(f"route walk: {len(routes)} guarded routes x {len(ROLE_SCOPES)} roles")
    assert not wrong, "\n".join(wrong)
