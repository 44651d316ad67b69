#!/bin/sh
# Makes sure `wrk`, the HTTP load generator of the benchmark suite (apps/bench), is on this machine: Debian's
# `wrk` package, installed only when missing (ensure-debian-package.sh says how). The suite falls back to
# autocannon (an npm dependency of apps/bench) when wrk cannot be had, and says so in its report.
#
# Exit codes: 0 wrk present; 1 missing and apt-get unusable here; 2 apt-get failed.
set -eu
ENSURE_HINT="the bench will use autocannon" sh "$(dirname "$0")/ensure-debian-package.sh" ensure-bench-tools wrk wrk
