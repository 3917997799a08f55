#!/usr/bin/env bash
# Install what is needed and run the whole test suite. Options go to pytest.
# Browser tests need Chromium (/usr/bin/chromium, Debian's package: installed here
# when missing and we may use apt). PostgreSQL tests run when
# CARPOOL_TEST_DATABASE_URL is set, e.g.
#   CARPOOL_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" test
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Chromium for the browser tests (Debian package chromium)" >&2
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
exec .venv/bin/python -m pytest "$@"
