#!/usr/bin/env bash
# Configures and builds Kijun into build/ (Ninja, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
build_type="${KIJUN_BUILD_TYPE:-RelWithDebInfo}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
cmake --build build --parallel "$(nproc)"
