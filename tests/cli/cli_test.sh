#!/usr/bin/env bash
# The kijun command end to end, as a user runs it.
# usage: cli_test.sh KIJUN_BINARY SOURCE_DIR
set -uo pipefail
kijun="$1"
src="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_contains() {  # name haystack-file needle
  grep -qF -- "$3" "$2" || fail "$1: expected to find: $3"$'\n'"$(head -c 2000 "$2")"
}

# check: a misspelt item gives a located, bilingual error with a suggestion; exit 1.
cat > "$work/bad.kijun" <<'KIJUN'
disease 指定難病 999 "テスト"
section s "s" {
  item 生活機能障害度 "生活機能障害度" : choice { 1 "1度", 2 "2度", 3 "3度" }
}
severity 重症度 {
  level 対象 : 生活機能障害 >= 2
  level 対象外 : otherwise
  qualifying 対象
}
KIJUN
"$kijun" check "$work/bad.kijun" > "$work/out" 2>&1
[ $? -eq 1 ] || fail "check: a bad file must exit 1"
expect_contains check "$work/out" "bad.kijun:6:14: エラー[K201]: 「生活機能障害」は定義されていません"
expect_contains check "$work/out" "error: unknown name '生活機能障害'"
expect_contains check "$work/out" "ヒント: 「生活機能障害度」のことですか？"
expect_contains check "$work/out" "hint: did you mean '生活機能障害度'?"
expect_contains check "$work/out" " 6 |   level 対象 : 生活機能障害 >= 2"

# check and test on the rule library.
"$kijun" check "$src/diseases" > "$work/out" 2>&1 || fail "check diseases/ must pass"$'\n'"$(cat "$work/out")"
"$kijun" test "$src/diseases" > "$work/out" 2>&1 || fail "test diseases/ must pass"
grep -qE '^[0-9]+ passed, 0 failed$' "$work/out" || fail "test: closing line"$'\n'"$(cat "$work/out")"

# test: a failing expectation shows expected and actual, and exits 1.
cat > "$work/failing.kijun" <<'KIJUN'
module m
section s "s" { item x "x" : integer 0..10 }
calc y : integer = x * 2
test "二倍" { given { x: 3 } expect y = 7 }
KIJUN
"$kijun" test "$work/failing.kijun" > "$work/out" 2>&1
[ $? -eq 1 ] || fail "test: a failing test must exit 1"
expect_contains test "$work/out" "expected: y = 7"
expect_contains test "$work/out" "actual:   y = 6"
expect_contains test "$work/out" "0 passed, 1 failed"

# judge: one result per input line, bad lines give per-line errors, deterministic.
"$kijun" judge --rules "$src/diseases" --in "$src/diseases/examples/forms.jsonl" --out "$work/r1.jsonl" 2> "$work/err" \
  || fail "judge must exit 0"
"$kijun" judge --rules "$src/diseases" --in "$src/diseases/examples/forms.jsonl" --out "$work/r2.jsonl" 2>/dev/null
cmp -s "$work/r1.jsonl" "$work/r2.jsonl" || fail "judge output must be byte-identical between runs"
lines_in=$(grep -c . "$src/diseases/examples/forms.jsonl")
lines_out=$(wc -l < "$work/r1.jsonl")
[ "$lines_in" -eq "$lines_out" ] || fail "judge: $lines_in forms in, $lines_out results out"
expect_contains judge "$work/r1.jsonl" '"id":"PD-0001","disease":"指定難病/6","rule":{"name":"パーキンソン病","revision":2403,"hash":"sha256:'
expect_contains judge "$work/r1.jsonl" '"name":"判定","level":"認定相当"'
expect_contains judge "$work/r1.jsonl" '"insufficient_data":["A-1"]'
expect_contains judge "$work/r1.jsonl" '{"line":4,"status":"invalid"'
expect_contains judge "$work/r1.jsonl" '"id":"X-1","status":"invalid"'
expect_contains judge "$work/err" "judged,"
# judge --compact: the same forms (the examples, random forms of the mix the
# differential tester uses, forms as a clinic sends them) give the same
# bytes on the interpreter and on the JIT's batch path, which takes most of
# the clinic forms.
{ cat "$src/diseases/examples/forms.jsonl"
  "$kijun" forms --rules "$src/diseases" --count 500 --seed 3
  "$kijun" forms --rules "$src/diseases" --valid --count 1500 --seed 4
  "$kijun" forms --rules "$src/diseases" --passing --count 300 --seed 5; } > "$work/compact_in.jsonl"
