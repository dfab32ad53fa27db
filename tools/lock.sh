#!/usr/bin/env bash
# Regenerate the lock file and the pinned environment.yml from pyproject.toml:
#
#     bash tools/lock.sh              # add what pyproject.toml newly asks for, keep other pins
#     bash tools/lock.sh --upgrade    # every package to its newest allowed version
#
# requirements/lock.txt: every package (the dependencies, the test, dask, dev and docs extras and all they
# need) at one exact version with the sha256 of each of its files on PyPI, for Python 3.11 on Linux
# x86_64, resolved by uv. environment.yml: the same dependencies pinned to the lock's versions
# (tools/pin_environment.py). Needs python3 and the network to PyPI, nothing else: uv is installed
# from PyPI into a temporary virtual environment. Extra arguments go to `uv pip compile`.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9   # the resolver: a new uv may resolve the same constraints differently
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"

# --no-config and --default-index: a user's uv settings or mirror must not change the lock
UV_CUSTOM_COMPILE_COMMAND="bash tools/lock.sh" "$work/venv/bin/uv" pip compile pyproject.toml \
    --extra test --extra dask --extra dev --extra docs \
    --generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
    --no-config --default-index https://pypi.org/simple \
    --output-file requirements/lock.txt --quiet "$@"
"$work/venv/bin/python" tools/pin_environment.py
echo "wrote requirements/lock.txt ($(grep -c '==' requirements/lock.txt) packages) and environment.yml"
