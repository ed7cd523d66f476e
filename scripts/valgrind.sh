#!/bin/sh
# valgrind.sh - the memcheck suites (tests/*valgrind*.bats) over the plain
# build: lib unit tests and every program, errors and leaks fatal.
set -u
cd "$(dirname "$0")/.." || exit 4
TESTS="$(echo tests/*valgrind*.bats)" exec sh scripts/run-tests.sh
