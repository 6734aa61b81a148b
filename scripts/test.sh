#!/usr/bin/env bash
# The whole test suite: install system packages if missing, then unit,
# integration, conformance (reads ../shared/corpora) and doc tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo test --all-targets --quiet
cargo test --doc --quiet
