#!/usr/bin/env bash
# Makes the pinned Pulumi CLI and its Node.js language host available, offline.
#
# 1. A `pulumi` already on PATH is used when it is exactly the pinned version and has the Node.js
#    language host and the dynamic-provider plugin beside it or on PATH.
# 2. Otherwise the CLI and the language host are built from Go modules (tools/pulumi-cli pins them
#    with go.sum) into a cache outside the checkout, keyed by version, and reused after that.
# The build goes to a temporary folder and is moved into place only when complete, so an
# interrupted build never leaves a half-installed CLI behind.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/pulumi-env.sh"

want="v$MFG_PULUMI_VERSION"
log() { printf 'setup-pulumi: %s\n' "$*" >&2; }
die() { printf 'setup-pulumi: error: %s\n' "$*" >&2; exit 1; }

plugin_src="$MFG_ROOT/node_modules/@pulumi/pulumi"
[ -x "$plugin_src/pulumi-resource-pulumi-nodejs" ] ||
  die "node_modules/@pulumi/pulumi is missing; run 'npm ci' in $MFG_ROOT first (scripts/setup.sh does)."

if [ -x "$MFG_PULUMI_BIN/pulumi" ] && [ -x "$MFG_PULUMI_BIN/pulumi-language-nodejs" ] &&
  [ "$("$MFG_PULUMI_BIN/pulumi" version 2>/dev/null)" = "$want" ]; then
  printf '%s' "$MFG_PULUMI_BIN" >"$MFG_CACHE/pulumi-path"
  log "using cached pulumi $want at $MFG_PULUMI_BIN"
  exit 0
fi

# A compatible CLI already on PATH.
if onpath="$(command -v pulumi 2>/dev/null)"; then
  have="$(pulumi version 2>/dev/null || true)"
  dir="$(dirname "$onpath")"
  if [ "$have" = "$want" ] && [ -x "$dir/pulumi-language-nodejs" ] && [ -x "$dir/pulumi-resource-pulumi-nodejs" ]; then
    log "using $onpath ($have) from PATH"
    mkdir -p "$MFG_CACHE"
    printf '%s' "$dir" >"$MFG_CACHE/pulumi-path"
    exit 0
  fi
  log "not using $onpath: version '${have:-unknown}' (this project pins $want with its Node.js language host and dynamic-provider plugin beside it)"
fi

command -v go >/dev/null 2>&1 ||
  die "no Go toolchain on PATH. The Pulumi CLI $want is built from Go modules (its download host is unreachable here); install Go 1.20 or newer (https://go.dev/dl, or your distribution's golang package if it is that new) or put pulumi $want with pulumi-language-nodejs beside it on PATH."

mkdir -p "$MFG_CACHE"
tmp="$(mktemp -d "$MFG_CACHE/build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log "building pulumi $want and pulumi-language-nodejs from Go modules (first run only: about 2-10 minutes on 2 cores)"
cp "$MFG_ROOT/tools/pulumi-cli/go.mod" "$MFG_ROOT/tools/pulumi-cli/go.sum" "$MFG_ROOT/tools/pulumi-cli/tools.go" "$tmp/"
ldflags="-s -w -X github.com/pulumi/pulumi/pkg/v3/version.Version=$want -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$want"
(
  cd "$tmp"
  # go.sum pins every module; the checksum database here lacks pkg/v3@v3.67.0, so go.sum alone verifies it.
  export GONOSUMDB=github.com/pulumi/pulumi/pkg
  log "downloading the modules it needs and compiling (a line per 100 modules fetched or packages compiled)"
  set -o pipefail
  CGO_ENABLED=0 go build -v -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$tmp/bin/" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs 2>&1 |
    awk '/^go: downloading / { d++; if (d % 100 == 0) printf "setup-pulumi: %d modules fetched\n", d > "/dev/stderr"; next }
         /^[^ :]+$/ { n++; if (n % 100 == 0) printf "setup-pulumi: %d packages compiled\n", n > "/dev/stderr"; next }
         { print > "/dev/stderr" }'
) || die "go build of pulumi $want failed (see the messages above); nothing was installed"

# The dynamic-provider plugin and the policy analyzer shim ship in the SDK's npm package.
cp "$plugin_src/pulumi-resource-pulumi-nodejs" "$plugin_src/pulumi-analyzer-policy" "$tmp/bin/"
got="$("$tmp/bin/pulumi" version)"
[ "$got" = "$want" ] || die "built pulumi reports version '$got', expected $want; nothing was installed"
rm -rf "$MFG_PULUMI_BIN"
mkdir -p "$(dirname "$MFG_PULUMI_BIN")"
mv "$tmp/bin" "$MFG_PULUMI_BIN"
printf '%s' "$MFG_PULUMI_BIN" >"$MFG_CACHE/pulumi-path"
log "installed pulumi $want at $MFG_PULUMI_BIN"
