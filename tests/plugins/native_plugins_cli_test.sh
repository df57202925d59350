#!/usr/bin/env bash
# Native function plugins through the kijun command, each command its own
# process (as users and the object cache see it).
# usage: native_plugins_cli_test.sh KIJUN SOURCE_DIR EGFR_PLUGIN TEST_PLUGIN TEST_PLUGIN_V2 ABI_MISMATCH_PLUGIN
set -uo pipefail
kijun="$1"
src="$2"
egfr="$3"
test_plugin="$4"
test_plugin_v2="$5"
abi_mismatch="$6"
rules="$src/tests/plugins/rules"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_contains() {  # name haystack-file needle
  grep -qF -- "$3" "$2" || fail "$1: expected to find: $3"$'\n'"$(head -c 3000 "$2")"
}
hash_of() {  # result-file: the rule version hash of the first result line
  head -n 1 "$1" | grep -o '"hash":"sha256:[0-9a-f]*"'
}

# check: without the plugin, a located, bilingual error whose hint says how
# to load one; with it, clean.
"$kijun" check "$rules" > "$work/out" 2>&1
[ $? -eq 1 ] || fail "check without --plugin must exit 1"
expect_contains check "$work/out" "egfr_plugin.kijun:20:110: エラー[K204]: 関数「jspn_ref_creatinine_male」はありません"
expect_contains check "$work/out" "--plugin ファイル.so で読み込んでください (読み込み済み: なし)"
expect_contains check "$work/out" "hint: see 'Functions' in docs/language.md; a plugin's function needs its plugin loaded with --plugin FILE.so (loaded: none)"
"$kijun" check --plugin "$egfr" "$rules" > "$work/out" 2>&1 || fail "check with --plugin must pass"$'\n'"$(cat "$work/out")"
expect_contains check "$work/out" "1 files checked: 0 errors, 0 warnings"
# --plugin=FILE, and the same file twice, are accepted.
"$kijun" check --plugin="$egfr" --plugin "$egfr" "$rules" > "$work/out" 2>&1 || fail "check with --plugin= twice must pass"

# test and coverage, on both engines.
for engine in interp jit; do
  "$kijun" test --engine "$engine" --no-jit-cache --plugin "$egfr" "$rules" > "$work/out" 2>&1 \
    || fail "test --engine $engine must pass"$'\n'"$(cat "$work/out")"
  grep -qE '^[0-9]+ passed, 0 failed$' "$work/out" || fail "test --engine $engine: closing line"
done
"$kijun" coverage --require 100 --plugin "$egfr" "$rules" > "$work/out" 2>&1 \
  || fail "coverage must be 100%"$'\n'"$(cat "$work/out")"

# judge: the interpreter, the JIT compiling, and the JIT in a second process
# taking the object from the cache give the same bytes.
forms="$rules/forms.jsonl"
"$kijun" judge --plugin "$egfr" --rules "$rules" --engine interp --in "$forms" > "$work/interp.jsonl" 2> "$work/err" \
  || fail "judge --engine interp must exit 0"$'\n'"$(cat "$work/err")"
"$kijun" judge --plugin "$egfr" --rules "$rules" --engine jit --jit-cache "$work/cache" --jit-stats --in "$forms" > "$work/jit1.jsonl" 2> "$work/err1"
"$kijun" judge --plugin "$egfr" --rules "$rules" --engine jit --jit-cache "$work/cache" --jit-stats --in "$forms" > "$work/jit2.jsonl" 2> "$work/err2"
expect_contains "judge (compiled)" "$work/err1" "jit cache: 0 hits, 1 misses, 0 rejected"
expect_contains "judge (from the cache)" "$work/err2" "jit cache: 1 hits, 0 misses, 0 rejected"
cmp -s "$work/interp.jsonl" "$work/jit1.jsonl" || fail "judge: the JIT's results differ from the interpreter's"
cmp -s "$work/interp.jsonl" "$work/jit2.jsonl" || fail "judge: the cached code's results differ from the interpreter's"
[ "$(wc -l < "$forms")" -eq "$(wc -l < "$work/interp.jsonl")" ] || fail "judge: one result per form"
expect_contains judge "$work/interp.jsonl" '"values":{"基準クレアチニン":0.361,"小児eGFR_Cr":102.4,"小児eGFR_シスタチンC":122.3,"小児eGFR_β2MG":83.7}'
# An unknown argument: the function is not called and the value is unknown.
expect_contains judge "$work/interp.jsonl" '"values":{"基準クレアチニン":0.562,"小児eGFR_Cr":null,'
expect_contains judge "$work/interp.jsonl" '"insufficient_data":["血清クレアチニン"]'
# Without the plugin the rule file is not usable.
"$kijun" judge --rules "$rules" --in "$forms" > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "judge without --plugin must exit 2"
expect_contains judge "$work/err" "K204"

