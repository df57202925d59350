#!/usr/bin/env bash
# Creates a development PKI for the Kijun registry server under DIR
# (e.g. var/pki), with openssl: ECDSA P-256 keys, SHA-256 signatures.
# 開発用の証明書一式（CA・サーバ・端末・指定医）を DIR に作成します。
#
#   ca.key, ca.crt                 "Kijun Dev Registry CA" (10 years)
#   ca-bundle.pem                  the CA certificate alone, for clients
#   server.key, server.crt         CN=localhost, DNS:localhost, IP:127.0.0.1
#   terminal-1.key, .crt           client cert, O=Kijun Demo Hospital
#   terminal-2.key, .crt           client cert, O=Kijun Demo City
#   terminal-revoked.key, .crt     client cert, revoked in crl.pem
#   foreign-ca.key, .crt           another CA ("wrong CA" tests)
#   terminal-foreign.key, .crt     client cert signed by the foreign CA
#   physician-1.key, .crt          physician's signing cert (payload envelopes,
#                                  docs/envelope.md): CN=佐藤 一郎,
#                                  serialNumber=13-0001 (指定医番号),
#                                  O=Kijun Demo Hospital
#   physician-2.key, .crt          CN=高橋 六郎, serialNumber=27-0002,
#                                  O=Kijun Demo Clinic Osaka
#   physician-revoked.key, .crt    CN=鈴木 三郎, serialNumber=13-0003, revoked
#   physician-foreign.key, .crt    as physician-1, but signed by the foreign CA
#   crl.pem                        the CA's CRL (30 days), lists terminal-revoked
#                                  and physician-revoked
#   ca-db/                         the `openssl ca` database behind crl.pem
#
# Physician certificates carry the designation number in the subject's
# serialNumber attribute; keyUsage digitalSignature, nonRepudiation;
# extendedKeyUsage emailProtection (S/MIME signing). Subjects are UTF-8.
#
# Idempotent: a second run creates nothing; it only refreshes crl.pem when it
# is more than 7 days old. A file is recreated when it is missing or older than
# the CA that signed it. Private keys are 0600, DIR is 0700.
#
# Usage: scripts/dev_pki.sh DIR
set -euo pipefail

die() {
  printf 'dev_pki: error: %s\n' "$1" >&2
  [ -z "${2:-}" ] || printf 'dev_pki: エラー: %s\n' "$2" >&2
  exit 1
}

