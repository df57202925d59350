#!/usr/bin/env bash
# kijun envelope seal|open|verify end to end, and interoperability with plain
# `openssl cms` both ways, with the commands of docs/envelope.md.
# usage: envelope_cli_test.sh KIJUN_BINARY SOURCE_DIR   (KEEP_TMP=1 keeps the folder)
set -uo pipefail
kijun="$(realpath -- "$1")" # the test changes directory
src="$2"
work="$(mktemp -d)"
cleanup() {
  if [ -n "${KEEP_TMP:-}" ]; then echo "kept $work"; else rm -rf -- "$work"; fi
}
trap cleanup EXIT
failures=0
checks=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
ok() { checks=$((checks + 1)); }
expect_contains() { # name file needle
  if grep -qF -- "$3" "$2"; then ok; else fail "$1: expected to find: $3"$'\n'"$(head -c 3000 "$2")"; fi
}
expect_exit() { # name expected actual output-file
  if [ "$3" -eq "$2" ]; then ok; else fail "$1: exit $3, want $2"$'\n'"$(head -c 3000 "$4")"; fi
}
expect_same() { # name file1 file2
  if cmp -s "$2" "$3"; then ok; else fail "$1: $2 and $3 differ"; fi
}

pki="$work/pki"
bash "$src/scripts/dev_pki.sh" "$pki" >"$work/pki.log" 2>&1 || {
  cat "$work/pki.log"
  exit 1
}
server=(--cert "$pki/server.crt" --key "$pki/server.key" --ca "$pki/ca.crt")
with_crl=("${server[@]}" --crl "$pki/crl.pem")
seal_as() { # NAME IN OUT [more options]
  local name=$1 in=$2 out=$3
  shift 3
  "$kijun" envelope seal --cert "$pki/$name.crt" --key "$pki/$name.key" --to "$pki/server.crt" \
    "$@" "$in" "$out"
}

# A payload that text-mode tools would change: UTF-8, CRLF, a lone LF, no
# final newline.
printf '{"disease":"パーキンソン病","physician":"13-0001","note":"一行目\\r\\n"}\r\n\n{"x":1}' \
  >"$work/payload.json"

# --- seal, verify, open ------------------------------------------------------
seal_as physician-1 "$work/payload.json" "$work/p1.der" 2>"$work/err"
expect_exit "seal" 0 $? "$work/err"
expect_contains "seal" "$work/err" "bytes sealed to"

"$kijun" envelope verify "${with_crl[@]}" "$work/p1.der" >"$work/out" 2>&1
expect_exit "verify" 0 $? "$work/out"
expect_contains "verify" "$work/out" "指定医番号 / designation number: 13-0001"
expect_contains "verify" "$work/out" "氏名 / name: 佐藤 一郎"
expect_contains "verify" "$work/out" "医療機関 / institution: Kijun Demo Hospital"
expect_contains "verify" "$work/out" "署名日時 / signed at: $(date -u +%Y-%m-%d)T"
expect_contains "verify" "$work/out" "checked against the CRL"
expect_contains "verify" "$work/out" "OK"

"$kijun" envelope open "${with_crl[@]}" "$work/p1.der" "$work/p1.json" 2>"$work/err"
expect_exit "open" 0 $? "$work/err"
expect_same "open: payload byte for byte" "$work/payload.json" "$work/p1.json"
expect_contains "open: signer on stderr" "$work/err" "designation number: 13-0001"

# PEM armour, and stdin / stdout.
seal_as physician-2 - - --pem <"$work/payload.json" >"$work/p2.pem" 2>"$work/err"
expect_exit "seal --pem via stdin/stdout" 0 $? "$work/err"
if [ "$(head -1 "$work/p2.pem")" = "-----BEGIN CMS-----" ]; then ok; else fail "PEM armour: $(head -1 "$work/p2.pem")"; fi
"$kijun" envelope open "${with_crl[@]}" - - <"$work/p2.pem" >"$work/p2.json" 2>"$work/err"
expect_exit "open PEM via stdin/stdout" 0 $? "$work/err"
expect_same "open PEM: payload" "$work/payload.json" "$work/p2.json"
expect_contains "open PEM: signer" "$work/err" "高橋 六郎"

