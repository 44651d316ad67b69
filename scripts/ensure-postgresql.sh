#!/bin/sh
# Makes sure a PostgreSQL server is on this machine, for the tests of database client instrumentation
# (packages/test-utils/src/servers.ts starts one per test file): Debian's `postgresql` package, installed only
# when missing (ensure-debian-package.sh says how, and its exit codes: 0 present; 1 missing and apt-get
# unusable here; 2 apt-get failed).
#
# Debian keeps the server programs off PATH, in /usr/lib/postgresql/<version>/bin, and the psql client may be
# installed without them, so it is `initdb` and `postgres` that are looked for, there (with the package's
# own psql, which servers.ts uses to create the role and database).
set -eu
ENSURE_DIRS="/usr/lib/postgresql/*/bin" sh "$(dirname "$0")/ensure-debian-package.sh" ensure-postgresql postgresql \
  initdb postgres psql
for bin in /usr/lib/postgresql/*/bin/postgres; do
  if [ -x "$bin" ]; then echo "ensure-postgresql: $("$bin" --version)" >&2; fi
done
