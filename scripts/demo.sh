#!/usr/bin/env bash
# Builds what the demo needs and runs it against an embedded local OpenAI-compatible server.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -q -DskipTests install -pl examples -am
mvn -B -ntp -q exec:java -pl examples "$@"
