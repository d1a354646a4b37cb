#!/usr/bin/env bash
# The scale-out demo: installs redis-server when it is missing (Debian package, as root), then runs
# three gateway JVMs that share one Redis (a throwaway server on a free port): one token limit,
# one response cache, one view of the backends' health; Redis stops answering for a moment.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-redis.sh
mvn -B -ntp -q -DskipTests install -pl examples -am
mvn -B -ntp -q dependency:build-classpath -pl examples -Dmdep.outputFile=target/demo.classpath
java -cp "examples/target/classes:$(cat examples/target/demo.classpath)" \
  dev.aigateway.examples.redis.RedisDemo "$@"
