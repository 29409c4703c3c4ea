#!/bin/sh
# The statement tests read PDFs back with poppler's pdftotext and render them with pdftoppm:
# installed here when missing and possible (root with apt), otherwise a clear stop, never a skip.
set -e
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's poppler-utils for the statement tests (apt-get) …" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y poppler-utils >&2 || {
    apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y poppler-utils >&2
  }
  command -v pdftotext >/dev/null 2>&1 && exit 0
fi
echo "The statement tests need poppler's pdftotext and pdftoppm: install them (Debian: sudo apt-get install poppler-utils)." >&2
exit 1
