#!/usr/bin/env bash
# Install what is needed and run the Montgomery demo: load, plan the next weekday, serve the board.
# Any option is passed on to `carpool demo` (try --help, --riders 600 --cars 60, --demo-password ...).
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" serve
exec .venv/bin/carpool demo "$@"
