# _common.sh - what the healing actions share (sourced, not run).
# shellcheck shell=sh disable=SC2034
#
# Every action takes its arguments as argv (grace-heal never builds a
# shell string) and reads nothing but its arguments and the GRACE_*
# environment grace-heal sets (GRACE_HEALING_ID, GRACE_COMPONENT, ...).
# No argument is ever evaluated: values are quoted wherever they are used.
#
# Exit statuses, the same for every action:
#   0  done
#   1  the action ran and failed (the service did not come back, ...)
#   2  usage: a bad or missing argument
#   3  a tool the action needs is not installed ("kubectl: not found")
#   4  the target is not there (no pidfile, no such file or directory)

ME=${0##*/}

die() {	# die STATUS MESSAGE...
	st=$1
	shift
	printf '%s: %s\n' "$ME" "$*" >&2
	exit "$st"
}

say() {
	printf '%s: %s\n' "$ME" "$*"
}

usage_error() {
	printf '%s: %s\n' "$ME" "$*" >&2
	usage >&2
	exit 2
}

need() {	# need TOOL: exit 3 when TOOL is not installed
	command -v "$1" >/dev/null 2>&1 || die 3 "$1: not found"
}

# need_arg OPTION COUNT: the option needs a value.
need_arg() {
	[ "$2" -ge 2 ] || usage_error "$1 needs a value"
}

is_uint() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	return 0
}

# pid_of PIDFILE: the live pid the file names, else nothing (status 1).
pid_of() {
	[ -f "$1" ] || return 1
	p=$(sed -n '1{s/[^0-9].*//;p;}' "$1" 2>/dev/null)
	is_uint "$p" && [ "$p" -gt 1 ] || return 1
	kill -0 "$p" 2>/dev/null || return 1
	printf '%s\n' "$p"
}

# wait_gone PID SECONDS: until PID has exited (status 1 when it has not).
wait_gone() {
	n=0
	while kill -0 "$1" 2>/dev/null; do
		[ "$n" -ge "$(( $2 * 10 ))" ] && return 1
		sleep 0.1
		n=$((n + 1))
	done
	return 0
}

# write_atomic FILE: stdin into FILE through a temporary file in the
# same directory and a rename, so a reader never sees half of it.
write_atomic() {
	tmp="$1.tmp.$$"
	cat >"$tmp" || { rm -f "$tmp"; return 1; }
	mv -f "$tmp" "$1" || { rm -f "$tmp"; return 1; }
}

# json_str TEXT: TEXT as a JSON string literal (quotes included).
json_str() {
	if command -v jq >/dev/null 2>&1; then
		jq -n --arg s "$1" '$s'
	else
		printf '"%s"\n' "$(printf '%s' "$1" | tr -d '\000-\010\013-\037' |
			sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' |
			sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/\\n/g')"
	fi
}

# safe_name TEXT: TEXT is usable as a file name in a state directory.
safe_name() {
	case $1 in
	'' | . | .. | */* | -*) return 1 ;;
	esac
	return 0
}

# set_target OPTION VALUE: --unit, --pidfile, --docker or --kubectl,
# into MODE (unit, pidfile, docker, kubectl) and TARGET. One target only.
MODE=
TARGET=
NAMESPACE=
set_target() {
	[ -z "$MODE" ] || usage_error "one target only (--unit, --pidfile, --docker or --kubectl)"
	[ -n "$2" ] || usage_error "$1 needs a value"
	MODE=${1#--}
	TARGET=$2
}

# kubectl_run ARG...: kubectl, in --namespace when one was given.
kubectl_run() {
	need kubectl
	if [ -n "$NAMESPACE" ]; then
		kubectl --namespace "$NAMESPACE" "$@"
	else
		kubectl "$@"
	fi
}

# Service directories (like runit's): a site keeps one directory per
# component, SERVICES/NAME, holding
#   run          an executable that runs the service in the foreground
#                (restart starts it, in a new session)
#   pid          the service's pid (restart writes it)
#   log          the output of run (appended)
#   drain, replicas, active, quarantined, DEP.breaker, secret, conf,
#   conf.good, snapshots/, cache/   what the actions write and read
# `--services DIR` with `--component NAME` (default: $GRACE_COMPONENT)
# names one; NAME must be a plain file name. When an action is given no
# target at all, DIR is $GRACE_SERVICES (default /var/lib/grace/services).
SERVICES=
COMPONENT=
SVC=
resolve_service() {	# resolve_service OTHER: OTHER is any other target given
	if [ -z "$SERVICES" ]; then
		[ -z "${1:-}" ] || return 0
		SERVICES=${GRACE_SERVICES:-/var/lib/grace/services}
	fi
	COMPONENT=${COMPONENT:-${GRACE_COMPONENT:-}}
	[ -n "$COMPONENT" ] || usage_error "--services needs --component (or GRACE_COMPONENT)"
	safe_name "$COMPONENT" || usage_error "'$COMPONENT' is not a plain name"
	SVC="$SERVICES/$COMPONENT"
	[ -d "$SVC" ] || die 4 "$SVC: no such service directory"
}
