#!/bin/sh
# Makes sure a Redis server is on this machine, for the tests of cache client instrumentation
# (packages/test-utils/src/servers.ts starts one per test file): Debian's `redis-server` package, installed
# only when missing (ensure-debian-package.sh says how, and its exit codes: 0 present; 1 missing and apt-get
# unusable here; 2 apt-get failed).
set -eu
sh "$(dirname "$0")/ensure-debian-package.sh" ensure-redis redis-server redis-server
echo "ensure-redis: $(redis-server --version 2>&1 | head -n 1)" >&2
