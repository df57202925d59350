"""A real registry for integration tests: a private PostgreSQL cluster, a
development PKI, the demo accounts and kijun-server on a free port, all in a
temporary folder; plus a TLS client that presents a terminal certificate and
signs in with password + TOTP. Standard library only."""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse


def totp(secret, at=None, step_offset=0):
    """RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) of a base32 secret."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30) + step_offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 15
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000
    return f"{code:06d}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    def __init__(self, repo, build):
        self.repo = repo
        self.build = build
        # Under /tmp: PostgreSQL runs as "postgres" and must reach the socket.
        self.dir = tempfile.mkdtemp(prefix="kijun-registry-test-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.pki = os.path.join(self.dir, "pki")
        # The data-encryption key folder: created by `kijun-admin seed-demo`
        # (which seals the demo accounts' TOTP secrets under it) or by
        # kijun-server on its first start in development, by `kijun-admin
        # keys init` for --production.
        self.keys = os.path.join(self.dir, "data-keys")
        self.pg = os.path.join(self.dir, "pg")
        self.pg_port = free_port()
        self.server = None
        self.port = None
        self.log = os.path.join(self.dir, "server.log")
        self.server_args = []  # more kijun-server options (e.g. --production)

    # ------------------------------------------------------------ set-up

    def run(self, *args, **kw):
        return subprocess.run(args, check=True, capture_output=True, text=True, **kw)

    def start(self):
        self.run("bash", f"{self.repo}/scripts/dev_pki.sh", self.pki)
        self.start_db()
        self.owner = self.run("bash", f"{self.repo}/scripts/pg_cluster.sh", "url",
                              self.pg).stdout.strip()
        self.base = self.owner.replace(" user=kijun_owner", "")
        demo = os.path.join(self.dir, "demo.json")
        self.run(f"{self.build}/server/kijun-admin", "seed-demo", "--db", self.owner,
                 "--out", demo, "--keys", self.keys)
        with open(demo) as f:
            self.users = {u["login"]: u for u in json.load(f)["users"]}
        self.start_server()

    def start_db(self):
        self.run("bash", f"{self.repo}/scripts/pg_cluster.sh", "start", self.pg,
                 str(self.pg_port))

    def stop_db(self):
        self.run("bash", f"{self.repo}/scripts/pg_cluster.sh", "stop", self.pg)

    def start_server(self):
        if "--production" in self.server_args and not os.path.exists(self.keys):
            self.run(f"{self.build}/server/kijun-admin", "keys", "init", "--keys", self.keys)
        port = self.port or free_port()
        self.logfile = open(self.log, "a")
        start = self.logfile.tell()
        self.server = subprocess.Popen(
            [f"{self.build}/server/kijun-server", "--pki", self.pki, "--db", self.base,
             "--port", str(port), "--rules", f"{self.repo}/diseases", "--threads", "16",
             "--keys", self.keys, *self.server_args],
            stdout=self.logfile, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            with open(self.log) as f:
                f.seek(start)
                if re.search(rf"listening on https://127.0.0.1:{port}", f.read()):
                    self.port = port
                    return
            if self.server.poll() is not None:
                raise RuntimeError("kijun-server exited:\n" + open(self.log).read())
            time.sleep(0.1)
        raise RuntimeError("kijun-server did not start:\n" + open(self.log).read())

    def kill_server(self):
        self.server.kill()
        self.server.wait()

    def restart_server(self):
        """Kills the server and starts it again; returns what the new start logged."""
        with open(self.log) as f:
            start = len(f.read())
        self.kill_server()
        self.start_server()
        with open(self.log) as f:
            return f.read()[start:]

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
        try:
            self.stop_db()
        except subprocess.CalledProcessError:
            pass
        if os.environ.get("KEEP_TMP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------ database

    def sql(self, query):
        """Runs SQL as the owner; returns rows as lists of strings."""
        out = self.run("psql", self.owner, "-X", "-A", "-t", "-F", "\t", "-c", query).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def count(self, table, where="true"):
        return int(self.sql(f"SELECT count(*) FROM {table} WHERE {where}")[0][0])

    # ------------------------------------------------------------ clients

    def context(self, terminal="terminal-1", verify=True):
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                         cafile=os.path.join(self.pki, "ca.crt"))
        if terminal:
            ctx.load_cert_chain(os.path.join(self.pki, f"{terminal}.crt"),
                                os.path.join(self.pki, f"{terminal}.key"))
        return ctx

    def client(self, terminal="terminal-1"):
        return Client(self, terminal)


class Client:
    """One terminal's HTTPS connection (kept alive), optionally signed in."""

    def __init__(self, registry, terminal):
        self.registry = registry
        self.terminal = terminal
        self.token = None
        self.conn = None

    def connect(self):
        self.conn = http.client.HTTPSConnection(
            "localhost", self.registry.port, context=self.registry.context(self.terminal),
            timeout=30)
        return self

    def request(self, method, path, body=None, raw=None, headers=None):
        if self.conn is None:
            self.connect()
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        h = {"Content-Type": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(headers or {})
        path = urllib.parse.quote(path, safe="/?=&")
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=h)
                response = self.conn.getresponse()
                text = response.read().decode()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    ssl.SSLEOFError):
                # The server closed the idle keep-alive connection.
                if attempt:
                    raise
                self.connect()
        kind = response.getheader("Content-Type", "")
        payload = json.loads(text) if kind.startswith("application/json") else text
        return response.status, payload

    def login(self, login):
        user = self.registry.users[login]
        body = {"login": login, "password": user["password"]}
        if user["totp_secret"]:
            body["totp"] = totp(user["totp_secret"])
        status, out = self.request("POST", "/login", body)
        if status == 401 and out["error"]["code"] == "totp_invalid":
            # This step's code was used already (replay protection): the next
            # step's code is accepted too; failing that, wait for a new step.
            body["totp"] = totp(user["totp_secret"], step_offset=1)
            status, out = self.request("POST", "/login", body)
            if status == 401:
                time.sleep(30 - time.time() % 30 + 0.5)
                body["totp"] = totp(user["totp_secret"], step_offset=1)
                status, out = self.request("POST", "/login", body)
        assert status == 200, (login, status, out)
        self.token = out["token"]
        return self


def main_paths():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.abspath(os.path.join(here, "..", ".."))
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "build")
    return repo, build


# ------------------------------------------------------------ checks

FAILURES = []


def check(condition, what):
    """Prints one check's result; a failed one is remembered for finish()."""
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        FAILURES.append(what)


def finish(what):
    """The exit code: 1 and the list of failed checks, or 0."""
    if FAILURES:
        print(f"\n{len(FAILURES)} failed:\n  " + "\n  ".join(FAILURES))
        return 1
    print(f"\nall {what} passed")
    return 0