# --physician: the confirming physician must be the signer.
"$kijun" envelope verify "${with_crl[@]}" --physician 13-0001 "$work/p1.der" >"$work/out" 2>&1
expect_exit "verify --physician (same)" 0 $? "$work/out"
"$kijun" envelope verify "${with_crl[@]}" --physician 27-0002 "$work/p1.der" >"$work/out" 2>&1
expect_exit "verify --physician (other)" 1 $? "$work/out"
expect_contains "verify --physician (other)" "$work/out" "[not_confirming_physician]"

# --- refusals: exit 1, the code, Japanese and English ------------------------
refused() { # name code file [options instead of --crl]
  local name=$1 code=$2 file=$3
  shift 3
  local options=("${with_crl[@]}")
  [ $# -eq 0 ] || options=("$@")
  "$kijun" envelope verify "${options[@]}" "$file" >"$work/out" 2>&1
  expect_exit "$name" 1 $? "$work/out"
  expect_contains "$name" "$work/out" "不合格 / REJECTED [$code]"
}
seal_as physician-revoked "$work/payload.json" "$work/revoked.der" 2>/dev/null
refused "revoked signer" signer_revoked "$work/revoked.der"
expect_contains "revoked signer" "$work/out" "署名者の証明書は失効しています / the signer's certificate is revoked"
# Without --crl the operator is told revocation was not checked.
"$kijun" envelope verify "${server[@]}" "$work/revoked.der" >"$work/out" 2>&1
expect_exit "revoked signer without --crl" 0 $? "$work/out"
expect_contains "revoked signer without --crl" "$work/out" "NOT checked (no --crl)"

seal_as physician-foreign "$work/payload.json" "$work/foreign.der" 2>/dev/null
refused "foreign-CA signer" signer_not_trusted "$work/foreign.der"
seal_as terminal-1 "$work/payload.json" "$work/terminal.der" 2>/dev/null
refused "a terminal's TLS certificate" signer_not_for_signing "$work/terminal.der"

"$kijun" envelope seal --cert "$pki/physician-1.crt" --key "$pki/physician-1.key" \
  --to "$pki/terminal-2.crt" "$work/payload.json" "$work/elsewhere.der" 2>/dev/null
refused "sealed to another recipient" not_for_this_recipient "$work/elsewhere.der"

python3 - "$work/p1.der" "$work/tag.der" "$work/body.der" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
tag = bytearray(data); tag[-1] ^= 1                 # the GCM tag is the last field
body = bytearray(data); body[len(data) - 40] ^= 1   # in the ciphertext, before the tag
open(sys.argv[2], "wb").write(tag)
open(sys.argv[3], "wb").write(body)
PY
refused "flipped tag byte" decryption_failed "$work/tag.der"
refused "flipped ciphertext byte" decryption_failed "$work/body.der"
expect_contains "flipped ciphertext byte" "$work/out" "復号できません"
refused "a JSON file" not_an_envelope "$work/payload.json"

# --- usage errors: exit 2 ------------------------------------------------------
"$kijun" envelope seal --cert "$pki/physician-1.crt" --key "$pki/physician-1.key" \
  "$work/payload.json" "$work/x.der" >"$work/out" 2>&1
expect_exit "seal without --to" 2 $? "$work/out"
expect_contains "seal without --to" "$work/out" "--to is required"
"$kijun" envelope verify "${with_crl[@]}" --colour "$work/p1.der" >"$work/out" 2>&1
expect_exit "unknown option" 2 $? "$work/out"
expect_contains "unknown option" "$work/out" "unknown option"
"$kijun" envelope verify "${with_crl[@]}" --pem "$work/p1.der" >"$work/out" 2>&1
expect_exit "--pem is for seal only" 2 $? "$work/out"
"$kijun" envelope verify --cert "$pki/server.crt" --key "$pki/terminal-1.key" --ca "$pki/ca.crt" \
  "$work/p1.der" >"$work/out" 2>&1
expect_exit "a key that is not the certificate's" 2 $? "$work/out"
expect_contains "a key that is not the certificate's" "$work/out" "[bad_credentials]"
"$kijun" envelope frank >"$work/out" 2>&1
expect_exit "unknown subcommand" 2 $? "$work/out"
if "$kijun" --help | grep -qF "kijun envelope seal --cert CERT --key KEY --to SERVER_CRT"; then
  ok
else
  fail "kijun --help lists kijun envelope"
fi

# --- interoperability with plain openssl cms (docs/envelope.md) ----------------
cd "$work" || exit 1
cp pki/physician-1.crt pki/physician-1.key pki/server.crt pki/server.key pki/ca.crt pki/crl.pem .

# Made with openssl, opened by kijun.
openssl cms -sign -binary -nodetach -cades -nosmimecap -md sha256 \
  -signer physician-1.crt -inkey physician-1.key \
  -in payload.json -outform DER -out signed.der
openssl cms -encrypt -binary -aes-256-gcm \
  -recip server.crt -keyopt ecdh_kdf_md:sha256 \
  -in signed.der -outform DER -out envelope.der
"$kijun" envelope open "${with_crl[@]}" envelope.der from-openssl.json 2>"$work/err"
expect_exit "kijun opens openssl's envelope" 0 $? "$work/err"
expect_same "kijun opens openssl's envelope: payload" payload.json from-openssl.json
expect_contains "kijun opens openssl's envelope" "$work/err" "designation number: 13-0001"

# ... and refuses what the format does not allow.
openssl cms -sign -binary -nodetach -nosmimecap -md sha256 -signer physician-1.crt \
  -inkey physician-1.key -in payload.json -outform DER -out no-cades.der
openssl cms -encrypt -binary -aes-256-gcm -recip server.crt -keyopt ecdh_kdf_md:sha256 \
  -in no-cades.der -outform DER -out no-cades-envelope.der
refused "openssl without -cades" not_an_envelope no-cades-envelope.der
openssl cms -encrypt -binary -aes-256-gcm -recip server.crt -in signed.der -outform DER \
  -out sha1kdf.der
refused "openssl's default SHA-1 KDF" unsupported_algorithm sha1kdf.der
openssl cms -encrypt -binary -aes-256-cbc -recip server.crt -keyopt ecdh_kdf_md:sha256 \
  -in signed.der -outform DER -out cbc.der
refused "EnvelopedData with AES-CBC" not_an_envelope cbc.der

# Made by kijun, opened with openssl: decrypt, then verify against the CA
# and its CRL (openssl cms reads CRLs from the -CAfile file).
cp "$work/p1.der" kijun.der
cat ca.crt crl.pem >ca-and-crl.pem
openssl cms -decrypt -binary -inform DER -in kijun.der \
  -recip server.crt -inkey server.key -out kijun-signed.der 2>"$work/err"
expect_exit "openssl decrypts kijun's envelope" 0 $? "$work/err"
openssl cms -verify -binary -inform DER -in kijun-signed.der \
  -CAfile ca-and-crl.pem -crl_check -purpose smimesign -cades \
  -signer signer.pem -out from-kijun.json 2>"$work/err"
expect_exit "openssl verifies kijun's signature" 0 $? "$work/err"
expect_same "openssl opens kijun's envelope: payload" payload.json from-kijun.json
openssl x509 -in signer.pem -noout -subject -nameopt RFC2253,-esc_msb >"$work/out"
expect_contains "openssl: the signer's designation number" "$work/out" \
  "subject=serialNumber=13-0001,CN=佐藤 一郎,O=Kijun Demo Hospital"
# openssl refuses the revoked physician's envelope too.
openssl cms -decrypt -binary -inform DER -in "$work/revoked.der" -recip server.crt \
  -inkey server.key 2>/dev/null |
  openssl cms -verify -binary -inform DER -CAfile ca-and-crl.pem -crl_check \
    -purpose smimesign -cades -out /dev/null >"$work/out" 2>&1
expect_exit "openssl refuses the revoked signer" 4 $? "$work/out"
expect_contains "openssl refuses the revoked signer" "$work/out" "certificate revoked"

# The structure, as openssl prints it.
openssl cms -cmsout -print -inform DER -in kijun.der >"$work/out"
for expected in "contentType: id-smime-ct-authEnvelopedData" "d.kari:" \
  "dhSinglePass-stdDH-sha256kdf-scheme" ":id-aes256-wrap" "aes-256-gcm" \
  "contentType: pkcs7-data"; do
  expect_contains "the envelope's structure" "$work/out" "$expected"
done
openssl cms -cmsout -print -inform DER -in kijun-signed.der >"$work/out"
for expected in "contentType: pkcs7-signedData" "algorithm: sha256" "signingTime" \
  "id-smime-aa-signingCertificateV2" "messageDigest" "ecdsa-with-SHA256"; do
  expect_contains "the signature's structure" "$work/out" "$expected"
done

if [ "$failures" -ne 0 ]; then
  echo "envelope_cli_test: $failures FAILED, $checks passed"
  exit 1
fi
echo "envelope_cli_test: all $checks checks passed"
