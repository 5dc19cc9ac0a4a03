#!/bin/bash
# manual_sa.sh IPSECREF OUT: manual_sa.py (the Linux kernel's ESP from `ip
# xfrm` manual SAs against `ipsecref gateway`'s manual tunnels, one row per
# algorithm, and a negative control) inside one user-mode Linux guest
# (interop/uml/guest.sh; our host kernel has no ESP), OUT writable there.
# IPSECREF_GUEST_TIMEOUT seconds at most (540 unless set).
# IPSECREF_MSA_ROWS=row,row runs only those rows.
# Exit: manual_sa.py's (0 all supported rows passed and the negative control
# failed as it must, 1 otherwise); 77 when this host cannot run it (not
# root); 3 the guest did not boot or timed out.
set -u
[ $# = 2 ] || { echo "usage: manual_sa.sh IPSECREF OUT" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$1" ] || { echo "manual_sa.sh: no ipsecref at $1" >&2; exit 2; }
IPSECREF=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ "$(id -u)" = 0 ] || { echo "SKIP: manual_sa.sh needs root (the guest reads the host's / as root)" >&2; exit 77; }
[ -e /usr/bin/linux.uml ] || { echo "FAIL: missing /usr/bin/linux.uml: run tools/setup.sh" >&2; exit 1; }
mkdir -p "$2" || exit 2
OUT=$(cd "$2" && pwd)
start=$(date +%s)
"$HERE/../uml/guest.sh" --rw "$OUT" --timeout "${IPSECREF_GUEST_TIMEOUT:-540}" --mem 1024 -- \
	/usr/bin/python3 "$HERE/manual_sa.py" "$IPSECREF" "$OUT"
rc=$?
echo "manual_sa.sh: the guest ended, exit $rc, $(( $(date +%s) - start )) s in all"
exit $rc
