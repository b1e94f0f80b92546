#!/usr/bin/env bash
# Makes the leg's Pulumi CLI, the Node.js language host and the Pulumi YAML language host
# available, offline.
#
# 1. A `pulumi` already on PATH is used when it is exactly the leg's version and has the Node.js
#    language host and the dynamic-provider plugin beside it.
# 2. Otherwise both are built from Go modules into a cache outside the checkout, keyed by version,
#    and reused after that: the CLI from $MFG_PULUMI_MODULE (tools/pulumi-cli, or
#    tools/pulumi-cli-floor), the host from tools/pulumi-language-nodejs (sdk/v3 v3.68.0, the
#    newest host the Go module proxy serves). go.sum pins every module.
# Builds go to a temporary folder and are moved into place only when complete, so an interrupted
# build never leaves a half-installed CLI behind.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/pulumi-env.sh"

want="v$MFG_PULUMI_VERSION"
log() { printf 'setup-pulumi: %s\n' "$*" >&2; }
die() { printf 'setup-pulumi: error: %s\n' "$*" >&2; exit 1; }

plugin_src="$MFG_ROOT/node_modules/@pulumi/pulumi"
[ -x "$plugin_src/pulumi-resource-pulumi-nodejs" ] ||
  die "node_modules/@pulumi/pulumi is missing; run 'npm ci' in $MFG_ROOT first (scripts/setup.sh does)."


# A compatible CLI already on PATH (not one of ours).
if onpath="$(command -v pulumi 2>/dev/null)" && [ "$(dirname "$onpath")" != "$MFG_PULUMI_BIN" ]; then
  have="$(pulumi version 2>/dev/null || true)"
  dir="$(dirname "$onpath")"
  if [ "$have" = "$want" ] && [ -x "$dir/pulumi-language-nodejs" ] && [ -x "$dir/pulumi-resource-pulumi-nodejs" ]; then
    log "using $onpath ($have) from PATH"
    mkdir -p "$MFG_CACHE"
    printf '%s' "$dir" >"$MFG_CACHE/pulumi-v$MFG_PULUMI_VERSION.path"
    [ -x "$dir/pulumi-language-yaml" ] || log "no pulumi-language-yaml beside $onpath: Pulumi YAML programs will not run"
    exit 0
  fi
  log "not using $onpath: version '${have:-unknown}' (this leg pins $want with a Node.js language host and the dynamic-provider plugin beside it)"
fi

command -v go >/dev/null 2>&1 ||
  die "no Go toolchain on PATH. The Pulumi CLI $want is built from Go modules (its download host is unreachable here); install Go 1.26 or newer (https://go.dev/dl) or put pulumi $want with pulumi-language-nodejs beside it on PATH."

mkdir -p "$MFG_CACHE"
tmp="$(mktemp -d "$MFG_CACHE/build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# go build with a line of progress per 100 modules fetched or packages compiled.
build() { # module-dir output-dir version package...
  local module="$1" out="$2" version="$3"
  shift 3
  local work="$tmp/$(basename "$module")"
  mkdir -p "$work"
  cp "$MFG_ROOT/$module/go.mod" "$MFG_ROOT/$module/go.sum" "$MFG_ROOT/$module/tools.go" "$work/"
  (
    cd "$work"
    set -o pipefail
    CGO_ENABLED=0 go build -v -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/pkg/v3/version.Version=$version -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
      -o "$out/" "$@" 2>&1 |
      awk '/^go: downloading / { d++; if (d % 100 == 0) printf "setup-pulumi: %d modules fetched\n", d > "/dev/stderr"; next }
           /^[^ :]+$/ { n++; if (n % 100 == 0) printf "setup-pulumi: %d packages compiled\n", n > "/dev/stderr"; next }
           { print > "/dev/stderr" }'
  )
}

