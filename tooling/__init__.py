"""The operator's tools, outside the services: the `motcua` command line, provisioning,
docs generation. They may import any service; no service imports them. (The dead-letter
queue's tool is services/common/dead_letters.py: routing serves it over HTTP to the desk.)"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
