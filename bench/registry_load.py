"""Starts a throw-away registry (tests/server/registry_harness.py: private
PostgreSQL, development PKI, demo accounts, kijun-server) and runs
bench/check_load against POST /check with the example Parkinson form.

usage: python3 bench/registry_load.py [BUILD_DIR] [CONNECTIONS] [SECONDS] [SERVER_THREADS]"""

import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
sys.path.insert(0, os.path.join(repo, "tests", "server"))
from registry_harness import Registry  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "build")
connections = sys.argv[2] if len(sys.argv) > 2 else "8"
seconds = sys.argv[3] if len(sys.argv) > 3 else "10"
reg = Registry(repo, build)
# A load test: no rate limits (they are per terminal and per session).
reg.server_args = ["--rate-limit", "0", "--session-rate-limit", "0"]
try:
    reg.start()
    clerk = reg.users["clerk.suzuki"]
    out = subprocess.run(
        [f"{build}/bench/check_load", "--port", str(reg.port), "--pki", reg.pki,
         "--login", "clerk.suzuki", "--password", clerk["password"],
         "--form", f"{repo}/diseases/examples/parkinson_form.json",
         "--connections", connections, "--seconds", seconds],
        check=True, capture_output=True, text=True)
    print(out.stdout, end="")
finally:
    reg.stop()
