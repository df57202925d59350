#!/usr/bin/env bash
# Tests scripts/dev_pki.sh and scripts/pg_cluster.sh in a temporary directory
# (under /tmp).
# Run: bash tests/scripts/scripts_test.sh   (KEEP_TMP=1 keeps the directory)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
pki_sh=$repo/scripts/dev_pki.sh
pg_sh=$repo/scripts/pg_cluster.sh
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
port=55433 # not the default, to check that `url` finds the stored port

passed=0
tmp=""
pg_started=""

fail() {
  printf 'FAIL: %s\n' "$1" >&2
  [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/    /' >&2
  exit 1
}
ok() {
  passed=$((passed + 1))
  printf 'ok %2d - %s\n' "$passed" "$1"
}
cleanup() {
  local rc=$?
  if [ -n "$pg_started" ]; then
    if ((rc != 0)) && [ -f "$tmp/pg/log/postgresql.log" ]; then
      echo "--- last lines of $tmp/pg/log/postgresql.log" >&2
      tail -n 15 "$tmp/pg/log/postgresql.log" >&2 || true
    fi
    bash "$pg_sh" stop "$tmp/pg" >/dev/null 2>&1 || true
  fi
  if [ -n "$tmp" ]; then
    if [ -n "${KEEP_TMP:-}" ]; then
      echo "kept $tmp"
    else
      rm -rf -- "$tmp"
    fi
  fi
  if ((rc == 0)); then
    echo "scripts_test: all $passed checks passed"
  else
    echo "scripts_test: FAILED after $passed passing checks (exit $rc)" >&2
  fi
}
trap cleanup EXIT

# elapsed_ms START: milliseconds since START (an $EPOCHREALTIME value).
elapsed_ms() {
  local now=${EPOCHREALTIME/[.,]/} start=${1/[.,]/}
  echo $(((now - start) / 1000))
}

command -v openssl >/dev/null || fail "openssl is not installed (run scripts/setup.sh)"
[ -x "$pg_bin/psql" ] || fail "$pg_bin/psql not found (install postgresql-15)"

# Under /tmp: the postgres OS user must reach the socket, and the clone may
# sit under a folder it cannot enter (e.g. /root).
base=/tmp
tmp=$(mktemp -d "$base/scripts-test.XXXXXX")
chmod 0755 "$tmp" # the postgres OS user must be able to enter it
echo "# temp dir: $tmp"

# ---------------------------------------------------------------- dev_pki.sh
pki=$tmp/pki
out=$(bash "$pki_sh" "$pki" 2>&1) || fail "dev_pki.sh failed on first run" "$out"
n=$(grep -c '^dev_pki: created' <<<"$out" || true)
((n >= 17)) || fail "dev_pki.sh: expected at least 17 'created' lines, got $n" "$out"
ok "dev_pki.sh first run created $n files"

for f in ca.key ca.crt server.key server.crt terminal-1.key terminal-1.crt \
  terminal-2.key terminal-2.crt terminal-revoked.key terminal-revoked.crt \
  foreign-ca.key foreign-ca.crt terminal-foreign.key terminal-foreign.crt \
  crl.pem ca-bundle.pem; do
  [ -s "$pki/$f" ] || fail "dev_pki.sh did not create $f"
done
ok "all PKI files exist"

[ "$(stat -c %a "$pki")" = 700 ] || fail "$pki has mode $(stat -c %a "$pki"), want 700"
for k in "$pki"/*.key; do
  [ "$(stat -c %a "$k")" = 600 ] || fail "$k has mode $(stat -c %a "$k"), want 600"
done
ok "DIR is 0700 and private keys are 0600"

cmp -s "$pki/ca.crt" "$pki/ca-bundle.pem" || fail "ca-bundle.pem differs from ca.crt"
for f in "$pki"/*.key; do
  algo=$(openssl pkey -in "$f" -noout -text 2>/dev/null | grep -m1 -o 'NIST CURVE: P-256' || true)
  [ -n "$algo" ] || fail "$f is not an ECDSA P-256 key"
done
sig=$(openssl x509 -in "$pki/server.crt" -noout -text)
grep -q 'ecdsa-with-SHA256' <<<"$sig" || fail "server.crt is not signed with ecdsa-with-SHA256"
grep -q 'DNS:localhost, IP Address:127.0.0.1' <<<"$sig" || fail "server.crt lacks the subjectAltName" "$sig"
subj=$(openssl x509 -in "$pki/terminal-1.crt" -noout -subject -nameopt RFC2253)
[ "$subj" = "subject=CN=terminal-1,O=Kijun Demo Hospital" ] || fail "terminal-1.crt subject: $subj"
subj=$(openssl x509 -in "$pki/terminal-2.crt" -noout -subject -nameopt RFC2253)
[ "$subj" = "subject=CN=terminal-2,O=Kijun Demo City" ] || fail "terminal-2.crt subject: $subj"
grep -q 'CA:TRUE' <(openssl x509 -in "$pki/ca.crt" -noout -text) || fail "ca.crt is not a CA"
ok "P-256 keys, SHA-256 signatures, SAN, subjects, CA flag"

# verify NAME [PURPOSE]: openssl verify against the CA with the CRL.
verify() {
  openssl verify -CAfile "$pki/ca.crt" -crl_check -CRLfile "$pki/crl.pem" \
    ${2:+-purpose "$2"} "$pki/$1.crt" 2>&1
}
for c in terminal-1 terminal-2; do
  v=$(verify "$c" sslclient) || fail "$c.crt should verify as a client cert" "$v"
done
v=$(verify server sslserver) || fail "server.crt should verify as a server cert" "$v"
ok "terminal-1, terminal-2 (clientAuth) and server (serverAuth) verify OK"

if v=$(verify terminal-1 sslserver); then fail "terminal-1.crt must not pass as a server cert" "$v"; fi
if v=$(verify server sslclient); then fail "server.crt must not pass as a client cert" "$v"; fi
ok "extendedKeyUsage separates client and server certs"

if v=$(verify terminal-revoked); then fail "terminal-revoked.crt verified, but it is revoked" "$v"; fi
grep -q 'certificate revoked' <<<"$v" || fail "terminal-revoked.crt failed for the wrong reason" "$v"
ok "terminal-revoked is revoked"

if v=$(verify terminal-foreign); then fail "terminal-foreign.crt verified against the wrong CA" "$v"; fi
grep -q 'unable to get local issuer certificate' <<<"$v" || fail "terminal-foreign.crt failed for the wrong reason" "$v"
v=$(openssl verify -CAfile "$pki/foreign-ca.crt" "$pki/terminal-foreign.crt" 2>&1) ||
  fail "terminal-foreign.crt should verify against foreign-ca.crt" "$v"
ok "terminal-foreign fails against ca.crt (and verifies against foreign-ca.crt)"

sums=$(cd "$pki" && md5sum ./*.key ./*.crt ./*.pem)
t0=$EPOCHREALTIME
out=$(bash "$pki_sh" "$pki" 2>&1) || fail "dev_pki.sh failed on second run" "$out"
ms=$(elapsed_ms "$t0")
grep -q 'up to date' <<<"$out" || fail "dev_pki.sh second run should change nothing" "$out"
[ "$sums" = "$(cd "$pki" && md5sum ./*.key ./*.crt ./*.pem)" ] || fail "dev_pki.sh second run changed files"
((ms < 1000)) || fail "dev_pki.sh second run took ${ms} ms (want < 1000)"
ok "dev_pki.sh second run changes nothing (${ms} ms)"

# A CRL issued 10 days ago is refreshed.
old=$(date -u -d '-10 days' +%Y%m%d%H%M%SZ)
v=$(openssl ca -config "$pki/ca-db/openssl.cnf" -gencrl -crl_lastupdate "$old" -crldays 30 \
  -out "$pki/crl.pem" 2>&1) || fail "could not make an old CRL for the test" "$v"
out=$(bash "$pki_sh" "$pki" 2>&1) || fail "dev_pki.sh failed with an old CRL" "$out"
grep -q 'refreshed .*crl.pem' <<<"$out" || fail "dev_pki.sh did not refresh a 10-day-old CRL" "$out"
[ "$(grep -c . <<<"$out")" -eq 1 ] || fail "dev_pki.sh should only have refreshed the CRL" "$out"
if v=$(verify terminal-revoked); then fail "terminal-revoked.crt verified with the refreshed CRL" "$v"; fi
v=$(verify terminal-1) || fail "terminal-1.crt fails with the refreshed CRL" "$v"
ok "a CRL older than 7 days is refreshed, and still revokes terminal-revoked"

# ---------------------------------------------------------------- pg_cluster.sh
pg=$tmp/pg
pg_started=1
out=$(bash "$pg_sh" start "$pg" "$port" 2>&1) || fail "pg_cluster.sh start failed" "$out"
ok "pg_cluster.sh start (initdb) on port $port"

url=$(bash "$pg_sh" url "$pg") || fail "pg_cluster.sh url failed"
[ "$url" = "host=$pg/socket port=$port dbname=kijun user=kijun_owner" ] || fail "unexpected url: $url"
# psql: select 1 [more psql args]
psql_1() { "$pg_bin/psql" -X -At "$url" -c 'select 1' "$@" 2>&1; }
v=$(psql_1) || fail "psql \"$url\" -c 'select 1' failed" "$v"
[ "$v" = 1 ] || fail "psql \"$url\" -c 'select 1' printed '$v', want 1"
v=$("$pg_bin/psql" -X -At "$url" -c 'select current_user, pg_catalog.pg_get_userbyid(datdba), pg_encoding_to_char(encoding) from pg_database where datname = current_database()' 2>&1) ||
  fail "psql query failed" "$v"
[ "$v" = "kijun_owner|kijun_owner|UTF8" ] || fail "database kijun: want owner kijun_owner, UTF8; got $v"
ok "psql \"\$(pg_cluster.sh url)\" -c 'select 1' works; kijun is owned by kijun_owner, UTF8"

bash "$pg_sh" status "$pg" >/dev/null || fail "pg_cluster.sh status should exit 0 while running"
t0=$EPOCHREALTIME
out=$(bash "$pg_sh" start "$pg" 2>&1) || fail "second pg_cluster.sh start failed" "$out"
ms=$(elapsed_ms "$t0")
grep -q 'already running' <<<"$out" || fail "second start should say 'already running'" "$out"
((ms < 1000)) || fail "second start took ${ms} ms (want < 1000)"
ok "pg_cluster.sh start again: already running (${ms} ms)"

pid=$(head -n 1 "$pg/data/postmaster.pid")
kill -9 "$pid"
for _ in $(seq 1 50); do
  v=$(psql_1 -o /dev/null) || break
  sleep 0.1
done
if bash "$pg_sh" status "$pg" >/dev/null; then fail "status says running after kill -9 of the postmaster"; fi
out=$(bash "$pg_sh" start "$pg" 2>&1) || fail "pg_cluster.sh start after kill -9 failed" "$out"
grep -q 'started' <<<"$out" || fail "start after kill -9 did not start the server" "$out"
v=$(psql_1) || fail "psql after restart failed" "$v"
[ "$v" = 1 ] || fail "psql after restart printed '$v', want 1"
ok "after kill -9 of the postmaster, start recovers (stale postmaster.pid)"

out=$(bash "$pg_sh" stop "$pg" 2>&1) || fail "pg_cluster.sh stop failed" "$out"
rc=0
bash "$pg_sh" status "$pg" >/dev/null || rc=$?
((rc == 3)) || fail "status after stop: exit $rc, want 3"
out=$(bash "$pg_sh" stop "$pg" 2>&1) || fail "pg_cluster.sh stop when stopped should succeed" "$out"
pg_started=""
ok "stop, status (exit 3), stop again"
