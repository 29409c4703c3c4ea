#!/bin/sh
# The browser tests drive Debian's Chromium (Playwright's own download does not work everywhere):
# installed here when missing and possible (root with apt), otherwise a clear stop, never a skip.
set -e
BROWSER="${PARTNER_USAGE_CHROMIUM:-/usr/bin/chromium}"
[ -x "$BROWSER" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests (apt-get) …" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2 || {
    apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2
  }
  [ -x "$BROWSER" ] && exit 0
fi
echo "The browser tests need Chromium at $BROWSER: install it (Debian: sudo apt-get install chromium) or set PARTNER_USAGE_CHROMIUM to its path." >&2
exit 1
