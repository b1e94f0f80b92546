#!/usr/bin/env bash
# npm test: the whole suite on both toolchain legs (scripts/pulumi-env.sh has the versions).
#   current  set-up, type check, lint, format check, the benchmark smoke run, every unit and
#            end-to-end test through the real Pulumi CLI, in this checkout;
#   floor    set-up and type check against the oldest declared SDK, every unit test, every gate
#            scenario and the provisioning lifecycle (up, refresh, destroy), in a copy of this
#            checkout under .mailflow-guard/floor (its own node_modules and state).
# MFG_TEST_LEGS="current" (or "floor") runs one leg. The last line sums both legs' test counts.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
legs="${MFG_TEST_LEGS:-current floor}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

run_leg() { # leg dir test-files...
  local leg="$1" dir="$2"
  shift 2
  printf '\n=== toolchain leg: %s ===\n' "$leg"
  (
    # Each leg decides its own versions, pack argument and Pulumi home: nothing from the calling
    # shell (a sourced pulumi-env.sh of another leg) carries over.
    unset MAILFLOW_GUARD_POLICY_PACK MAILFLOW_GUARD_POLICY_PACK_DIR PULUMI_HOME PULUMI_BACKEND_URL MFG_ROOT
    export MFG_LEG="$leg"
    # Called as `run_leg … || status=1`, where `set -e` does not apply: every step checks itself.
    bash "$dir/scripts/setup.sh" || exit 1
    source "$dir/scripts/pulumi-env.sh" || exit 1
    cd "$dir" || exit 1
    echo "pulumi: $(command -v pulumi) $(pulumi version)"
    echo "node: $(command -v node) $(node --version)"
    echo "@pulumi/pulumi: $(node -p 'require("@pulumi/pulumi/package.json").version'), pack runtime @pulumi/policy $(node -p 'require("./policy/node_modules/@pulumi/policy/package.json").version') with @pulumi/pulumi $(node -p 'require("./policy/node_modules/@pulumi/pulumi/package.json").version')"
    npm run --silent typecheck || exit 1
    if [ "$leg" = current ]; then
      npm run --silent lint || exit 1
      npm run --silent format:check || exit 1
      # The benchmark harness at its smallest size, as a smoke check that it still works (no timings judged).
      node dist/bench/run.js --smoke || exit 1
    fi
    node --test --test-concurrency=1 --test-reporter=spec "$@"
  ) 2>&1 | tee -a "$log"
}

status=0
for leg in $legs; do
  case "$leg" in
    current)
      run_leg current "$root" 'dist/test/unit/**/*.test.js' 'dist/test/e2e/**/*.test.js' || status=1
      ;;
    floor)
      # A copy of the checkout as it is (tracked and new files, not what .gitignore names).
      copy="$root/.mailflow-guard/floor"
      mkdir -p "$copy"
      # Keep only its installed packages from a previous run (set-up reinstalls them when stale).
      find "$copy" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name policy -exec rm -rf {} +
      [ ! -d "$copy/policy" ] || find "$copy/policy" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
      # (A tracked file deleted in the working tree is left out.)
      (
        cd "$root" &&
          git ls-files -z --cached --others --exclude-standard |
          while IFS= read -r -d '' file; do [ ! -e "$file" ] || printf '%s\n' "$file"; done |
          tar -cf - -T -
      ) | tar -xf - -C "$copy"
      run_leg floor "$copy" 'dist/test/unit/**/*.test.js' dist/test/e2e/scenarios.test.js dist/test/e2e/provision.test.js || status=1
      ;;
    *)
      printf 'test: error: unknown leg "%s" in MFG_TEST_LEGS; use "current" and/or "floor".\n' "$leg" >&2
      exit 2
      ;;
  esac
done

passed="$(awk '/^ℹ pass [0-9]+$/ { n += $3 } END { print n + 0 }' "$log")"
failed="$(awk '/^ℹ fail [0-9]+$/ { n += $3 } END { print n + 0 }' "$log")"
printf '\nlegs run: %s\ntests: %s passed, %s failed\n' "$legs" "$passed" "$failed"
[ "$status" = 0 ] && [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
