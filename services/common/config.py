"""Service settings: each service's config.yml, with nameko's `${VAR:default}` substitution.

The same loader serves nameko (`nameko run --config`), the outbox relays and the CLI, so a
setting means the same thing everywhere.
"""
from functools import cache
from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

SERVICES_DIR = Path(__file__).resolve().parent.parent
# A service is a folder of services/ with a config.yml: adding one needs no edit here.
SERVICE_NAMES = tuple(sorted(p.parent.name for p in SERVICES_DIR.glob("*/config.yml")))


@cache
def _yaml_parser_ready():
    setup_yaml_parser()
    return True


def config_path(service):
    if service not in SERVICE_NAMES:
        raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICE_NAMES)}")
    return SERVICES_DIR / service / "config.yml"


def load_config(service):
    _yaml_parser_ready()
    with open(config_path(service), encoding="utf-8") as handle:
        return yaml.safe_load(handle)
