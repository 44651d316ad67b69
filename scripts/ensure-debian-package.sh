#!/bin/sh
# Makes sure the commands a test or benchmark needs are on this machine, installing one Debian package with
# apt-get only when one of them is missing. Shared by the other ensure-*.sh scripts of this folder.
#
#   sh scripts/ensure-debian-package.sh <caller> <debian-package> <command>...
#
# Idempotent: does nothing when every command is found: on PATH, in /usr/bin or /usr/sbin, or in a folder of
# ENSURE_DIRS (space-separated folders, shell patterns allowed, for packages whose programs live off PATH,
# e.g. "/usr/lib/postgresql/*/bin"). Needs root or password-less sudo to install; one installer at a time on
# this machine (flock), so several test files may ask at once. As root, a temporary policy-rc.d keeps the
# package's own service from being started by the install (tests start their own server, on loopback, on a
# free port); the file is removed afterwards. ENSURE_HINT, when set, is added to the messages that say the
# commands cannot be had.
#
# Exit codes: 0 all present; 1 missing and apt-get unusable here (not root, no apt-get); 2 apt-get failed.
# Prints the reason on stderr, so a caller that skips can show why.
set -eu

CALLER=$1
PACKAGE=$2
shift 2
HINT=${ENSURE_HINT:+; $ENSURE_HINT}

have_one() {
  command -v "$1" >/dev/null 2>&1 && return 0
  # Unquoted on purpose: ENSURE_DIRS is split on spaces and its patterns expanded.
  for dir in /usr/bin /usr/sbin ${ENSURE_DIRS:-}; do
    [ -x "$dir/$1" ] && return 0
  done
  return 1
}

have_all() {
  for command in "$@"; do
    have_one "$command" || return 1
  done
}

if have_all "$@"; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "$CALLER: $* missing and apt-get is not available on this machine$HINT" >&2
  exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "$CALLER: $* missing and installing them needs root (run: apt-get install $PACKAGE)$HINT" >&2
    exit 1
  fi
else
  SUDO=""
fi

# One lock for every package: apt-get and dpkg cannot run twice at once, whichever packages they install.
LOCK=/tmp/autotelemetry-ensure-apt.lock
exec 9>"$LOCK"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if have_all "$@"; then
  exit 0
fi

echo "$CALLER: installing Debian's $PACKAGE package" >&2
export DEBIAN_FRONTEND=noninteractive
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
  echo "$CALLER: apt-get update failed" >&2
  exit 2
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "$PACKAGE" >&2; then
  echo "$CALLER: apt-get install $PACKAGE failed" >&2
  exit 2
fi
if ! have_all "$@"; then
  echo "$CALLER: the $PACKAGE package installed but $* are still not found (PATH, /usr/bin, /usr/sbin${ENSURE_DIRS:+, $ENSURE_DIRS})" >&2
  exit 2
fi
