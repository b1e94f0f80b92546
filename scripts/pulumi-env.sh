# shellcheck shell=bash
# One way in for scripts and people: `source scripts/pulumi-env.sh` puts the project's own `node`
# and `pulumi` first on PATH, exports MAILFLOW_GUARD_POLICY_PACK (what to give --policy-pack on
# this machine) and the offline Pulumi settings. Values you already set win.
#
# The toolchain comes in two legs (MFG_LEG, default "current"); CI runs both:
#   current  the newest served here: Pulumi CLI 3.276.0, @pulumi/pulumi 3.276.0, Node.js 24
#   floor    the oldest this project declares: Pulumi CLI 3.167.0, @pulumi/pulumi 3.248.0, Node.js 22
# Both run programs through the Node.js language host of sdk/v3 v3.68.0, the newest that can be
# built here (README, "The Pulumi CLI").
MFG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MFG_ROOT
export MFG_LEG="${MFG_LEG:-current}"
case "$MFG_LEG" in
  current)
    export MFG_PULUMI_VERSION="3.276.0" MFG_SDK_VERSION="3.276.0" MFG_NODE_VERSION="24.22.3"
    export MFG_PULUMI_MODULE="tools/pulumi-cli"
    ;;
  floor)
    export MFG_PULUMI_VERSION="3.167.0" MFG_SDK_VERSION="3.248.0" MFG_NODE_VERSION="22.23.5"
    export MFG_PULUMI_MODULE="tools/pulumi-cli-floor"
    ;;
  *)
    printf 'pulumi-env: error: MFG_LEG "%s" is not a leg; use "current" or "floor".\n' "$MFG_LEG" >&2
    return 2 2>/dev/null || exit 2
    ;;
esac
export MFG_HOST_VERSION="3.68.0"
# The Pulumi YAML language host (github.com/pulumi/pulumi-yaml), built from Go modules like the CLI.
export MFG_YAML_VERSION="1.25.0"
MFG_CACHE="${MAILFLOW_GUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mailflow-guard}"
export MFG_CACHE
export MFG_PULUMI_BIN="$MFG_CACHE/pulumi-v$MFG_PULUMI_VERSION/bin"
export MFG_NODE_BIN="$MFG_CACHE/node-v$MFG_NODE_VERSION/bin"

# Offline by default: a local file backend owned by the project, passphrase secrets, no update
# check, no plugin downloads.
export PULUMI_HOME="${PULUMI_HOME:-$MFG_ROOT/.pulumi-home}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$MFG_ROOT/.pulumi-state}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-mailflow-guard-local-demo}"
export PULUMI_SKIP_UPDATE_CHECK="${PULUMI_SKIP_UPDATE_CHECK:-true}"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-true}"
export PULUMI_SKIP_CONFIRMATIONS="${PULUMI_SKIP_CONFIRMATIONS:-true}"
case "$PULUMI_BACKEND_URL" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac
mkdir -p "$PULUMI_HOME"

# A folder first on PATH, wherever it was before (sourcing again for another leg re-orders).
mfg_path_first() {
  local rest=":$PATH:"
  rest="${rest//":$1:"/:}"
  rest="${rest#:}"
  PATH="$1:${rest%:}"
}
# Node: the leg's pinned Node.js when set-up installed it (the machine's is older than 22, or this
# is the floor leg); otherwise the machine's.
if [ -x "$MFG_NODE_BIN/node" ]; then mfg_path_first "$MFG_NODE_BIN"; fi
# Pulumi: the leg's build, or the compatible CLI that set-up found on PATH.
mfg_pulumi_dir="$MFG_PULUMI_BIN"
[ -x "$mfg_pulumi_dir/pulumi" ] || mfg_pulumi_dir="$(cat "$MFG_CACHE/pulumi-v$MFG_PULUMI_VERSION.path" 2>/dev/null || true)"
if [ -n "$mfg_pulumi_dir" ] && [ -x "$mfg_pulumi_dir/pulumi" ]; then mfg_path_first "$mfg_pulumi_dir"; fi
unset mfg_pulumi_dir
unset -f mfg_path_first
export PATH

# What to give --policy-pack. CLIs from 3.169 on start a pack through the language host's
# RunPlugin, which the v3.68 host built here lacks; for them the pack is started through the
# small adapter beside it (scripts/policy-pack-adapter). With Pulumi's own distribution (a
# matching host), give the pack folder itself.
# A value this script set earlier (for another leg) is recomputed; one you set yourself stays.
if [ -z "${MAILFLOW_GUARD_POLICY_PACK:-}" ] || [ "$MAILFLOW_GUARD_POLICY_PACK" = "${MFG_POLICY_PACK_SET:-}" ]; then
  if [ "$(printf '%s' "$MFG_PULUMI_VERSION" | cut -d. -f1)" -gt 3 ] || [ "$(printf '%s' "$MFG_PULUMI_VERSION" | cut -d. -f2)" -ge 169 ]; then
    MAILFLOW_GUARD_POLICY_PACK="$MFG_ROOT/scripts/policy-pack-adapter"
  else
    MAILFLOW_GUARD_POLICY_PACK="$MFG_ROOT/policy"
  fi
  export MAILFLOW_GUARD_POLICY_PACK MFG_POLICY_PACK_SET="$MAILFLOW_GUARD_POLICY_PACK"
fi
