#!/bin/sh
# Makes sure `prometheus` and `promtool` are on this machine, for the alert-rule tests and the real
# end-to-end test: Debian's `prometheus` package, installed only when one is missing (ensure-debian-package.sh
# says how, and its exit codes: 0 present; 1 missing and apt-get unusable here; 2 apt-get failed).
set -eu
sh "$(dirname "$0")/ensure-debian-package.sh" ensure-prometheus prometheus promtool prometheus
echo "ensure-prometheus: $(promtool --version 2>&1 | head -n 1)" >&2
