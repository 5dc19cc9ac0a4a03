#!/bin/bash
# run-target.sh TARGET IPSECREF OUTDIR [CONFORMANCE-OPTION...]: the
# conformance catalogue against a namespace target, as `ipsecref
# conformance --target TARGET` runs it (README.md, "Remote targets"), for a
# run longer than CI allows. TARGET is strongswan (Debian's charon 5.9.8
# with its userspace ESP; STRONGSWAN.md holds the last result and explains
# every failure), gateway (`ipsecref gateway`; GATEWAY.md), strongswan-xfrm
# (the same charon on the Linux kernel's own IPsec, XFRM;
# STRONGSWAN-XFRM.md) or libreswan (libreswan 4.10's pluto on XFRM;
# LIBRESWAN.md). strongswan.sh, gateway.sh, strongswan-xfrm.sh and
# libreswan.sh call it.
#
# strongswan-xfrm and libreswan need a kernel with ESP and AH: the whole
# run goes into one user-mode Linux guest (interop/uml/guest.sh, OUTDIR
# writable there; IPSECREF_GUEST_TIMEOUT seconds at most, 14400 unless
# set; IPSECREF_GUEST_MEM megabytes, 1536 unless set), where this script
# runs again and does the rest.
#
# Each run starts its own IUT in a network namespace of its own
# (ipsecref-cf<PID>-<N>i, 192.0.2.x on a veth pair to the tester's
# namespace ipsecref-cf<PID>-<N>t), with a swanctl.conf made from the
# case's setup, and removes both namespaces and its files afterwards. A run
# takes 7 to 20 seconds (it settles after --settle seconds without a new
# message, 6 by default, after each step), so the whole catalogue takes
# about as many minutes as it has runs divided by five.
#
# Writes OUTDIR/report.txt (every run with its checks and ladder),
# OUTDIR/report.html, OUTDIR/junit.xml, and OUTDIR/iut/RUN-ID/ (the IUT's
# log, its configuration and the commands of each run). Known failures are
# read from TARGET.expect next to this script, when there is one, unless
# an --expect is given. Afterwards it checks that ipsecref left no network
# namespace and no file behind.
#
# Exit: ipsecref conformance's (0 nothing failed beyond the expected; 1 a
# run failed, passed unexpectedly or was inconclusive, or something was
# left behind; 2 usage); 77 when this host cannot run it (not root, or no
# network namespaces): ctest counts that as skipped. A missing program is a
# failure (1): tools/setup.sh installs them.
set -u
usage() { echo "usage: run-target.sh strongswan|gateway|strongswan-xfrm|libreswan IPSECREF OUTDIR [CONFORMANCE-OPTION...]" >&2; exit 2; }
[ $# -ge 3 ] || usage
TARGET=$1 IPSECREF=$2 OUTDIR=$3
shift 3
case $TARGET in
strongswan) logs=IPSECREF_STRONGSWAN_LOGS ;;
gateway) logs=IPSECREF_GATEWAY_LOGS ;;
strongswan-xfrm) logs=IPSECREF_STRONGSWAN_XFRM_LOGS guest=1 ;;
libreswan) logs=IPSECREF_LIBRESWAN_LOGS guest=1 ;;
*) usage ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$IPSECREF" ] || { echo "run-target.sh: no ipsecref at $IPSECREF" >&2; exit 2; }
IPSECREF=$(cd "$(dirname "$IPSECREF")" && pwd)/$(basename "$IPSECREF")

[ "$(id -u)" = 0 ] || { echo "SKIP: run-target.sh needs root (network namespaces)" >&2; exit 77; }
probe=ipsecref-cfprobe-$$
ip netns add "$probe" 2>/dev/null || { echo "SKIP: cannot make a network namespace here" >&2; exit 77; }
ip netns del "$probe"

missing=""
programs=(/usr/sbin/ip)
case $TARGET in
strongswan) programs+=(/usr/lib/ipsec/charon /usr/sbin/swanctl /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so) ;;
strongswan-xfrm) programs+=(/usr/lib/ipsec/charon /usr/sbin/swanctl /usr/lib/ipsec/plugins/libstrongswan-kernel-netlink.so) ;;
libreswan) programs+=(/opt/ipsecref/libreswan/usr/libexec/ipsec/pluto /opt/ipsecref/libreswan/usr/libexec/ipsec/whack \
	/usr/bin/certutil) ;;
esac
[ -n "${guest:-}" ] && programs+=(/usr/bin/linux.uml)
for program in "${programs[@]}"; do
	[ -e "$program" ] || missing="$missing $program"
done
command -v mount > /dev/null || missing="$missing mount"
[ -z "$missing" ] || { echo "FAIL: missing:$missing: run tools/setup.sh" >&2; exit 1; }

mkdir -p "$OUTDIR/iut" || exit 2
OUTDIR=$(cd "$OUTDIR" && pwd)
if [ -n "${guest:-}" ] && [ -z "${IPSECREF_IN_GUEST:-}" ]; then
	# The rest, inside one guest: its exit is this script's there.
	start=$(date +%s)
	IPSECREF_IN_GUEST=1 "$HERE/../uml/guest.sh" --rw "$OUTDIR" --timeout "${IPSECREF_GUEST_TIMEOUT:-14400}" \
		--mem "${IPSECREF_GUEST_MEM:-1536}" -- \
		"$HERE/run-target.sh" "$TARGET" "$IPSECREF" "$OUTDIR" "$@"
	rc=$?
	echo "run-target.sh $TARGET: the guest ended, exit $rc, $(( $(date +%s) - start )) s in all"
	exit $rc
fi
expect=()
case " $* " in *" --expect "*) ;; *) [ -e "$HERE/$TARGET.expect" ] && expect=(--expect "$HERE/$TARGET.expect") ;; esac

start=$(date +%s)
env "$logs=$OUTDIR/iut" "$IPSECREF" conformance --target "$TARGET" "${expect[@]}" \
	--html "$OUTDIR/report.html" --junit "$OUTDIR/junit.xml" -v "$@" > "$OUTDIR/report.txt" &
pid=$!
# A signal stops ipsecref, which removes what it made before it ends.
trap 'kill -TERM $pid 2>/dev/null; wait $pid; exit 130' INT TERM
wait $pid
rc=$?
trap - INT TERM
echo "ipsecref conformance --target $TARGET: exit $rc, $(( $(date +%s) - start )) s; report in $OUTDIR/report.txt"
sed -n '/^group /,$p' "$OUTDIR/report.txt"

# Nothing left behind: no namespace, no file, no IUT of that ipsecref.
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
