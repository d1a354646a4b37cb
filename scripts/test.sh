#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine with Java 17 and Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-redis.sh
mvn -B -ntp verify "$@"
bash scripts/scan-logs.sh
