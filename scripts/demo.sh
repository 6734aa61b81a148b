#!/usr/bin/env bash
# The main job on a fresh machine: install system packages if missing, build,
# check the shipped rules and scan every sample payload in seeds/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo build --release --quiet
target/release/floodwall rules check rules | tail -n 1
target/release/floodwall scan seeds/ "$@"