"$kijun" judge --rules "$src/diseases" --compact --engine interp --in "$work/compact_in.jsonl" \
  --out "$work/ci.jsonl" 2>/dev/null || fail "judge --compact (interp) must exit 0"
"$kijun" judge --rules "$src/diseases" --compact --in "$work/compact_in.jsonl" --out "$work/cj.jsonl" \
  2> "$work/err" || fail "judge --compact (jit) must exit 0"
cmp -s "$work/ci.jsonl" "$work/cj.jsonl" || fail "judge --compact: the engines must write the same bytes"
expect_contains compact "$work/cj.jsonl" '"name":"判定","level":"認定相当","truths":"'
batched=$(sed -n 's/.*(\([0-9]*\) on the batch path).*/\1/p' "$work/err")
# forms --passing: every form passes the instant check (no error message),
# and they are not all the same form.
passing=$(tail -n 300 "$work/ci.jsonl")
[ "$(grep -c '"status":"ok"' <<< "$passing")" -eq 300 ] || fail "forms --passing: a form with errors"
[ "$(tail -n 300 "$work/compact_in.jsonl" | sed 's/"id":"F[0-9]*"//' | sort -u | wc -l)" -ge 290 ] \
  || fail "forms --passing: forms repeat"
"$kijun" forms --rules "$src/diseases" --passing --count 300 --seed 5 | cmp -s - <(tail -n 300 "$work/compact_in.jsonl") \
  || fail "forms --passing: the same seed must give the same forms"
[ "${batched:-0}" -ge 1000 ] || fail "judge --compact: only ${batched:-0} of 1,500 clinic forms on the batch path"
# A fault in one disease's native code (injected): the run goes on, that
# disease is judged on the interpreter (same bytes), and it is reported.
KIJUN_JIT_FAULT="crash:指定難病/6" "$kijun" judge --rules "$src/diseases" --compact \
  --in "$work/compact_in.jsonl" --out "$work/cf.jsonl" 2> "$work/err" \
  || fail "judge with faulting native code must exit 0"
cmp -s "$work/ci.jsonl" "$work/cf.jsonl" || fail "judge: a faulting disease must be judged as the interpreter judges it"
expect_contains fault "$work/err" "native code faulted, judging this disease on the interpreter from now on"

# explain: Japanese by default, English on request.
"$kijun" explain --rules "$src/diseases" "$src/diseases/examples/parkinson_form.json" > "$work/out" 2>&1 || fail "explain"
expect_contains explain "$work/out" "■ 診断のカテゴリー: Definite  [助成対象の区分: はい]"
sed -n 2p "$src/diseases/examples/forms.jsonl" | "$kijun" explain --rules "$src/diseases" --lang en - > "$work/out" 2>&1
expect_contains explain-en "$work/out" "insufficient data"
expect_contains explain-en "$work/out" "items that would decide it: A-1"

# dump after a pass and after lowering.
"$kijun" dump --after=check_types "$src/diseases/nanbyo/006_parkinson.kijun" > "$work/out" 2>&1 || fail "dump"
expect_contains dump "$work/out" "(name A-1 :item :truth value)"
"$kijun" dump --after=lower_to_ir "$src/diseases/nanbyo/006_parkinson.kijun" > "$work/out" 2>&1 || fail "dump ir"
expect_contains dump-ir "$work/out" "classification #0 診断のカテゴリー"
"$kijun" dump --after=no_such_pass "$src/diseases/nanbyo/006_parkinson.kijun" > "$work/out" 2>&1
[ $? -eq 2 ] || fail "dump: unknown pass must exit 2"

