#!/usr/bin/env bash
# The README's demo: set-up, then the gated previews and `pulumi up` against the local stand-in.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
bash "$here/setup.sh"
source "$here/pulumi-env.sh"
node "$MFG_ROOT/dist/demo/run.js"
