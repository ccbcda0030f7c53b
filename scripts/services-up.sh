#!/usr/bin/env bash
# Start Kafka, MariaDB, Redis, the S3 server and Spark (master + worker) on 127.0.0.1 (installing what is missing), wait
# until each is ready, then print the settings to use them. Idempotent and fast when all run.
# Progress goes to stderr; the export lines go to stdout.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
start=$(date +%s)
bash "$HERE/services.sh" start all
echo "services: all ready in $(( $(date +%s) - start ))s; to use them: eval \"\$(npm run -s services:env)\"" >&2
bash "$HERE/services-env.sh"
