#!/bin/sh
# Makes sure `wrk`, the HTTP load generator of the benchmark suite (apps/bench), is on this machine.
# Idempotent: does nothing when it is already found. Installs Debian's `wrk` package with apt-get only when it
# is missing and apt-get can be used (root, or password-less sudo). The suite falls back to autocannon (an npm
# dependency of apps/bench) when wrk cannot be had, and says so in its report.
#
# Exit codes: 0 wrk present; 1 missing and apt-get unusable here; 2 apt-get failed.
set -eu

if command -v wrk >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-bench-tools: wrk missing and apt-get is not available; the bench will use autocannon" >&2
  exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "ensure-bench-tools: wrk missing and installing it needs root (apt-get install wrk); the bench will use autocannon" >&2
    exit 1
  fi
else
  SUDO=""
fi

# One installer at a time (apt holds its own lock, but a second caller should wait rather than fail).
LOCK=/tmp/autotelemetry-ensure-bench-tools.lock
exec 9>"$LOCK"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi

echo "ensure-bench-tools: installing Debian's wrk package" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq >&2; then
  echo "ensure-bench-tools: apt-get update failed" >&2
  exit 2
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends wrk >&2; then
  echo "ensure-bench-tools: apt-get install wrk failed" >&2
  exit 2
fi
command -v wrk >/dev/null 2>&1 || { echo "ensure-bench-tools: wrk installed but not on PATH" >&2; exit 2; }