# fmt: the rule library is formatted; a messy copy gets formatted and stays the same meaning.
"$kijun" fmt --check "$src/diseases" > "$work/out" 2>&1 || fail "fmt --check diseases/"$'\n'"$(cat "$work/out")"
printf 'module m\ncalc   x =1+2*3   # c\n' > "$work/messy.kijun"
"$kijun" fmt "$work/messy.kijun" > /dev/null
[ "$(cat "$work/messy.kijun")" = $'module m\n\ncalc x = 1 + 2 * 3  # c' ] || fail "fmt result: $(cat "$work/messy.kijun")"

# JIT object cache: a miss fills it, the next run hits it, a corrupt entry is
# rejected and rebuilt, and the tests pass every time.
cache="$work/jit-cache"
pd="$src/diseases/nanbyo/006_parkinson.kijun"
"$kijun" test --jit-cache "$cache" --jit-stats "$pd" > "$work/out" 2>&1 || fail "cache: first run"
expect_contains cache-miss "$work/out" "jit cache: 0 hits, 1 misses, 0 rejected"
"$kijun" test --jit-cache "$cache" --jit-stats "$pd" > "$work/out" 2>&1 || fail "cache: second run"
expect_contains cache-hit "$work/out" "jit cache: 1 hits, 0 misses, 0 rejected"
object=$(ls "$cache"/*.o | head -1)
printf 'corrupt' | dd of="$object" bs=1 seek=300 conv=notrunc 2>/dev/null
"$kijun" test --jit-cache "$cache" --jit-stats "$pd" > "$work/out" 2>&1 || fail "cache: corrupt entry must not break the run"
expect_contains cache-rejected "$work/out" "jit cache: 0 hits, 0 misses, 1 rejected"
"$kijun" test --jit-cache "$cache" --jit-stats "$pd" > "$work/out" 2>&1 || fail "cache: rebuilt entry"
expect_contains cache-rebuilt "$work/out" "jit cache: 1 hits, 0 misses, 0 rejected"
# Every example patient of the file passes (as many as it has `test` blocks).
tests_in_file=$(grep -c '^test "' "$pd")
expect_contains engines "$work/out" "$tests_in_file passed, 0 failed"
# Code compiled for another CPU (KIJUN_JIT_CPU) is another cache entry: the
# host's is not reused for it, and its own is reused next time.
KIJUN_JIT_CPU=x86-64-v2 "$kijun" test --jit-cache "$cache" --jit-stats "$pd" > "$work/out" 2>&1 \
  || fail "cache: another CPU"
expect_contains cache-cpu-miss "$work/out" "jit cache: 0 hits, 1 misses, 0 rejected"
expect_contains cache-cpu-tests "$work/out" "$tests_in_file passed, 0 failed"
KIJUN_JIT_CPU=x86-64-v2 "$kijun" test --jit-cache "$cache" --jit-stats "$pd" > "$work/out" 2>&1 \
  || fail "cache: another CPU, second run"
expect_contains cache-cpu-hit "$work/out" "jit cache: 1 hits, 0 misses, 0 rejected"
# Judged with code for that CPU, or with a CPU LLVM does not know (said, and
# judged on the interpreter), the results are the interpreter's bytes.
KIJUN_JIT_CPU=x86-64-v2 "$kijun" judge --rules "$src/diseases" --compact --in "$work/compact_in.jsonl" \
  --out "$work/cv2.jsonl" 2>/dev/null || fail "judge with KIJUN_JIT_CPU=x86-64-v2"
cmp -s "$work/ci.jsonl" "$work/cv2.jsonl" || fail "judge: code for x86-64-v2 must give the interpreter's bytes"
KIJUN_JIT_CPU=no-such-cpu "$kijun" judge --rules "$src/diseases" --compact --in "$work/compact_in.jsonl" \
  --out "$work/cbad.jsonl" 2> "$work/err" || fail "judge with an unknown KIJUN_JIT_CPU must still judge"
cmp -s "$work/ci.jsonl" "$work/cbad.jsonl" || fail "judge: an unknown CPU must fall back to the interpreter's bytes"
expect_contains cpu-unknown "$work/err" "KIJUN_JIT_CPU: 'no-such-cpu' is not a CPU LLVM knows"

if [ "$failures" -ne 0 ]; then
  echo "$failures CLI checks failed"
  exit 1
fi
echo "all CLI checks passed"
