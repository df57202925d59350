#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds Kijun, checks the rules in diseases/
# and judges the example forms, writing one result per line to
# var/results.jsonl. (The registry server will take this command over.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
mkdir -p var
build/cli/kijun check diseases
build/cli/kijun judge --rules diseases --in diseases/examples/forms.jsonl --out var/results.jsonl
echo "results: var/results.jsonl"
build/cli/kijun explain --rules diseases diseases/examples/parkinson_form.json
