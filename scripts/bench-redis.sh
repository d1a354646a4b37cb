#!/usr/bin/env bash
# Measures the Redis token limit store: reserve+settle per second at 1, 4 and 16 callers, and the
# latency a governed call gains from it against the in-memory store, on a loopback redis-server the
# harness starts itself (see benchmarks/.../RedisLimitHarness and docs/benchmarks.md).
#   bash scripts/bench-redis.sh [callers] [seconds] [warm-up seconds]     defaults: 1,4,16 10 3
# Prints the load average at the start and the end: run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-redis.sh
if ! mvn -B -ntp -o -q package -pl benchmarks -am -DskipTests -Dspotless.check.skip=true; then
  mvn -B -ntp -q package -pl benchmarks -am -DskipTests -Dspotless.check.skip=true
fi
exec java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.RedisLimitHarness \
  "${1:-1,4,16}" "${2:-10}" "${3:-3}"
