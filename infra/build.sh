#!/usr/bin/env bash
# Builds what a deployment uploads, installing the tools that are missing:
#   - the Lambda artifact infra/.build/meshport.zip: the `meshport` binary for arm64, named `bootstrap` as the
#     provided.al2023 runtime expects, linked against glibc 2.34 (the runtime's), with librdkafka and OpenSSL inside;
#   - the portal, frontend/dist (trunk, release build).
#
# Usage: infra/build.sh [lambda|portal|all]   (default: all)
#
# Cross-compiling needs a C compiler for aarch64 (librdkafka and OpenSSL are C). zig (PyPI `ziglang`) is used rather
# than Debian's gcc-aarch64-linux-gnu because it can target an exact glibc: Debian 12's cross gcc links against
# glibc 2.36, newer than Amazon Linux 2023's 2.34, and a binary needing a newer glibc fails at its first start.
set -euo pipefail
source "$(dirname "$0")/../scripts/common.sh"
cd "$MESHPORT_ROOT"

readonly TARGET="aarch64-unknown-linux-gnu"
readonly GLIBC="2.34"
readonly CARGO_LAMBDA_VERSION="1.9.2"
readonly ZIG_VERSION="0.17.1"
readonly MAX_ZIP_BYTES=10000000
out="$MESHPORT_ROOT/infra/.build"
what=${1:-all}
case "$what" in lambda | portal | all) ;; *) die "usage: infra/build.sh [lambda|portal|all]" ;; esac

ensure_pip() {
  local module=$1 spec=$2
  python3 -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$module') is None)" 2>/dev/null && return 0
  log "installing $spec (pip)"
  python3 -m pip install --quiet --disable-pip-version-check "$spec"
  hash -r
}

# librdkafka is built by its own `configure` script, which reads CC and AR only (not cargo's per-target variables),
# so plain CC/AR point at zig for aarch64 and HOST_CC keeps build scripts compiling for this machine.
zig_wrappers() {
  local dir="$out/zig" zig_target="aarch64-linux-gnu.$GLIBC"
  mkdir -p "$dir"
  printf '#!/bin/sh\nexec python3 -m ziglang cc -target %s "$@"\n' "$zig_target" >"$dir/cc"
  printf '#!/bin/sh\nexec python3 -m ziglang c++ -target %s "$@"\n' "$zig_target" >"$dir/c++"
  printf '#!/bin/sh\nexec python3 -m ziglang ar "$@"\n' >"$dir/ar"
  printf '#!/bin/sh\nexec python3 -m ziglang ranlib "$@"\n' >"$dir/ranlib"
  chmod +x "$dir"/*
  export CC="$dir/cc" CXX="$dir/c++" AR="$dir/ar" RANLIB="$dir/ranlib" HOST_CC=cc HOST_CXX=c++
  # `make libs` also links librdkafka.so, whose version script names a symbol this build leaves out; lld refuses that
  # unless told otherwise. Only the static library is used.
  export LDFLAGS="-Wl,--undefined-version"
}

build_lambda() {
  command -v cargo-lambda >/dev/null 2>&1 || ensure_pip cargo_lambda "cargo-lambda==$CARGO_LAMBDA_VERSION"
  command -v cargo-lambda >/dev/null 2>&1 || die "cargo-lambda is not on PATH after pip install"
  ensure_pip ziglang "ziglang==$ZIG_VERSION"
  rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
  ensure_apt binutils

  mkdir -p "$out"
  zig_wrappers
  log "building the Lambda artifact ($TARGET, glibc $GLIBC)"
  local started=$SECONDS
  # Optimised for size: the zip must stay under 10 MB, and the API waits on Kafka, DynamoDB and the registry far
  # more than it computes. (Only this build: the workspace's release profile stays as it is for local runs.)
  cargo lambda build --release --locked --package meshport-api --bin meshport \
    --config 'profile.release.opt-level="s"' \
    --target "$TARGET.$GLIBC" --output-format zip --lambda-dir "$out/lambda"
  cp "$out/lambda/meshport/bootstrap.zip" "$out/meshport.zip"

  # The binary inside must not ask for a glibc newer than the runtime's.
  local binary="$out/lambda/meshport/bootstrap" newest
  python3 - "$out/meshport.zip" "$out/lambda/meshport" <<'PY'
import os, sys, zipfile
entry = zipfile.ZipFile(sys.argv[1]).getinfo("bootstrap")
if not (entry.external_attr >> 16) & 0o100:
    sys.exit("bootstrap is not executable in the zip: Lambda could not start it")
os.chmod(zipfile.ZipFile(sys.argv[1]).extract(entry, sys.argv[2]), 0o755)
PY
  newest=$(readelf --dyn-syms --wide "$binary" | grep -Eo 'GLIBC_[0-9]+\.[0-9]+(\.[0-9]+)?' | sort -uV | tail -n 1)
  [ "$(printf '%s\n' "$newest" "GLIBC_$GLIBC" | sort -V | tail -n 1)" = "GLIBC_$GLIBC" ] \
    || die "the binary needs $newest, newer than provided.al2023's glibc $GLIBC"

  local size
  size=$(stat -c %s "$out/meshport.zip")
  log "infra/.build/meshport.zip: $((size / 1024)) KiB zipped ($(($(stat -c %s "$binary") / 1024)) KiB binary), newest glibc symbol $newest, built in $((SECONDS - started))s"
  [ "$size" -le "$MAX_ZIP_BYTES" ] || die "the artifact is over 10 MB"
}

build_portal() {
  log "building the portal (frontend/dist: Discover; Studio under studio/, Manage and Access under studio/manage/ and studio/access/)"
  bash scripts/build-portal
}

case "$what" in
  lambda) build_lambda ;;
  portal) build_portal ;;
  all) build_lambda && build_portal ;;
esac
