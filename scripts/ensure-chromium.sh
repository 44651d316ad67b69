#!/bin/sh
# Makes sure Debian's Chromium (/usr/bin/chromium) is on this machine, for the browser tests (driven by
# playwright-core, which never downloads a browser of its own): the `chromium` package, installed only when
# missing (ensure-debian-package.sh says how, and its exit codes: 0 present; 1 missing and apt-get unusable
# here; 2 apt-get failed).
set -eu
sh "$(dirname "$0")/ensure-debian-package.sh" ensure-chromium chromium chromium
