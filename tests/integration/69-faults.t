#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The fault matrix's subset (tests/faults/run, issue 19): a move of the real
# test guest struck at every phase and by every fault at least once (a test
# hook pauses the move at the phase; the fault strikes; the pause ends);
# after each cell: never two hosts running it, never two writers (the
# writer journals), the guest's records contiguous, status and list true,
# nothing left behind, and a new move succeeds. tests/faults/run --full runs
# every cell and writes docs/fault-matrix.md.
exec "$(dirname "$0")/../faults/run"
