from pathlib import Path

KANNEL_CONFIG = Path(__file__).resolve().parent / "kannel" / "kannel.conf"
