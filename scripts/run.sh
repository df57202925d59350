#!/usr/bin/env bash
# The local default registry, from a fresh Debian machine: installs what is
# missing, builds, checks the rules in diseases/, makes a development PKI
# (var/pki), starts a private PostgreSQL cluster (var/pg), creates the demo
# accounts (var/demo-users.json, once), and runs kijun-server on
# https://localhost:8443 in the foreground (Ctrl-C stops it; the cluster
# keeps running: scripts/pg_cluster.sh stop var/pg). The server creates its
# development key folder (var/keys: the keys that encrypt patient data at
# rest) on first start. Idempotent; a second run skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
scripts/setup.sh
scripts/build.sh
build/cli/kijun check diseases

mkdir -p var
chmod 0755 var
bash scripts/dev_pki.sh var/pki

# The cluster runs as the postgres user, who must be able to reach it: inside
# the repository when its folders allow that, else under /tmp.
pg_dir=${KIJUN_PG_DIR:-$repo/var/pg}
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$repo/var" 2>/dev/null; then
  pg_dir=/tmp/kijun-pg-$(echo "$repo" | sha256sum | cut -c1-8)
  echo "run: $repo is not reachable by the postgres user; the cluster lives in $pg_dir"
fi
bash scripts/pg_cluster.sh start "$pg_dir"
owner=$(bash scripts/pg_cluster.sh url "$pg_dir")
base=${owner% user=kijun_owner}

if [ ! -s var/demo-users.json ]; then
  build/server/kijun-admin seed-demo --db "$owner" --out var/demo-users.json
else
  build/server/kijun-admin migrate --db "$owner"
fi

cat <<'HOW'

The registry is starting on https://localhost:8443 (mutual TLS: a terminal
certificate from var/pki is required). Demo accounts: var/demo-users.json.
Try, in another shell (the whole workflow: docs/walkthrough.md):

  C="curl -s --cacert var/pki/ca.crt --cert var/pki/terminal-1.crt --key var/pki/terminal-1.key"
  $C https://localhost:8443/health
  PW=$(python3 -c 'import json;u={x["login"]:x for x in json.load(open("var/demo-users.json"))["users"]};print(u["dr.sato"]["password"])')
  SECRET=$(python3 -c 'import json;u={x["login"]:x for x in json.load(open("var/demo-users.json"))["users"]};print(u["dr.sato"]["totp_secret"])')
  TOKEN=$($C https://localhost:8443/login -d "{\"login\":\"dr.sato\",\"password\":\"$PW\",\"totp\":\"$(build/server/kijun-admin totp $SECRET)\"}" | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
  $C -H "Authorization: Bearer $TOKEN" https://localhost:8443/check -d @diseases/examples/parkinson_form.json

HOW
exec build/server/kijun-server --pki var/pki --db "$base" --port 8443 --rules diseases \
  --jit-cache var/jit-cache --keys var/keys
