#!/bin/sh
# deps.sh [fuzz] - make sure the Debian packages Grace builds and tests with
# are here. As root, installs what is missing; otherwise prints the
# apt-get line and fails. With "fuzz", the packages of make fuzz instead
# (clang and its libFuzzer runtime): make check never needs clang.
set -u
pkgs="gcc make libc6-dev libyaml-dev libssl-dev libjq-dev libonig-dev jq openssl bats bats-support bats-assert valgrind curl chromium shellcheck golang-go golang-golang-x-mod-dev nats-server libnats-dev"
if [ "${1:-}" = fuzz ]; then
	# libFuzzer ships in libclang-rt-<major>-dev, which clang only
	# recommends: name the one that matches the clang installed, or the
	# one Debian's default clang would bring.
	pkgs="clang libyaml-dev libssl-dev libjq-dev libonig-dev"
	v=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
	[ -n "$v" ] || v=$(apt-cache depends clang 2>/dev/null |
	    sed -n 's/.*Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -1)
	[ -n "$v" ] && pkgs="$pkgs libclang-rt-$v-dev"
fi
missing=""
for p in $pkgs; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$s" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "grace: missing packages:$missing" >&2
	echo "grace: run as root:  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "grace: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || exit 1
apt-get install -y -qq $missing >&2 || exit 1
