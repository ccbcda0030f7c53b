#!/usr/bin/env bash
# Stop every service that scripts/services-up.sh started (data stays under the state dir).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$HERE/services.sh" stop all
