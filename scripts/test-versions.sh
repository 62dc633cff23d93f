#!/usr/bin/env bash
# The test suite on the other Pythons the package supports (`make test-versions`), each in its
# own .venv-<version>. An interpreter is looked for on PATH, then among pyenv's versions; one
# that is not on this machine is reported and skipped. No coverage or docs build here: `make
# test` does those on the default Python.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
    local version=$1 candidate
    for candidate in "python$version" "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/"$version".*/bin/"python$version"; do
        if "$candidate" -c 'import sys' >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

for version in ${VERSIONS:-3.12 3.13}; do
    if ! python=$(find_python "$version"); then
        echo "Python $version: not on this machine, skipped"
        continue
    fi
    venv=".venv-$version"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q -U pip
    "$venv/bin/python" -m pip install -q -e . --group test --group docs
    echo "== pytest on $("$venv/bin/python" --version)"
    TZ=UTC "$venv/bin/python" -m pytest -q -p no:cacheprovider
done
