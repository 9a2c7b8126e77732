#!/usr/bin/env bash
# Publishes the plugin bundles as multi-platform images: see images/publish.ts (no Docker needed).
set -euo pipefail
{ set +x; } 2>/dev/null # never trace: the environment holds a password
exec node "$(dirname "${BASH_SOURCE[0]}")/publish.ts" "$@"
