"""The operator's tools, outside the services: the `motcua` command line, provisioning,
docs generation and the dead-letter queue. They may import any service; no service imports
them."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
