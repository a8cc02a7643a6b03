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
.tools/bin/pnpm exec vitest run "$@"
