"""scripts/system_packages.sh, shared by make demo, make test and .ci/run."""
import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "system_packages.sh"


def test_with_every_package_present_it_only_checks():
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "CI": ""})
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the script as another user")
def test_without_root_it_names_the_missing_packages_and_the_command_to_run():
    # /usr/sbin hidden: bearerbox and rabbitmq-server look missing to an unprivileged user
    done = subprocess.run(["su", "nobody", "-s", "/bin/bash", "-c",
                           f"PATH=/usr/bin:/bin bash {SCRIPT}"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "rabbitmq-server" in done.stderr and "kannel" in done.stderr.split("\n")[0]
    assert "sudo apt-get update && sudo apt-get install -y" in done.stderr
