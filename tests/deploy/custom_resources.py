"""Custom resources checked offline against the operators' CRD schemas vendored in
deploy/k8s/crds/ (versions and sources in its README), as the API server checks them with
strict field validation: every field must be one the schema declares (an object that lists
its properties is closed, unless the schema keeps unknown fields), with its type, enum,
pattern, bounds and required fields. Not checked here: the CEL rules
(x-kubernetes-validations) and what the operators' admission webhooks add."""
from functools import cache

import jsonschema
import yaml

from tooling import ROOT

CRDS = ROOT / "deploy" / "k8s" / "crds"


def closed(schema):
    """The schema with `additionalProperties: false` wherever it lists properties and neither
    maps (additionalProperties) nor keeps unknown fields."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: closed(value) if key in ("items", "additionalProperties", "not") else
              [closed(s) for s in value] if key in ("anyOf", "allOf", "oneOf") else
              {name: closed(s) for name, s in value.items()} if key == "properties" else value
              for key, value in schema.items()}
    if ("properties" in schema and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")):
        result["additionalProperties"] = False
    return result


@cache
def schemas():
    """{(apiVersion, kind): closed schema} of every served version of every vendored CRD."""
    found = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
                found[key] = closed(version["schema"]["openAPIV3Schema"])
    return found


def has_schema(document):
    return (document.get("apiVersion"), document.get("kind")) in schemas()


def validate(document):
    """Raises jsonschema.ValidationError, naming the first field that is wrong."""
    schema = schemas()[(document["apiVersion"], document["kind"])]
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema).iter_errors(document))
    if error is not None:
        raise error
