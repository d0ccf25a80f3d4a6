"""Real server processes for tests: gunicorn, the e-mail worker, the scheduler (issues #12, #16).

`Process` starts a command in the project folder with its output in a file; `wait_for` polls a
URL until it answers 200; `stop` ends each process it started, by its own id.
"""

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = str(Path(sys.executable).parent)  # flask and gunicorn of this virtual environment


class Process:
    """A command run in the project folder, its standard output and error in `log`."""

    def __init__(self, command, environment, log: Path):
        self.log = log
        with log.open("w") as output:
            self.popen = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)

    def output(self, tail=3000):
        return self.log.read_text()[-tail:] if self.log.exists() else ""

    def check_running(self):
        if self.popen.poll() is not None:
            pytest.fail(f"{self.popen.args} stopped ({self.popen.returncode}): {self.output()}")

    def stop(self):
        self.popen.terminate()
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def wait_for(url, process, seconds=60):
    """Poll url until it answers 200 (a server starting needs a second or two); fail with its output."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        process.check_running()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer 200 within {seconds} s: {process.output()}")
