#!/usr/bin/env bash
# Runs Packrun's whole test suite: installs what is missing, makes sure the local RabbitMQ is up
# (tests talk to the real broker on 127.0.0.1:5672), type-checks, then runs every test.
# MongoDB contract tests run only when PACKRUN_TEST_MONGODB_URL is set; the suite says when they skip.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/setup.sh"
if command -v rabbitmq-diagnostics >/dev/null && ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
  echo "==> starting RabbitMQ"
  rabbitmq-server -detached
  for _ in $(seq 1 60); do rabbitmq-diagnostics -q ping >/dev/null 2>&1 && break; sleep 1; done
fi
cd "$repo"
echo "==> type-checking"
.tools/bin/pnpm exec tsc -p tsconfig.json
echo "==> running tests"
results="$(mktemp)"
status=0
.tools/bin/pnpm exec vitest run --reporter=default --reporter=json --outputFile="$results" "$@" || status=$?
# One plain closing line, whatever the reporter printed above it.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$results" || true
rm -f "$results"
exit "$status"