# The Pulumi YAML language host (tools/pulumi-language-yaml pins it), cached by its own version and
# put beside the CLI, where the CLI looks for language hosts.
yaml_bin="$MFG_CACHE/pulumi-language-yaml-v$MFG_YAML_VERSION/bin"
ensure_yaml_host() { # cli-bin-dir
  if [ ! -x "$yaml_bin/pulumi-language-yaml" ]; then
    log "building the Pulumi YAML language host v$MFG_YAML_VERSION from Go modules (first run only: about 1-3 minutes on 2 cores)"
    build tools/pulumi-language-yaml "$tmp/yaml" "v$MFG_YAML_VERSION" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml ||
      die "go build of the Pulumi YAML language host v$MFG_YAML_VERSION failed (see the messages above); nothing was installed"
    rm -rf "$yaml_bin"
    mkdir -p "$(dirname "$yaml_bin")"
    mv "$tmp/yaml" "$yaml_bin"
  fi
  cp "$yaml_bin/pulumi-language-yaml" "$1/"
}

if [ -x "$MFG_PULUMI_BIN/pulumi" ] && [ -x "$MFG_PULUMI_BIN/pulumi-language-nodejs" ] &&
  [ "$("$MFG_PULUMI_BIN/pulumi" version 2>/dev/null)" = "$want" ]; then
  [ -x "$MFG_PULUMI_BIN/pulumi-language-yaml" ] || ensure_yaml_host "$MFG_PULUMI_BIN"
  log "using cached pulumi $want at $MFG_PULUMI_BIN"
  exit 0
fi

started=$SECONDS
host_bin="$MFG_CACHE/pulumi-language-nodejs-v$MFG_HOST_VERSION/bin"
if [ ! -x "$host_bin/pulumi-language-nodejs" ]; then
  log "building the Node.js language host v$MFG_HOST_VERSION from Go modules (first run only: about 1-3 minutes on 2 cores)"
  build tools/pulumi-language-nodejs "$tmp/host" "v$MFG_HOST_VERSION" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs ||
    die "go build of the Node.js language host v$MFG_HOST_VERSION failed (see the messages above); nothing was installed"
  rm -rf "$host_bin"
  mkdir -p "$(dirname "$host_bin")"
  mv "$tmp/host" "$host_bin"
fi

log "building pulumi $want from Go modules (first run only: the module download is about 1 GB; 5-15 minutes on 2 cores)"
build "$MFG_PULUMI_MODULE" "$tmp/bin" "$want" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ||
  die "go build of pulumi $want failed (see the messages above); nothing was installed"
cp "$host_bin/pulumi-language-nodejs" "$tmp/bin/"
ensure_yaml_host "$tmp/bin"
# The dynamic-provider plugin ships in the SDK's npm package.
cp "$plugin_src/pulumi-resource-pulumi-nodejs" "$tmp/bin/"
# CLIs before 3.169 start a pack through `pulumi-analyzer-policy`, which Pulumi's own CLI
# distribution ships beside the CLI (the SDK's npm package no longer does): it runs the pack's
# @pulumi/pulumi policy runner from the pack folder.
cat >"$tmp/bin/pulumi-analyzer-policy" <<'SHIM'
#!/bin/sh
runner="$(node -e 'console.log(require.resolve("@pulumi/pulumi/cmd/run-policy-pack"))')" || {
  echo "pulumi-analyzer-policy: @pulumi/pulumi is not installed for the pack in $(pwd); run npm ci there." >&2
  exit 1
}
exec node "$runner" "$@"
SHIM
chmod +x "$tmp/bin/pulumi-analyzer-policy"
got="$("$tmp/bin/pulumi" version)"
[ "$got" = "$want" ] || die "built pulumi reports version '$got', expected $want; nothing was installed"
rm -rf "$MFG_PULUMI_BIN"
mkdir -p "$(dirname "$MFG_PULUMI_BIN")"
mv "$tmp/bin" "$MFG_PULUMI_BIN"
log "installed pulumi $want at $MFG_PULUMI_BIN ($((SECONDS - started)) s)"
