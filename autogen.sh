#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Generate ./configure from configure.ac. Run once after a fresh clone.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux
# automake does not install its TAP driver on its own; the unit tests use it.
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/tap-driver.sh
autoreconf -fi
echo "Now run ./configure (or ./configure --enable-sanitizers) and make."
