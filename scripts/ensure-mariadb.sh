#!/bin/sh
# Makes sure a MariaDB server is on this machine, for the tests of database client instrumentation
# (packages/test-utils/src/servers.ts starts one per test file): Debian's `mariadb-server` package, installed
# only when missing (ensure-debian-package.sh says how, and its exit codes: 0 present; 1 missing and apt-get
# unusable here; 2 apt-get failed). `mariadbd` is in /usr/sbin; `mariadb-install-db` creates a data folder;
# the `mariadb` client (a dependency of the package) tells servers.ts when a login works.
set -eu
sh "$(dirname "$0")/ensure-debian-package.sh" ensure-mariadb mariadb-server mariadbd mariadb-install-db mariadb
echo "ensure-mariadb: $(PATH="$PATH:/usr/sbin" mariadbd --version 2>&1 | head -n 1)" >&2
