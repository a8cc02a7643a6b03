#!/usr/bin/env bash
# Installs everything Packrun needs on a fresh Debian 12 machine with Node 20 and Python 3.11:
# pnpm (kept inside .tools/, nothing global), the workspace's npm packages, uv (for fast pack
# envs), and bubblewrap (the sandbox's namespace layer). Safe to run again: it skips what is there.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo/.tools"
mkdir -p "$tools/bin"
say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  command -v bwrap >/dev/null || missing+=(bubblewrap)
  command -v git >/dev/null || missing+=(git)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if [ ! -x "$tools/node_modules/.bin/pnpm" ]; then
  say "installing pnpm into .tools/"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error pnpm@9.15.9 >/dev/null
fi
ln -sf ../node_modules/.bin/pnpm "$tools/bin/pnpm"

say "installing workspace packages"
(cd "$repo" && "$tools/bin/pnpm" install --frozen-lockfile --reporter=silent)

python="$(python3 -c 'import sys; print(sys.executable)')"
if [ ! -x "$tools/py/bin/uv" ]; then
  say "installing uv into .tools/py"
  "$python" -m venv "$tools/py"
  "$tools/py/bin/pip" install --quiet --disable-pip-version-check 'uv==0.9.*'
fi
ln -sf ../py/bin/uv "$tools/bin/uv"
say "ready: put $repo/bin on your PATH to use the packrun command"
