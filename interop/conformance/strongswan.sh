#!/bin/bash
# strongswan.sh IPSECREF OUTDIR [CONFORMANCE-OPTION...]: the conformance
# catalogue against Debian's strongSwan (charon 5.9.8), as
# `ipsecref conformance --target strongswan` runs it (README.md, "Remote
# targets"), for a run longer than CI allows. Interop/conformance/
# STRONGSWAN.md holds the last result and explains every failure.
#
# Each run starts its own charon in a network namespace of its own
# (ipsecref-cf<PID>-<N>i, 192.0.2.x on a veth pair to the tester's
# namespace ipsecref-cf<PID>-<N>t), with a swanctl.conf made from the case's
# setup, and removes both namespaces and its files afterwards. A run takes
# 7 to 20 seconds (it settles after --settle seconds without a new message,
# 6 by default, after each step), so the whole catalogue takes about as many
# minutes as it has runs divided by five.
#
# Writes OUTDIR/report.txt (every run with its checks and ladder),
# OUTDIR/report.html, OUTDIR/junit.xml, and OUTDIR/charon/RUN-ID/ (charon's
# log, swanctl.conf and strongswan.conf of each run). Known failures are
# read from strongswan.expect next to this script unless an --expect is
# given. Afterwards it checks that ipsecref left no network namespace and
# no file behind.
#
# Exit: ipsecref conformance's (0 nothing failed beyond strongswan.expect;
# 1 a run failed, passed unexpectedly or was inconclusive, or something was
# left behind; 2 usage); 77 when this host cannot run it (not root, or no
# network namespaces): ctest counts that as skipped. A missing program is a
# failure (1): tools/setup.sh installs them.
set -u
usage() { echo "usage: strongswan.sh IPSECREF OUTDIR [CONFORMANCE-OPTION...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
IPSECREF=$1 OUTDIR=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$IPSECREF" ] || { echo "strongswan.sh: no ipsecref at $IPSECREF" >&2; exit 2; }

[ "$(id -u)" = 0 ] || { echo "SKIP: strongswan.sh needs root (network namespaces, charon)" >&2; exit 77; }
probe=ipsecref-cfprobe-$$
ip netns add "$probe" 2>/dev/null || { echo "SKIP: cannot make a network namespace here" >&2; exit 77; }
ip netns del "$probe"

missing=""
for program in /usr/lib/ipsec/charon /usr/sbin/swanctl /usr/sbin/ip \
	/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so; do
	[ -e "$program" ] || missing="$missing $program"
done
command -v mount > /dev/null || missing="$missing mount"
[ -z "$missing" ] || { echo "FAIL: missing:$missing: run tools/setup.sh" >&2; exit 1; }

mkdir -p "$OUTDIR/charon" || exit 2
OUTDIR=$(cd "$OUTDIR" && pwd)
expect=()
case " $* " in *" --expect "*) ;; *) expect=(--expect "$HERE/strongswan.expect") ;; esac

start=$(date +%s)
IPSECREF_STRONGSWAN_LOGS=$OUTDIR/charon "$IPSECREF" conformance --target strongswan "${expect[@]}" \
	--html "$OUTDIR/report.html" --junit "$OUTDIR/junit.xml" -v "$@" > "$OUTDIR/report.txt" &
pid=$!
# A signal stops ipsecref, which removes what it made before it ends.
trap 'kill -TERM $pid 2>/dev/null; wait $pid; exit 130' INT TERM
wait $pid
rc=$?
trap - INT TERM
echo "ipsecref conformance --target strongswan: exit $rc, $(( $(date +%s) - start )) s; report in $OUTDIR/report.txt"
sed -n '/^group /,$p' "$OUTDIR/report.txt"

# Nothing left behind: no namespace, no file, no charon of that ipsecref.
left=$(ip netns list | awk '{ print $1 }' | grep "^ipsecref-cf$pid-")
if [ -n "$left" ]; then
	echo "FAIL: ipsecref left network namespaces behind: $left" >&2
	for ns in $left; do ip netns del "$ns"; done
	rc=1
fi
if [ -e "/tmp/ipsecref-conformance-$pid" ]; then
	echo "FAIL: ipsecref left /tmp/ipsecref-conformance-$pid behind" >&2
	rm -rf "/tmp/ipsecref-conformance-$pid"
	rc=1
fi
exit $rc
