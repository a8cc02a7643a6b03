#!/usr/bin/env bash
# Runs Packrun's whole test suite: installs what is missing, makes sure the local RabbitMQ is up
# (tests talk to the real broker on 127.0.0.1:5672), type-checks, then runs every test, and the
# runner's and the sandbox's suites once more with warm spawning off.
# MongoDB contract tests run only when PACKRUN_TEST_MONGODB_URL is set; the suite says when they skip.
# The distributed shape against nx-27017 (a MongoDB wire-protocol server from PyPI, ~30 s) runs
# unless PACKRUN_TEST_NX27017=0; setup.sh installs nx-27017 for it.
# The npm package installed from its tarball (test/cli/npm-package, ~3 min compiling better-sqlite3)
# runs unless PACKRUN_TEST_NPM_PACKAGE=0.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PACKRUN_TEST_NX27017="${PACKRUN_TEST_NX27017:-1}"
export PACKRUN_TEST_NPM_PACKAGE="${PACKRUN_TEST_NPM_PACKAGE:-1}"
if [ "$PACKRUN_TEST_NX27017" = 1 ]; then export PACKRUN_SETUP_NX27017=1; fi
bash "$repo/scripts/setup.sh"
if command -v rabbitmq-diagnostics >/dev/null && ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
  echo "==> starting RabbitMQ"
  rabbitmq-server -detached
  for _ in $(seq 1 60); do rabbitmq-diagnostics -q ping >/dev/null 2>&1 && break; sleep 1; done
fi
cd "$repo"
echo "==> type-checking"
.tools/bin/pnpm exec tsc -p tsconfig.json
# The web UI has its own compiler settings (the DOM, Preact's JSX): packages/web/tsconfig.json.
.tools/bin/pnpm --dir packages/web exec tsc -p tsconfig.json
# One plain closing line per run, whatever the reporter printed above it.
summarize() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${process.argv[2]}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$1" "$2" || true
}
echo "==> running tests"
results="$(mktemp)"
status=0
.tools/bin/pnpm exec vitest run --reporter=default --reporter=json --outputFile="$results" "$@" || status=$?
summarize "$results" tests
# Warm spawning is on by default, so the run above covers it; the runner's and the sandbox's
# suites must pass with it off too (test/warm-modes.config.ts). Skipped when a subset was asked for.
if [ "$#" -eq 0 ]; then
  echo "==> the runner's and the sandbox's suites again, with warm spawning off"
  cold_results="$(mktemp)"
  .tools/bin/pnpm exec vitest run -c test/warm-modes.config.ts --project warm-off --reporter=default --reporter=json --outputFile="$cold_results" || status=$?
  summarize "$results" "tests"
  summarize "$cold_results" "tests with warm spawning off"
  rm -f "$cold_results"
fi
rm -f "$results"
exit "$status"
