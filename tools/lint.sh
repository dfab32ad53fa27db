#!/usr/bin/env bash
# Lint and format check (ruff, configured in pyproject.toml and notebooks/ruff.toml) over the code
# and the notebooks' py:percent sources, and the layers' import contract (import-linter). CI
# (.ci/run) runs it before the tests.
#
#     bash tools/lint.sh                  # check only; exit code 1 on any finding
#
# To fix: `ruff check --fix` and `ruff format` on the same paths, then
# `python tools/refresh_notebooks.py --sources-only` to copy reformatted notebook sources into the
# .ipynb files (formatting cannot change what a cell shows, so nothing is re-executed).
set -euo pipefail
cd "$(dirname "$0")/.."
RUFF=${RUFF:-$( [ -x .venv/bin/ruff ] && echo .venv/bin/ruff || echo ruff )}
paths=(src tests tools benchmarks docs/conf.py docs/_ext notebooks/*.py)
status=0
"$RUFF" check "${paths[@]}" || status=1
"$RUFF" format --check "${paths[@]}" || status=1
# the layers' import rules ([tool.importlinter] in pyproject.toml): analysis and data never import
# figures or batch, data never analysis, batch never analysis, no circles
LINT_IMPORTS=${LINT_IMPORTS:-$( [ -x .venv/bin/lint-imports ] && echo .venv/bin/lint-imports || echo lint-imports )}
"$LINT_IMPORTS" --no-cache || status=1
exit $status
