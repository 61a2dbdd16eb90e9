#!/usr/bin/env bash
# Prints the path of a Python interpreter of one of the given minor versions (e.g. 3.11, or 3.13 3.12),
# looking on PATH and in pyenv's versions; exits 1 with a one-line hint when none is found.
set -u
for want in "$@"; do
  for cand in "python$want" $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python"$want" 2>/dev/null | sort -rV); do
    path=$(command -v "$cand" 2>/dev/null) || continue
    if "$path" -c "import sys, venv; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" 2>/dev/null; then
      echo "$path"; exit 0
    fi
  done
done
echo "error: no Python $* found; install one (e.g. 'pyenv install $1' or your OS package python$1-venv) and retry" >&2
exit 1
