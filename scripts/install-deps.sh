#!/usr/bin/env bash
# Installs the system packages floodwall builds against, when missing:
# Hyperscan (libhyperscan-dev, x86-64 only) and pkg-config. Debian/Ubuntu.
set -euo pipefail

if pkg-config --exists libhs 2>/dev/null; then
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "install-deps: need root (or sudo) to install libhyperscan-dev and pkg-config" >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: no apt-get; install Hyperscan (libhs) and pkg-config with your package manager" >&2
    exit 1
fi
echo "install-deps: installing libhyperscan-dev and pkg-config" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq libhyperscan-dev pkg-config >/dev/null
pkg-config --exists libhs || { echo "install-deps: libhs still not found by pkg-config" >&2; exit 1; }