# Content hashes: a rule file that calls a plugin hashes with the plugin's
# name and version; one that does not keeps its hash whatever is loaded.
mkdir -p "$work/hash"
cat > "$work/hash/calls.kijun" <<'KIJUN'
disease 指定難病 9002 "ハッシュのテスト"
section s "s" { item 面積 "面積" : decimal(1) 0.0..10.0 "m2" }
calc 辺 : decimal(2) "m" = kt_sqrt(面積)
KIJUN
cat > "$work/hash/plain.kijun" <<'KIJUN'
disease 指定難病 9003 "ハッシュのテスト (プラグインなし)"
section s "s" { item 面積 "面積" : decimal(1) 0.0..10.0 "m2" }
calc 二倍 : decimal(1) "m2" = 面積 * 2
KIJUN
echo '{"id":"H","disease":"指定難病/9002","items":{"面積":4.0}}' > "$work/calls.jsonl"
echo '{"id":"H","disease":"指定難病/9003","items":{"面積":4.0}}' > "$work/plain.jsonl"
for v in 1 2; do
  plugin="$test_plugin"
  [ "$v" = 2 ] && plugin="$test_plugin_v2"
  "$kijun" judge --plugin "$plugin" --rules "$work/hash" --engine interp --in "$work/calls.jsonl" > "$work/calls$v.jsonl" 2>/dev/null \
    || fail "judge with test plugin v$v"
  "$kijun" judge --plugin "$plugin" --rules "$work/hash" --engine interp --in "$work/plain.jsonl" > "$work/plain$v.jsonl" 2>/dev/null
done
expect_contains "judge with plugin" "$work/calls1.jsonl" '"values":{"辺":2.0}'
[ -n "$(hash_of "$work/calls1.jsonl")" ] || fail "hash: no hash in the result"
[ "$(hash_of "$work/calls1.jsonl")" != "$(hash_of "$work/calls2.jsonl")" ] \
  || fail "hash: a rule file calling a plugin must hash differently when the plugin's version changes"
"$kijun" judge --plugin "$test_plugin" --rules "$work/hash" --engine interp --in "$work/calls.jsonl" > "$work/calls1b.jsonl" 2>/dev/null
[ "$(hash_of "$work/calls1.jsonl")" = "$(hash_of "$work/calls1b.jsonl")" ] || fail "hash: must be stable"
[ "$(hash_of "$work/plain1.jsonl")" = "$(hash_of "$work/plain2.jsonl")" ] \
  || fail "hash: a rule file that calls no plugin must keep its hash"
rm "$work/hash/calls.kijun"
"$kijun" judge --rules "$work/hash" --engine interp --in "$work/plain.jsonl" > "$work/plain0.jsonl" 2>/dev/null
[ "$(hash_of "$work/plain0.jsonl")" = "$(hash_of "$work/plain1.jsonl")" ] \
  || fail "hash: loading a plugin must not change the hash of a file that does not call it"

# A refused plugin stops the command before any rule file is read.
"$kijun" check --plugin "$abi_mismatch" "$rules" > "$work/out" 2>&1
[ $? -eq 2 ] || fail "check with a refused plugin must exit 2"
expect_contains refused "$work/out" "kijun: プラグイン「$abi_mismatch」を読み込めません: プラグインの ABI の版 2 はこの kijun の版 1 と違います / cannot load plugin '$abi_mismatch': plugin ABI version 2 does not match this kijun's version 1"

if [ "$failures" -gt 0 ]; then
  echo "$failures failures"
  exit 1
fi
echo "native plugin CLI: all passed"
