#!/usr/bin/env bash
# Install what the platform needs on a Debian machine: bubblewrap, and a virtual
# environment in .venv with the pinned Python packages. Safe to run again; it
# reinstalls the packages only when pyproject.toml changes.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO_ROOT="$(pwd)"

apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: $* missing and this script is not running as root; install with: sudo apt-get install $*" >&2
        exit 2
    fi
    if [ -z "${APT_UPDATED:-}" ]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v bwrap >/dev/null 2>&1; then
    echo "Installing bubblewrap (the sandbox)..."
    apt_install bubblewrap
fi

find_python() {
    for candidate in "${PYTHON:-}" python3.11 python3; do
        if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
            if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
                echo "$candidate"
                return
            fi
        fi
    done
}

PYTHON_BIN="$(find_python)"
if [ -z "$PYTHON_BIN" ]; then
    echo "Installing Python 3.11..."
    apt_install python3 python3-venv python3-dev
    PYTHON_BIN="$(find_python)"
fi
if [ -z "$PYTHON_BIN" ]; then
    echo "error: Python 3.11 is required (torch 2.13.0 is pinned for it); set PYTHON=/path/to/python3.11" >&2
    exit 2
fi

if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtual environment in .venv with $PYTHON_BIN..."
    if ! "$PYTHON_BIN" -m venv .venv 2>/dev/null; then
        apt_install python3-venv
        "$PYTHON_BIN" -m venv .venv
    fi
fi

STAMP=.venv/.tensorcraft-installed
WANTED="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANTED" ]; then
    echo "Installing Python packages (torch, Django, Celery, ...); the first time takes a few minutes..."
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e "$REPO_ROOT[test]"
    echo "$WANTED" > "$STAMP"
fi
