#!/usr/bin/env bash
# Makes sure a redis-server executable exists for the Redis tests and the Redis demo: installs
# Debian's redis-server package when it is missing. The tests start and stop their own servers on
# free ports; this script never starts one and never touches a running Redis.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; then
  exit 0
fi
if [ -n "${AIGATEWAY_REDIS_SERVER:-}" ] && [ -x "${AIGATEWAY_REDIS_SERVER}" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "redis-server is missing: install Debian's redis-server package (apt-get install redis-server)," >&2
    echo "or set AIGATEWAY_REDIS_SERVER to a redis-server executable." >&2
    exit 1
  fi
else
  SUDO=
fi
echo "Installing redis-server (Debian package) for the Redis tests..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q --no-install-recommends redis-server >/dev/null 2>&1 \
  || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends redis-server >/dev/null; }
# The package's service is not wanted: tests run their own servers on free ports.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]
