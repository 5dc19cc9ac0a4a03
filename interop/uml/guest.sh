#!/bin/bash
# guest.sh [--rw DIR]... [--mem MB] [--timeout S] -- COMMAND [ARG...]: runs
# COMMAND as root inside one user-mode Linux guest (Debian's
# user-mode-linux, a 6.1 kernel run as an ordinary process), so that the
# Linux kernel's own IPsec (XFRM: ESP, AH, ESN, transport mode, every
# algorithm it has as a module) protects what COMMAND sends, on a host whose
# kernel has none. The guest boots once and runs COMMAND to its end: start a
# whole set of runs with one call, not one call per run.
#
# Inside the guest the host's / is the root file system, read-only (hostfs):
# the same programs, the same paths. Writable are: /tmp, /run, /var/tmp and
# /dev/shm (empty tmpfs, except for this project's tree and the current
# directory when they lie under one: those are the host's, read-only), and
# each --rw DIR (the host's directory, mounted at the same path; COMMAND's
# results go there). The guest has no network
# device to the outside: only what COMMAND makes (network namespaces, veth).
# The kernel modules of IPsec, its algorithms, veth, TUN, IPv6 and NAT are
# loaded before COMMAND starts; the current directory and the environment
# variables IPSECREF_* are passed in.
#
# On hosts with a large XSAVE area (AVX-512, AMX) UML 6.1 panics at boot;
# xstate-shim.c (README.md here) is built and preloaded, always: it is a
# no-op where the host's area is small.
#
# COMMAND's stdout and stderr are printed after the guest ends. Exit:
# COMMAND's exit status; 3 when the guest did not boot or COMMAND did not
# end within --timeout (default 3600 s): the guest's console is printed.
# Needs root (the host's / is read as root inside the guest), user-mode-linux
# and kmod (tools/setup.sh installs both).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
usage() { echo "usage: guest.sh [--rw DIR]... [--mem MB] [--timeout S] -- COMMAND [ARG...]" >&2; exit 2; }
RW=() MEM=1536 TIMEOUT=3600
while [ $# -gt 0 ]; do
	case $1 in
	--rw) [ $# -ge 2 ] && [ -d "$2" ] || { echo "guest.sh: --rw needs an existing directory, got '${2:-}'" >&2; exit 2; }
		RW+=("$(cd "$2" && pwd)"); shift 2 ;;
	--mem) [[ ${2:-} =~ ^[0-9]+$ ]] && [ "$2" -ge 256 ] || { echo "guest.sh: --mem takes megabytes, at least 256" >&2; exit 2; }
		MEM=$2; shift 2 ;;
	--timeout) [[ ${2:-} =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] || { echo "guest.sh: --timeout takes seconds" >&2; exit 2; }
		TIMEOUT=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -ge 1 ] || usage
UML=/usr/bin/linux.uml
missing=""
[ -x $UML ] || missing="$missing linux.uml (user-mode-linux)"
command -v modprobe > /dev/null || missing="$missing modprobe (kmod)"
command -v cc > /dev/null || missing="$missing cc (gcc)"
[ -z "$missing" ] || { echo "guest.sh: missing:$missing: run tools/setup.sh" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "guest.sh: needs root" >&2; exit 3; }
KVER=$(ls /usr/lib/uml/modules | head -1)
[ -n "$KVER" ] || { echo "guest.sh: no modules in /usr/lib/uml/modules" >&2; exit 3; }