if [ $# -ne 1 ] || [ -z "$1" ]; then
  die "usage: $0 DIR" "使い方: $0 DIR"
fi
command -v openssl >/dev/null || die "openssl not found (run scripts/setup.sh)" \
  "openssl が見つかりません（scripts/setup.sh を実行してください）"

shown=${1%/}
[ -n "$shown" ] || shown=/
# Parents get the caller's umask; DIR itself and everything in it is private.
mkdir -p -- "$1" || die "cannot create directory $1" "ディレクトリ $1 を作成できません"
umask 077
dir=$(cd -- "$1" && pwd -P)
[ -w "$dir" ] || die "$dir is not writable" "$dir に書き込めません"
chmod 0700 "$dir"

# One run at a time per DIR (parallel tests may call this script).
exec 9>"$dir/.lock"
flock 9 || die "cannot lock $dir/.lock" "$dir/.lock をロックできません"

db=$dir/ca-db
cnf=$db/openssl.cnf
created=0
tmp_files=()
cleanup() { ((${#tmp_files[@]} == 0)) || rm -f -- "${tmp_files[@]}"; }
trap cleanup EXIT

say() {
  printf 'dev_pki: %-9s %s\n' "$1" "$shown/$2"
  created=$((created + 1))
}

# openssl prints progress and config warnings on stderr; show them only on
# failure.
run_openssl() {
  local out
  if ! out=$(openssl "$@" 2>&1); then
    printf '%s\n' "$out" >&2
    die "openssl $1 failed" "openssl $1 が失敗しました"
  fi
}

# --- openssl configuration: extensions and the `openssl ca` database -------
config="# Written by scripts/dev_pki.sh; rewritten when it differs.
[ ca ]
default_ca = kijun_ca

[ kijun_ca ]
database = $db/index.txt
new_certs_dir = $db/newcerts
certificate = $dir/ca.crt
private_key = $dir/ca.key
serial = $db/serial
crlnumber = $db/crlnumber
default_md = sha256
default_days = 825
default_crl_days = 30
unique_subject = no
policy = policy_any
crl_extensions = crl_ext

[ policy_any ]
commonName = supplied
organizationName = optional

[ crl_ext ]
authorityKeyIdentifier = keyid:always

[ req ]
distinguished_name = req_dn
prompt = no
string_mask = utf8only

[ req_dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_server ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_client ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_physician ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"
mkdir -p "$db/newcerts"
if [ ! -f "$cnf" ] || [ "$(<"$cnf")"$'\n' != "$config" ]; then
  printf '%s' "$config" >"$cnf"
fi

# needs FILE DEP... : true when FILE is missing or older than any DEP.
needs() {
  local f=$1 d
  shift
  [ -s "$f" ] || return 0
  for d in "$@"; do
    [ ! "$d" -nt "$f" ] || return 0
  done
  return 1
}

# new_ca NAME SUBJECT: self-signed CA, NAME.key + NAME.crt
new_ca() {
  local name=$1 subj=$2
  tmp_files+=("$dir/.$name.key.tmp" "$dir/.$name.crt.tmp")
  run_openssl req -x509 -new -config "$cnf" -extensions v3_ca \
    -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
    -subj "$subj" -keyout "$dir/.$name.key.tmp" -out "$dir/.$name.crt.tmp"
  chmod 0600 "$dir/.$name.key.tmp"
  chmod 0644 "$dir/.$name.crt.tmp"
  mv -f "$dir/.$name.key.tmp" "$dir/$name.key"
  mv -f "$dir/.$name.crt.tmp" "$dir/$name.crt"
  say created "$name.key"
  say created "$name.crt"
}

# new_leaf NAME CA EXTENSIONS SUBJECT: NAME.key + NAME.crt signed by CA
new_leaf() {
  local name=$1 ca=$2 ext=$3 subj=$4 serial
  tmp_files+=("$dir/.$name.key.tmp" "$dir/.$name.csr.tmp" "$dir/.$name.crt.tmp")
  run_openssl req -new -config "$cnf" -utf8 \
    -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -subj "$subj" -keyout "$dir/.$name.key.tmp" -out "$dir/.$name.csr.tmp"
  # 127-bit random serial, as hex (positive, well under 20 octets).
  serial=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  serial=$(printf '%x%s' $((0x${serial:0:1} & 7)) "${serial:1}")
  run_openssl x509 -req -in "$dir/.$name.csr.tmp" -sha256 -days 825 \
    -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" -set_serial "0x$serial" \
    -extfile "$cnf" -extensions "$ext" -out "$dir/.$name.crt.tmp"
  rm -f "$dir/.$name.csr.tmp"
  chmod 0600 "$dir/.$name.key.tmp"
  chmod 0644 "$dir/.$name.crt.tmp"
  mv -f "$dir/.$name.key.tmp" "$dir/$name.key"
  mv -f "$dir/.$name.crt.tmp" "$dir/$name.crt"
  say created "$name.key"
  say created "$name.crt"
}

# --- the CAs ----------------------------------------------------------------
if [ ! -s "$dir/ca.key" ] || [ ! -s "$dir/ca.crt" ]; then
  new_ca ca "/O=Kijun Development/CN=Kijun Dev Registry CA"
fi
if [ ! -s "$dir/foreign-ca.key" ] || [ ! -s "$dir/foreign-ca.crt" ]; then
  new_ca foreign-ca "/O=Kijun Foreign Test/CN=Kijun Foreign Test CA"
fi
if needs "$dir/ca-bundle.pem" "$dir/ca.crt"; then
  tmp_files+=("$dir/.ca-bundle.pem.tmp")
  cp -f "$dir/ca.crt" "$dir/.ca-bundle.pem.tmp"
  chmod 0644 "$dir/.ca-bundle.pem.tmp"
  mv -f "$dir/.ca-bundle.pem.tmp" "$dir/ca-bundle.pem"
  say created ca-bundle.pem
fi

# --- leaf certificates --------------------------------------------------------
# leaf NAME CA EXTENSIONS SUBJECT: create unless key and cert exist and the
# cert is newer than its CA.
leaf() {
  if [ ! -s "$dir/$1.key" ] || needs "$dir/$1.crt" "$dir/$2.crt"; then
    new_leaf "$@"
  fi
}
leaf server ca v3_server "/CN=localhost"
leaf terminal-1 ca v3_client "/O=Kijun Demo Hospital/CN=terminal-1"
leaf terminal-2 ca v3_client "/O=Kijun Demo City/CN=terminal-2"
leaf terminal-revoked ca v3_client "/O=Kijun Demo Hospital/CN=terminal-revoked"
leaf terminal-foreign foreign-ca v3_client "/O=Kijun Demo Hospital/CN=terminal-foreign"
# Physicians sign payload envelopes; the designation number (指定医番号) is the
# subject's serialNumber.
leaf physician-1 ca v3_physician "/O=Kijun Demo Hospital/CN=佐藤 一郎/serialNumber=13-0001"
leaf physician-2 ca v3_physician "/O=Kijun Demo Clinic Osaka/CN=高橋 六郎/serialNumber=27-0002"
leaf physician-revoked ca v3_physician "/O=Kijun Demo Hospital/CN=鈴木 三郎/serialNumber=13-0003"
leaf physician-foreign foreign-ca v3_physician \
  "/O=Kijun Demo Hospital/CN=佐藤 一郎/serialNumber=13-0001"

# --- the CRL --------------------------------------------------------------------
crl=$dir/crl.pem
refresh=""
revoked=(terminal-revoked physician-revoked)
if needs "$crl" "$dir/ca.crt" "${revoked[@]/%/.crt}" "$cnf"; then
  refresh=created
  [ ! -s "$crl" ] || refresh=refreshed
else
  # Older than 7 days (by its own lastUpdate, not the file's mtime)?
  last=$(openssl crl -in "$crl" -noout -lastupdate 2>/dev/null) || last=""
  last=${last#lastUpdate=}
  if [ -z "$last" ] || ! last_s=$(date -d "$last" +%s 2>/dev/null); then
    refresh=refreshed # unreadable: make a new one
  elif (($(date +%s) - last_s > 7 * 24 * 3600)); then
    refresh=refreshed
  fi
fi
if [ -n "$refresh" ]; then
  # A new CA starts a new database.
  if [ ! -f "$db/index.txt" ] || [ "$dir/ca.crt" -nt "$db/index.txt" ]; then
    rm -f "$db/index.txt"* "$db/serial"* "$db/crlnumber"* "$db/newcerts/"*
    : >"$db/index.txt"
    echo 01 >"$db/crlnumber"
    say created ca-db/index.txt
  fi
  for name in "${revoked[@]}"; do
    serial=$(openssl x509 -in "$dir/$name.crt" -noout -serial)
    serial=${serial#serial=}
    if ! grep -q "^R.*	${serial}	" "$db/index.txt"; then
      run_openssl ca -config "$cnf" -revoke "$dir/$name.crt" -crl_reason keyCompromise
    fi
  done
  tmp_files+=("$dir/.crl.pem.tmp")
  run_openssl ca -config "$cnf" -gencrl -crldays 30 -out "$dir/.crl.pem.tmp"
  chmod 0644 "$dir/.crl.pem.tmp"
  mv -f "$dir/.crl.pem.tmp" "$crl"
  say "$refresh" crl.pem
fi

if ((created == 0)); then
  echo "dev_pki: $shown is up to date (最新です)"
fi
