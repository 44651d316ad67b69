#!/bin/sh
# Makes sure `prometheus` and `promtool` are on this machine, for the alert-rule tests and the real
# end-to-end test. Idempotent: does nothing when both are already found (on PATH or in /usr/bin).
# Installs Debian's `prometheus` package with apt-get only when something is missing. As root, a temporary
# policy-rc.d keeps the package's own service from being started by the install (tests start their own
# server, on loopback, on a free port); the file is removed afterwards.
#
# Exit codes: 0 both present; 1 missing and apt-get unusable here (not root, no apt-get); 2 apt-get failed.
# Prints the reason on stderr, so a caller that skips can show why.
set -eu

have_tools() {
  command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1
}

if have_tools; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-prometheus: promtool/prometheus missing and apt-get is not available on this machine" >&2
  exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "ensure-prometheus: promtool/prometheus missing and installing them needs root (run: apt-get install prometheus)" >&2
    exit 1
  fi
else
  SUDO=""
fi

# One installer at a time on this machine (several test files may ask at once).
LOCK=/tmp/autotelemetry-ensure-prometheus.lock
exec 9>"$LOCK"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if have_tools; then
  exit 0
fi

echo "ensure-prometheus: installing Debian's prometheus package (promtool + prometheus)" >&2
export DEBIAN_FRONTEND=noninteractive
# Keep the package's init script from starting a daemon on the default port during the install.
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=""
if [ -z "$SUDO" ] && [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$POLICY"
  chmod +x "$POLICY"
  CREATED_POLICY=1
fi
cleanup() {
  if [ -n "$CREATED_POLICY" ]; then rm -f "$POLICY"; fi
}
trap cleanup EXIT

if ! $SUDO apt-get update -qq >&2; then
  echo "ensure-prometheus: apt-get update failed" >&2
  exit 2
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends prometheus >&2; then
  echo "ensure-prometheus: apt-get install prometheus failed" >&2
  exit 2
fi

if ! have_tools; then
  echo "ensure-prometheus: the prometheus package installed but promtool/prometheus are still not on PATH" >&2
  exit 2
fi
echo "ensure-prometheus: $(promtool --version 2>&1 | head -n 1)" >&2
