#!/usr/bin/env bash
# The README's first command: installs everything Packrun needs, starts `packrun up` on its
# embedded default (embedded store + in-process bus, nothing else to install) in the background,
# installs the examples pack through the API with live progress, and runs example actions through
# the API. The server keeps running afterwards; the last lines say how to use and stop it.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/setup.sh"
export PATH="$repo/bin:$PATH"
export PACKRUN_HOME="${PACKRUN_HOME:-$HOME/.packrun}"
mkdir -p "$PACKRUN_HOME/logs"
pidfile="$PACKRUN_HOME/packrun-up.pid"
log="$PACKRUN_HOME/logs/packrun-up.log"

api_answers() {
  node -e "fetch((process.env.PACKRUN_API_URL || 'http://127.0.0.1:9101') + '/api/v1/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
}

if api_answers; then
  echo "==> packrun is already up"
else
  echo "==> starting packrun up (log: $log)"
  nohup packrun up >>"$log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    api_answers && break
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { echo "packrun up exited; see $log" >&2; tail -n 20 "$log" >&2; exit 1; }
    sleep 0.5
  done
  api_answers || { echo "packrun up did not answer within 60 s; see $log" >&2; exit 1; }
fi

echo "==> installing the examples pack (its own virtualenv and node_modules)"
packrun pack install "$repo/packs/examples"
echo "==> a Python action with a pinned PyPI library, through the API"
packrun run examples.humanize_bytes size=123456789
echo "==> a Node action with an npm library"
packrun run examples.is_number value=42
echo "==> a shell script action"
packrun run examples.greet name=Ann times=2 shout=true
echo
echo "Packrun is up on its embedded store (data in $PACKRUN_HOME)."
echo "Web UI: ${PACKRUN_API_URL:-http://127.0.0.1:9101}/ (sign in with the API key in $PACKRUN_HOME/secrets/cli-api-key)"
echo "Try: export PATH=\"$repo/bin:\$PATH\"; packrun execution list; packrun action list"
echo "Stop it with: kill \$(cat $pidfile)"
