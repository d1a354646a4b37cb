#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine with Java 17 and Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-redis.sh
# Every module's checks; benchmarks/target/benchmarks.jar (the runnable JMH jar, which no test
# reads) is not written: `mvn package -DskipTests -pl benchmarks -am` makes it. One module at a
# time: run side by side (mvn -T 1C) on a busy 2-core machine, Redis tests missed their command
# timeouts while the ONNX model's labelled-set checks ran beside them.
# A test that fails is run once more before it fails the build (surefire's rerunFailingTestsCount):
# a test that then passes is reported as a flake ("Flakes:" in the summary, <flakyFailure> in its
# report) and does not fail the run; one that fails twice does.
mvn -B -ntp verify -Dbenchmarks.shade.skip=true -Dsurefire.rerunFailingTestsCount=1 "$@"
# Scanned now too: the rerun below writes the OkHttp adapter's test output over this run's.
bash scripts/scan-logs.sh
# The OkHttp adapter's suite again on OkHttp 4.12.0 (the version the Java LLM SDKs bring); the
# modules it needs are built, their tests are not run twice, and their formatting, which the run
# above checked on the same sources, is not checked again.
mvn -B -ntp -Pokhttp4 verify -pl ai-gateway-okhttp -am -Dspotless.check.skip=true \
  -Dsurefire.rerunFailingTestsCount=1 \
  -Dtest='dev.aigateway.okhttp.**' -Dsurefire.failIfNoSpecifiedTests=false "$@"
bash scripts/scan-logs.sh
