#!/bin/sh
# deps.sh - make sure the Debian packages Grace builds and tests with are here.
# As root, installs what is missing; otherwise prints the apt-get line and fails.
set -u
pkgs="gcc make libc6-dev libyaml-dev libssl-dev libjq-dev libonig-dev jq openssl bats bats-support bats-assert valgrind curl"
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
