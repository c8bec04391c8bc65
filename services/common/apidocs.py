"""The OpenAPI 3.0 document a service serves at /openapi.json: its `@api` routes, read from
the service class, with the marshmallow schemas they declare, so it cannot drift from the
code. `motcua docs` (tooling/docs.py) writes every service's into docs/.
"""
import inspect
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

OPENAPI_VERSION = "3.0.3"
ERROR_STATUSES = {
    400: "malformed request (JSON, header or query)",
    401: "missing or invalid bearer token",
    403: "the token's role or scope does not allow this",
    404: "not found",
    409: "conflict with the current state",
    413: "request body too large",
    422: "some fields are missing or invalid (`fields` names each)",
}


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={
        "example": "validation_failed",
        "description": "what went wrong, for programs: stable, in English"})
    message = fields.String(required=True, metadata={
        "example": "Một số trường còn thiếu hoặc không hợp lệ.",
        "description": "what went wrong, for a person to read: in Vietnamese"})
    fields = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "dotted field path (in English, as in the request) -> its "
                                 "problems (in Vietnamese)"},
    )


class Error(Schema):
    error = fields.Nested(ErrorDetail, required=True)


def _route_path(url):
    """werkzeug's `/a/<code>` or `/a/<int:id>` as OpenAPI's `/a/{code}`, with the names."""
    names = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", url)
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", url), names


def endpoints(cls):
    """(method name, ApiEndpoint) of every `@api` route of a service class, sorted by path."""
    from .http import ApiEndpoint

    found = []
    for method_name, method in inspect.getmembers(cls, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiEndpoint):
                found.append((method_name, method, entrypoint))
    return sorted(found, key=lambda item: (item[2].url, item[2].method))


def _operation(method_name, method, endpoint):
    doc = inspect.getdoc(method) or ""
    path, names = _route_path(endpoint.url)
    operation = {
        "operationId": method_name,
        "summary": endpoint.summary or (doc.splitlines()[0] if doc else method_name),
        "parameters": [
            {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
            for name in names
        ],
        "responses": {},
    }
    if endpoint.query is not None:
        operation["parameters"].append({"in": "query", "schema": endpoint.query})
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True, "content": {"application/json": {"schema": endpoint.body}},
        }
    elif endpoint.upload is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {media_type: {"schema": schema}
                        for media_type, schema in endpoint.upload.items()},
        }
    declared = dict(endpoint.responses)
    if not any(200 <= int(status) < 300 for status in declared):
        declared[200] = "OK"
    for status, spec in sorted(declared.items()):
        description, schema = spec if isinstance(spec, tuple) else (spec, None)
        response = {"description": description}
        if schema is not None:
            response["content"] = {"application/json": {"schema": schema}}
        elif int(status) >= 400:
            response["content"] = {"application/json": {"schema": "Error"}}
        operation["responses"][str(status)] = response
    if endpoint.auth is not None:
        operation["security"] = [{"bearer": []}]
        operation["description"] = "Roles allowed: " + ", ".join(endpoint.auth) + "."
        for status in (401, 403):
            operation["responses"].setdefault(str(status), {"$ref": f"#/components/responses/E{status}"})
    takes_input = any(part is not None for part in (endpoint.body, endpoint.query, endpoint.upload))
    if takes_input:
        for status in (400, 422):
            operation["responses"].setdefault(str(status), {"$ref": f"#/components/responses/E{status}"})
    if endpoint.body is not None or endpoint.upload is not None:
        operation["responses"].setdefault("413", {"$ref": "#/components/responses/E413"})
    if not operation["parameters"]:
        del operation["parameters"]
    return path, endpoint.method.lower(), operation


def openapi_document(cls):
    service = cls.name
    spec = APISpec(
        title=f"motcua {service}",
        version="1",
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": (inspect.getmodule(cls).__doc__ or "").strip()},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    spec.components.schema("Error", schema=Error)
    for status, description in ERROR_STATUSES.items():
        spec.components.response(f"E{status}", {
            "description": description,
            "content": {"application/json": {"schema": "Error"}},
        })
    operations = {}
    for method_name, method, endpoint in endpoints(cls):
        path, verb, operation = _operation(method_name, method, endpoint)
        operations.setdefault(path, {})[verb] = operation
    for path, verbs in operations.items():
        spec.path(path=path, operations=verbs)
    return spec.to_dict()
