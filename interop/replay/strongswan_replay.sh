#!/bin/bash
# strongswan_replay.sh IPSECREF [OUTDIR]: `ipsecref replay` against a live strongSwan.
#
# Two charon daemons (Debian's strongSwan 5.9.8) in network namespaces
# ipsecref-rpl-a-PID (initiator, 192.0.2.1) and ipsecref-rpl-b-PID (responder,
# the gateway under test, 192.0.2.2), joined by a veth pair; swanctl over vici,
# PSK, userspace ESP (kernel-libipsec: tunnel mode, ESP always in UDP 4500,
# because this kernel has no ESP). The initiator brings up an IKE SA and a
# CHILD SA and pings through the tunnel while tcpdump records the wire. Then
# the initiator's charon is killed without a word (SIGKILL: no DELETE, so the
# gateway keeps its SAs and their replay windows), and `ipsecref replay` sends
# the capture's packets to the gateway from the initiator's address and ports,
# reading the gateway's ESP counters through swanctl before and after.
#
# Expected (RFC 4303 §3.4.3, RFC 7296 §2.1, §2.6): every replayed ESP packet
# dropped, the replayed IKE_SA_INIT answered afresh or with a cookie, the last
# IKE request answered with the cached response, byte for byte; exit 0.
# Fails (never skips) when strongSwan is missing: tools/setup.sh installs it.
# Refuses to run (exit 2) with REPLAY_EXPERIMENT set: that hook once ran a
# command in place of the checks and exited 0, a pass that checked nothing.
# Creates and removes its own namespaces and kills only its own processes,
# on every path.
set -u
if [ -n "${REPLAY_EXPERIMENT+set}" ]; then
	echo "strongswan_replay.sh: REPLAY_EXPERIMENT is set, but this test has no experiment hook any more" \
		"(it replaced the checks and passed having checked nothing): unset it" >&2
	exit 2
fi
IPSECREF=${1:?usage: strongswan_replay.sh IPSECREF [OUTDIR]}
RUN=$(mktemp -d /tmp/ipsecref-replay.XXXXXX)
OUT=${2:-$RUN/out}
CHARON=/usr/lib/ipsec/charon
NS_A=ipsecref-rpl-a-$$
NS_B=ipsecref-rpl-b-$$
A=192.0.2.1 B=192.0.2.2
A_NET=198.51.100.0/24 A_IN=198.51.100.1 B_NET=203.0.113.0/24 B_IN=203.0.113.1
PINGS=5
PIDS=()
CHARON_A=""

