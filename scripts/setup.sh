#!/usr/bin/env bash
# Installs every Debian package Kijun needs to build, test and run.
# Idempotent: safe to run again; `apt-get update` first so a fresh image works.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  antlr4 libantlr4-runtime-dev default-jre-headless
  llvm-19-dev
  libpoco-dev libpq-dev postgresql-15 libssl-dev openssl libjemalloc-dev libsimdjson-dev
  python3 wrk
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev
  clang-format clang-tidy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
