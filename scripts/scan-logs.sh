#!/usr/bin/env bash
# Fails when any output the test suite produced (logs included) contains one of the test
# credentials the tests use: secrets must never reach a log line, an exception or telemetry.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='sk-proj-SECRET|oauth-client-SECRET|access-token-SECRET|sk-backend-a-SECRET|azure-key-b-SECRET|sk-proj-abcdefghijklmnopqrstuvwx0123|sk-test-123|sk-demo-not-a-real-key|bedrock-test-SECRET|bedrock-test-SESSION-TOKEN|azure-cs-key-SECRET|sk-moderation-SECRET|jane@corp.example|SECRET-unified|unified-aws-SECRET'
# Any signed JWT (header and payload both start with '{"', base64url 'eyJ'): bearer tokens too.
pattern="$pattern"'|eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.'
files=$(find . -path '*/target/surefire-reports/*-output.txt' 2>/dev/null || true)
if [ -z "$files" ]; then
  echo "scan-logs: no test output files found (did the tests run?)" >&2
  exit 1
fi
if grep -lE "$pattern" $files; then
  echo "scan-logs: a test credential appears in the test output above" >&2
  exit 1
fi
echo "scan-logs: $(echo "$files" | wc -l) test output files scanned, no test credential found"