log() { echo "[$(date +%T)] $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in 1 2 3 4 5; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in "$CHARON" /usr/sbin/swanctl /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so; do
	[ -e "$tool" ] || fail "$tool is missing: run tools/setup.sh (strongswan-charon, strongswan-swanctl, libcharon-extra-plugins)"
done
for program in ip tcpdump ping timeout mount; do
	command -v "$program" >/dev/null || fail "$program is missing: run tools/setup.sh (iproute2, tcpdump, iputils-ping, coreutils, mount)"
done
[ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
[ -x "$IPSECREF" ] || fail "no ipsecref at $IPSECREF"
mkdir -p "$OUT"

# -- network: two namespaces, one veth, the inner networks on lo ---------------
ip netns add "$NS_A" && ip netns add "$NS_B" || fail "cannot create network namespaces"
ip link add rpa$$ netns "$NS_A" type veth peer name rpb$$ netns "$NS_B" || fail "cannot create the veth pair"
ip -n "$NS_A" addr add $A/24 dev rpa$$
ip -n "$NS_B" addr add $B/24 dev rpb$$
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" link set rpa$$ up
ip -n "$NS_B" link set rpb$$ up
ip -n "$NS_A" addr add $A_IN/32 dev lo
ip -n "$NS_B" addr add $B_IN/32 dev lo

# -- one charon per namespace --------------------------------------------------
write_conf() {  # NAME ME PEER MY_NET PEER_NET MY_ID PEER_ID
	local d=$RUN/$1
	mkdir -p "$d/run" "$d/swanctl"
	cat > "$d/strongswan.conf" <<-EOF
	charon {
	  load = random nonce openssl aes sha1 sha2 hmac gcm kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
	  install_routes = yes
	  filelog { f { path = $d/charon.log
	                time_format = %T
	                default = 1
	                ike = 2
	                net = 2
	                flush_line = yes } }
	  syslog { daemon { default = -1 } auth { default = -1 } }
	  plugins { vici { socket = unix://$d/charon.vici } }
	}
	EOF
	cat > "$d/swanctl/swanctl.conf" <<-EOF
	connections {
	  t {
	    version = 2
	    local_addrs = $2
	    remote_addrs = $3
	    proposals = aes256gcm16-prfsha256-ecp256
	    local { auth = psk
	            id = $6 }
	    remote { auth = psk
	             id = $7 }
	    children { t { local_ts = $4
	                   remote_ts = $5
	                   esp_proposals = aes256gcm16 } }
	  }
	}
	secrets { ike-1 { id-1 = a.replay.test
	                  id-2 = b.replay.test
	                  secret = "ipsecref-replay-psk-0123456789" } }
	EOF
}

start_charon() {  # NAME NETNS
	local d=$RUN/$1
	# /var/run/charon.pid is fixed in charon: each gets a private /run
	# (ip netns exec runs us in a private mount namespace already).
	ip netns exec "$2" env STRONGSWAN_CONF="$d/strongswan.conf" \
		sh -c "mount --bind '$d/run' /run && exec $CHARON" > "$d/stdout" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do [ -S "$d/charon.vici" ] && break; sleep 0.1; done
	[ -S "$d/charon.vici" ] || { cat "$d/stdout" >&2; fail "charon $1 did not come up"; }
	SWANCTL_DIR=$d/swanctl timeout 20 swanctl --load-all --uri "unix://$d/charon.vici" > "$d/load.txt" 2>&1 \
		|| { cat "$d/load.txt" >&2; fail "swanctl --load-all for $1"; }
}

sw() { local n=$1; shift; timeout 20 swanctl "$@" --uri "unix://$RUN/$n/charon.vici"; }

write_conf a $A $B $A_NET $B_NET a.replay.test b.replay.test
write_conf b $B $A $B_NET $A_NET b.replay.test a.replay.test

ip netns exec "$NS_A" tcpdump --immediate-mode -n -s 0 -U -i rpa$$ -w "$OUT/capture.pcap" \
	"udp port 500 or udp port 4500 or esp or ah" > "$RUN/tcpdump.txt" 2>&1 &
TCPDUMP=$!
PIDS+=($TCPDUMP)
for _ in $(seq 50); do grep -q listening "$RUN/tcpdump.txt" 2>/dev/null && break; sleep 0.1; done

start_charon a "$NS_A"
CHARON_A=${PIDS[-1]}
start_charon b "$NS_B"

sw a --initiate --child t > "$OUT/initiate.txt" 2>&1 || { cat "$OUT/initiate.txt" >&2; fail "IKE SA / CHILD SA not established"; }
ip netns exec "$NS_A" ping -c $PINGS -i 0.2 -W 2 -I $A_IN $B_IN > "$OUT/ping.txt" 2>&1 \
	|| { cat "$OUT/ping.txt" >&2; fail "no ping through the tunnel"; }
sleep 0.3
# The peer goes silent without a DELETE: the gateway keeps its SAs.
# (ip netns exec execs sh, which execs charon: the PID is charon's.)
kill -9 "$CHARON_A"
sleep 0.3
kill -INT "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null
sw b --list-sas > "$OUT/list-sas-before.txt" 2>&1
cp "$RUN/b/charon.log" "$OUT/charon-b-before.log" 2>/dev/null

COUNTERS="swanctl --list-sas --raw --uri unix://$RUN/b/charon.vici"
replay() {  # NAME ARGS...: one run of ipsecref replay from the initiator's namespace
	local name=$1; shift
	ip netns exec "$NS_A" "$IPSECREF" replay "$OUT/capture.pcap" --to $B --from $A --timeout 1 "$@" \
		> "$OUT/$name" 2> "$OUT/$name.stderr"
}

# 1. The gateway still holds the IKE SA and the CHILD SA.
replay replay.json --esp-counters "$COUNTERS" --json
rc=$?
sw b --list-sas > "$OUT/list-sas-after.txt" 2>&1
# strongSwan ignores an IKE_SA_INIT of an IKE SA it holds whose window has
# moved on (message ID 0 < the next expected): pinned as 'silent'.
/usr/bin/python3 "$(dirname "$0")/expect_replay.py" "$OUT/replay.json" --esp $PINGS --init silent --latest 1
expect=$?
if [ $rc != 0 ] || [ $expect != 0 ]; then
	cat "$OUT/replay.json.stderr" >&2
	tshark -r "$OUT/capture.pcap" 2>/dev/null >&2
	cat "$OUT/list-sas-before.txt" "$OUT/list-sas-after.txt" >&2
	tail -40 "$RUN/b/charon.log" >&2
	fail "with the SAs up: ipsecref replay exited $rc, verdicts $( [ $expect = 0 ] && echo as expected || echo not as expected)"
fi

# 2. The gateway drops the IKE SA (no DELETE reaches anyone): the replayed
#    IKE_SA_INIT is a new exchange and must get a fresh response or a cookie.
sw b --terminate --ike t --force > "$OUT/terminate.txt" 2>&1 || { cat "$OUT/terminate.txt" >&2; fail "terminate at the gateway"; }
replay replay-init.txt --only ike-sa-init
rc=$?
cat "$OUT/replay-init.txt" >&2
[ $rc = 0 ] || { cat "$OUT/replay-init.txt.stderr" >&2; fail "ipsecref replay --only ike-sa-init exited $rc"; }
grep -q '^PASS .*IKE_SA_INIT.*fresh response' "$OUT/replay-init.txt" || fail "no fresh IKE_SA_INIT response"
cp "$RUN/b/charon.log" "$OUT/charon-b.log"
log "PASS"