W=$(mktemp -d /tmp/ipsecref-uml.XXXXXX)
GUEST_PID=""
cleanup() {
	[ -n "$GUEST_PID" ] && kill -TERM "$GUEST_PID" 2> /dev/null && sleep 1 && kill -KILL "$GUEST_PID" 2> /dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -shared -fPIC -o "$W/xstate-shim.so" "$HERE/xstate-shim.c" -ldl || { echo "guest.sh: cannot build xstate-shim.so" >&2; exit 3; }
# modprobe -d DIR looks in DIR/lib/modules/KVER
mkdir -p "$W/mods/lib" && ln -s /usr/lib/uml/modules "$W/mods/lib/modules"
# the guest kernel loads crypto templates and XFRM algorithms on demand
printf '#!/bin/sh\nexec /sbin/modprobe -q -d %s/mods "$@"\n' "$W" > "$W/modprobe"
chmod +x "$W/modprobe"
# COMMAND, its directory and the IPSECREF_* environment, quoted for the guest's sh
{
	printf 'cd %q || exit 3\n' "$PWD"
	env | grep -E '^IPSECREF_[A-Z0-9_]*=' | while IFS='=' read -r name value; do printf 'export %s=%q\n' "$name" "$value"; done
	printf 'exec'; printf ' %q' "$@"; printf '\n'
} > "$W/command.sh"
RWLIST=""
for d in "${RW[@]}"; do RWLIST="$RWLIST $(printf '%q' "$d")"; done
# The project (this script's tree) and the current directory stay visible
# read-only when they lie under a directory the guest gives an empty tmpfs
# (a clone in /var/tmp or /tmp): the host's directory is mounted there again.
ROLIST=""
for d in "$(cd "$HERE/../.." && pwd)" "$PWD"; do
	case "$d/" in /run/*|/tmp/*|/var/tmp/*|/dev/shm/*) ROLIST="$ROLIST $(printf '%q' "$d")" ;; esac
done
cat > "$W/init.sh" << EOF
#!/bin/bash
# PID 1 of the guest
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc; mount -t sysfs sys /sys
for d in /run /tmp /var/tmp /dev/shm; do mount -t tmpfs tmpfs \$d; done
mkdir -p /run/netns $W
mount -t hostfs none $W -o $W
for d in $ROLIST; do mkdir -p "\$d" && mount -r -t hostfs none "\$d" -o "\$d" || echo "guest: cannot mount \$d" >> $W/console; done
for d in $RWLIST; do mkdir -p "\$d" && mount -t hostfs none "\$d" -o "\$d" || echo "guest: cannot mount \$d" >> $W/console; done
echo $W/modprobe > /proc/sys/kernel/modprobe
for m in xfrm_user xfrm_algo xfrm_interface esp4 esp6 ah4 ah6 xfrm4_tunnel xfrm6_tunnel tunnel4 tunnel6 \\
	ipv6 veth tun authenc authencesn gcm ghash_generic seqiv echainiv cbc ctr ccm hmac sha1_generic \\
	sha256_generic sha512_generic cmac xcbc des_generic aes_generic chacha20poly1305 chacha_generic \\
	poly1305_generic nf_tables nft_masq nf_nat nf_conntrack ip_tables iptable_nat xt_MASQUERADE; do
	$W/modprobe \$m 2>> $W/console
done
ip link set lo up
echo "guest: \$(uname -r), \$(lsmod | wc -l) modules" >> $W/console
bash $W/command.sh > $W/output 2>&1 < /dev/null
echo \$? > $W/rc
sync
poweroff -f
EOF
chmod +x "$W/init.sh"
LD_PRELOAD="$W/xstate-shim.so" timeout "$TIMEOUT" $UML mem=${MEM}M root=/dev/root rootfstype=hostfs \
	rootflags=/ ro init="$W/init.sh" con0=null,fd:1 con=null < /dev/null > "$W/boot.log" 2>&1 &
GUEST_PID=$!
wait $GUEST_PID
GUEST_PID=""
[ -f "$W/output" ] && cat "$W/output"
if [ ! -f "$W/rc" ]; then
	echo "guest.sh: the guest ended without COMMAND's status (did not boot, or --timeout $TIMEOUT s); its console:" >&2
	tail -30 "$W/boot.log" >&2
	[ -f "$W/console" ] && cat "$W/console" >&2
	exit 3
fi
exit "$(cat "$W/rc")"
