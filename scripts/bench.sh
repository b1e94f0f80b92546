#!/usr/bin/env bash
# npm run bench [-- options]: the benchmark harness (bench/run.ts). Sets the project up first
# (npm packages, TypeScript build, the pinned Pulumi CLI), quietly; see BENCHMARKS.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/pulumi-env.sh"
cd "$MFG_ROOT"
if ! setup_log="$(bash scripts/setup.sh 2>&1)"; then
  printf '%s\n' "$setup_log" >&2
  printf 'bench: error: scripts/setup.sh failed (output above)\n' >&2
  exit 2
fi
# setup-pulumi.sh may have just written the path of the pinned CLI: pick it up.
source scripts/pulumi-env.sh
# `npm run bench -- layouts …`: the 0.1.0 dynamic-provider package against the provider plugin (bench/layouts.ts).
if [ "${1:-}" = "layouts" ]; then
  shift
  exec node dist/bench/layouts.js "$@"
fi
exec node dist/bench/run.js "$@"
