#!/usr/bin/env bash
# Everything the project needs, installed by the project's own files: the leg's Node.js (when the
# machine's is too old), the npm packages (root and the stand-alone policy pack), the TypeScript
# build, and the leg's Pulumi CLI. Idempotent; a second run only redoes what changed.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/pulumi-env.sh"
cd "$MFG_ROOT"
log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

log "toolchain leg '$MFG_LEG': pulumi v$MFG_PULUMI_VERSION, @pulumi/pulumi $MFG_SDK_VERSION, node >= 22 (pinned v$MFG_NODE_VERSION)"
command -v npm >/dev/null || die "npm is not on PATH; install Node.js (any version with npm) so set-up can fetch Node.js $MFG_NODE_VERSION."
bash "$here/setup-node.sh"
source "$here/pulumi-env.sh" # the node just installed, first on PATH
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' ||
  die "node $(node --version) at $(command -v node) is older than 22, which @pulumi/pulumi $MFG_SDK_VERSION needs."

# npm ci only when the lock file (or the leg's SDK) changed since the last install of that folder.
install_deps() {
  local dir="$1" sdk="${2:-}" stamp="$1/node_modules/.mailflow-guard-lock"
  local want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1) node-$(node --version) sdk-${sdk:-locked}"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "npm ci in ${dir#"$MFG_ROOT"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed in $dir"
  if [ -n "$sdk" ]; then
    # The floor leg: the oldest @pulumi/pulumi the library declares, in place of the locked one.
    log "installing @pulumi/pulumi $sdk in ${dir#"$MFG_ROOT"/} (the $MFG_LEG leg)"
    (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error "@pulumi/pulumi@$sdk" >/dev/null) ||
      die "npm could not install @pulumi/pulumi@$sdk in $dir"
  fi
  printf '%s' "$want" >"$stamp"
}
locked_sdk="$(node -p 'require("./package-lock.json").packages["node_modules/@pulumi/pulumi"].version')"
install_deps "$MFG_ROOT" "$([ "$locked_sdk" = "$MFG_SDK_VERSION" ] || printf '%s' "$MFG_SDK_VERSION")"
install_deps "$MFG_ROOT/policy"
# The repository's own projects (the root project, examples, test copies) load the package by
# name, as a user's project does: the dynamic providers resolve mailflow-guard/providers/* from the
# project at run time (components/providers/lazy-provider.ts).
ln -sfn .. "$MFG_ROOT/node_modules/mailflow-guard"
got_sdk="$(node -p 'require("@pulumi/pulumi/package.json").version')"
[ "$got_sdk" = "$MFG_SDK_VERSION" ] || die "node_modules holds @pulumi/pulumi $got_sdk, the $MFG_LEG leg needs $MFG_SDK_VERSION"

# Debian's chromium: the browser the HTML report's end-to-end test drives (playwright-core, executablePath).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian's chromium for the HTML report's browser test (apt-get update && apt-get install -y chromium)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
      die "apt-get could not install chromium (output above); install it with apt-get install -y chromium and run set-up again"
  else
    die "/usr/bin/chromium is missing: the HTML report's browser test needs Debian's chromium. As root: apt-get update && apt-get install -y chromium"
  fi
fi

log "building TypeScript"
npm run --silent build || die "the TypeScript build failed (messages above)"

bash "$here/setup-pulumi.sh"
