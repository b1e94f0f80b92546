#!/usr/bin/env bash
# Everything the project needs, installed by the project's own files: npm packages (root and the
# stand-alone policy pack), the TypeScript build, and the pinned Pulumi CLI. Idempotent; a second
# run only rebuilds what changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/pulumi-env.sh"
cd "$MFG_ROOT"
log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || die "Node.js is not on PATH; install Node.js 20 (node --version should print v20.x)."
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  die "Node.js $(node --version) is too old; @pulumi/pulumi 3.67 and this project need Node.js >= 20."
command -v npm >/dev/null || die "npm is not on PATH."

# npm ci only when the lock file changed since the last install of that folder.
install_deps() {
  local dir="$1" stamp="$1/node_modules/.mailflow-guard-lock"
  local want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "npm ci in ${dir#"$MFG_ROOT"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed in $dir"
  printf '%s' "$want" >"$stamp"
}
install_deps "$MFG_ROOT"
install_deps "$MFG_ROOT/policy"

log "building TypeScript"
npm run --silent build || die "the TypeScript build failed (messages above)"

bash "$MFG_ROOT/scripts/setup-pulumi.sh"
