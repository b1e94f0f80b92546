#!/usr/bin/env bash
# The whole test suite: set-up, type check, lint, format check, unit and end-to-end tests through
# the real Pulumi CLI, and the benchmark smoke run (smallest size, no timing assertions).
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
bash "$here/setup.sh"
source "$here/pulumi-env.sh"
cd "$MFG_ROOT"
echo "pulumi: $(command -v pulumi) $(pulumi version)"
npm run --silent typecheck
npm run --silent lint
npm run --silent format:check
# The benchmark harness at its smallest size, as a smoke check that it still works (no timings judged).
node dist/bench/run.js --smoke
# Last, so that the test runner's summary closes the output.
node --test --test-concurrency=1 dist/test/unit dist/test/e2e
