# shellcheck shell=bash
# Sourced by the project's scripts: the pinned Pulumi version, where its build is cached, and the
# offline environment every pulumi command of the project runs in.
MFG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MFG_ROOT
export MFG_PULUMI_VERSION="3.67.0"
MFG_CACHE="${MAILFLOW_GUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mailflow-guard}"
export MFG_CACHE
export MFG_PULUMI_BIN="$MFG_CACHE/pulumi-v$MFG_PULUMI_VERSION/bin"

# Offline by default: a local file backend owned by the project, passphrase secrets, no update
# check, no plugin downloads. A user's own values win.
export PULUMI_HOME="${PULUMI_HOME:-$MFG_ROOT/.pulumi-home}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$MFG_ROOT/.pulumi-state}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-mailflow-guard-local-demo}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_CONFIRMATIONS=true
mkdir -p "$PULUMI_HOME" "${PULUMI_BACKEND_URL#file://}"
if [ -f "$MFG_CACHE/pulumi-path" ]; then
  PATH="$(cat "$MFG_CACHE/pulumi-path"):$PATH"
fi
export PATH
