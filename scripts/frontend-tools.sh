#!/usr/bin/env bash
# Installs the tools that build and test the portal (frontend/) without network access at build time, and prints the
# line that puts them first on PATH.
#
# Usage, from anywhere:
#     eval "$(bash scripts/frontend-tools.sh)"
#
# Only that one `export PATH=... TRUNK_SKIP_VERSION_CHECK=true` line goes to stdout; progress goes to stderr.
# It is idempotent and installs only what is missing, so a second run takes under a second:
#   - the wasm32-unknown-unknown target of the pinned toolchain (rust-toolchain.toml);
#   - trunk 0.21.14 (newer releases need a newer rustc), into ~/.cargo/bin;
#   - wasm-bindgen-cli (wasm-bindgen and wasm-bindgen-test-runner) at exactly the wasm-bindgen version in
#     Cargo.lock, read at run time, into ~/.cargo/bin: the CLI must match the library exactly;
#   - wasm-opt from npm's binaryen 132 (a node + wasm build, so no platform binary), into .tools/ at the repo root.
#     Debian's binaryen 108 is too old: Chromium rejects the wasm it writes.
#
# The cargo tools live in ~/.cargo/bin rather than .tools/ because CI runs in a fresh clone on the same machine, and
# rebuilding trunk there would cost minutes on every run; npm's binaryen installs in seconds.
# frontend/Trunk.toml pins the same versions and sets `offline = true`, so trunk uses exactly these binaries or fails;
# this script checks that the pin there still matches Cargo.lock.
set -euo pipefail

readonly TRUNK_VERSION="0.21.14"
readonly BINARYEN_VERSION="132"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo_root
readonly tools_dir="$repo_root/.tools"
readonly cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"

# Running from the repo root makes rustup pick the toolchain pinned in rust-toolchain.toml.
cd "$repo_root"
export PATH="$tools_dir/node_modules/.bin:$cargo_bin:$PATH"

# log and die: the scripts' one way to say what is happening and to fail (both on stderr).
source "$repo_root/scripts/common.sh"

# Prints the first line of `tool --version`, or nothing when the tool is missing or broken.
version_of() {
    "$@" --version 2>/dev/null | head -n 1 || true
}

# `cargo install` in a throwaway target dir: building in a shared CARGO_TARGET_DIR would hold its lock and make
# everyone else's builds wait for ours.
install_crate() {
    env -u CARGO_TARGET_DIR cargo install "$@" >&2
}

wasm_bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[[ -n "$wasm_bindgen_version" ]] || die "Cargo.lock has no wasm-bindgen package: build the workspace once to lock it"
readonly wasm_bindgen_version

trunk_pin="$(sed -n 's/^wasm_bindgen *= *"\(.*\)"/\1/p' frontend/Trunk.toml)"
[[ "$trunk_pin" == "$wasm_bindgen_version" ]] ||
    die "frontend/Trunk.toml pins wasm_bindgen = \"$trunk_pin\" but Cargo.lock has $wasm_bindgen_version:" \
        "set it to \"$wasm_bindgen_version\""

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown >&2
fi

if [[ "$(version_of trunk)" != "trunk $TRUNK_VERSION" ]]; then
    log "installing trunk $TRUNK_VERSION (takes several minutes)"
    install_crate trunk --version "$TRUNK_VERSION" --locked
fi

# `wasm-bindgen --version` prints `wasm-bindgen 0.2.130` or `wasm-bindgen 0.2.130 (<commit>)`.
if [[ "$(version_of wasm-bindgen)" != "wasm-bindgen $wasm_bindgen_version"* ]] ||
    [[ "$(version_of wasm-bindgen-test-runner)" != *" $wasm_bindgen_version"* ]]; then
    log "installing wasm-bindgen-cli $wasm_bindgen_version"
    # Not --locked: the CLI's own lockfile may need a newer rustc than the pinned toolchain.
    install_crate wasm-bindgen-cli --version "=$wasm_bindgen_version" --force
fi

if [[ "$(version_of "$tools_dir/node_modules/.bin/wasm-opt")" != "wasm-opt version $BINARYEN_VERSION "* ]]; then
    command -v npm >/dev/null || die "npm is missing: install it with \`apt-get install -y nodejs npm\`"
    log "installing wasm-opt from binaryen@$BINARYEN_VERSION into $tools_dir"
    mkdir -p "$tools_dir"
    cp frontend/tools/package.json frontend/tools/package-lock.json "$tools_dir/"
    # `npm ci` installs exactly what the lockfile names and checks each package's integrity hash.
    npm ci --prefix "$tools_dir" --no-audit --no-fund --loglevel=error >&2
fi

for tool in trunk wasm-bindgen wasm-bindgen-test-runner wasm-opt; do
    command -v "$tool" >/dev/null || die "$tool is still not on PATH after installing it"
done

# trunk asks crates.io for a newer trunk on every run unless told not to; Trunk.toml's `offline = true` does not.
printf 'export PATH=%q:%q:"$PATH" TRUNK_SKIP_VERSION_CHECK=true\n' "$tools_dir/node_modules/.bin" "$cargo_bin"
