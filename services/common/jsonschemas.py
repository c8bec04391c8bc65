"""Marshmallow schemas as plain JSON Schema, and events checked against their contract's.

The JSON Schema of a contract is what docs/asyncapi.yaml publishes to the departments, so
an event is checked against exactly what its consumers were promised. It is compiled once
(jsonschema-rs): a check costs a few microseconds where a marshmallow load of a dossier
costs tens, and every event a service writes is checked.
"""
from functools import cache

import jsonschema_rs
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .apidocs import OPENAPI_VERSION


def json_schema(schema_cls):
    """A marshmallow schema as plain JSON Schema (apispec's converter, refs inlined, nulls
    as JSON Schema types)."""
    spec = APISpec(title="x", version="1", openapi_version=OPENAPI_VERSION,
                   plugins=[MarshmallowPlugin()])
    plugin = spec.plugins[0]
    return _inline(plugin.converter.schema2jsonschema(schema_cls), spec)


NULLABLE_OBJECT = {"type": "object", "nullable": True}


def _inline(node, spec):
    components = spec.to_dict().get("components", {}).get("schemas", {})
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(components[node["$ref"].rsplit("/", 1)[-1]], spec)
        if "anyOf" in node:
            # a nested schema that may be null: apispec offers "the schema, or a nullable
            # object", which as JSON Schema would let any object through
            node = {**node, "anyOf": [{"type": "null"} if alternative == NULLABLE_OBJECT
                                      else alternative for alternative in node["anyOf"]]}
        node = {key: _inline(value, spec) for key, value in node.items()}
        if node.pop("nullable", False):  # OpenAPI 3.0's spelling; JSON Schema's is a type list
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_inline(value, spec) for value in node]
    return node


@cache
def _validator(contract):
    return jsonschema_rs.validator_for(json_schema(contract), validate_formats=True)


def contract_problems(contract, data):
    """What keeps JSON `data` from fitting `contract` (a marshmallow schema class), each as
    'path: message'; empty when it fits."""
    validator = _validator(contract)
    if validator.is_valid(data):
        return []
    return [f"{'/'.join(map(str, error.instance_path)) or '(data)'}: {error.message}"
            for error in validator.iter_errors(data)]
