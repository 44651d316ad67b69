#!/bin/sh
# Makes sure a RabbitMQ server is on this machine, for the tests of queue client instrumentation
# (packages/test-utils/src/servers.ts starts one per test file): Debian's `rabbitmq-server` package (with the
# Erlang runtime it needs), installed only when missing (ensure-debian-package.sh says how, and its exit
# codes: 0 present; 1 missing and apt-get unusable here; 2 apt-get failed). Its programs are in /usr/sbin;
# `epmd`, Erlang's port mapper, comes with the runtime.
set -eu
sh "$(dirname "$0")/ensure-debian-package.sh" ensure-rabbitmq rabbitmq-server rabbitmq-server rabbitmqctl epmd
# `rabbitmqctl version` would boot an Erlang VM for this line; the package's version is enough.
echo "ensure-rabbitmq: rabbitmq-server $(dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null || echo '(not from a Debian package)')" >&2
