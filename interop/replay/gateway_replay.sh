#!/bin/bash
# gateway_replay.sh IPSECREF [OUTDIR]: `ipsecref replay` of raw ESP (IP
# protocol 50) against a live `ipsecref gateway`.
#
# Two `ipsecref gateway`s in network namespaces ipsecref-rpg-a-PID (the peer,
# 192.0.2.1) and ipsecref-rpg-b-PID (the gateway under test, 192.0.2.2),
# joined by a veth pair, each with the mirror of one manual (static-key) ESP
# tunnel: raw ESP, AES-128-CBC + HMAC-SHA2-256-128, tunnel mode,
# 198.51.100.0/24 === 203.0.113.0/24, the inner traffic through each
# gateway's TUN device. The peer pings through the tunnel while tcpdump
# records the wire; then the peer's gateway is stopped and `ipsecref replay`
# sends the capture's ESP packets to the gateway over a raw socket from the
# peer's namespace and address, reading the gateway's stats over its
# control socket before and after.
#
# Expected (RFC 4303 §3.4.3): every replayed ESP packet dropped as a replay
# (the gateway's dropped.replay counts all of them, its inner_out does not
# move), exit 0. Then the negative control: the gateway restarted with the
# same keys has a fresh replay window (nothing received yet), so it takes the
# same packets, and replay must say FAIL and exit 1.
#
# Last, a kernel XFRM capture (pcaps/linux-xfrm-gcm: Linux 6.1, raw ESP,
# AES-256-GCM-16, tunnel) against the gateway with a manual tunnel made of
# that capture's SPIs and keys (read from its esp_sa at test time): the
# first replay is taken (the gateway decrypts the kernel's packets: FAIL,
# exit 1), the second is dropped (PASS, exit 0).
#
# `ipsecref gateway` carries ESP only: AH is tested by raw_send_check.py
# (planning and sending, bytes compared), not against a gateway.
# Creates and removes its own namespaces and kills only its own processes,
# on every path. Needs root.
set -u
IPSECREF=${1:?usage: gateway_replay.sh IPSECREF [OUTDIR]}
RUN=$(mktemp -d /tmp/ipsecref-gwreplay.XXXXXX)
OUT=${2:-$RUN/out}
NS_A=ipsecref-rpg-a-$$
NS_B=ipsecref-rpg-b-$$
A=192.0.2.1 B=192.0.2.2
A_NET=198.51.100.0/24 A_IN=198.51.100.1 B_NET=203.0.113.0/24 B_IN=203.0.113.1
SPI_B=0xc0000b01 SPI_A=0xc0000a01
PINGS=5
PIDS=()
GATEWAY_A="" GATEWAY_B=""

log() { echo "[$(date +%T)] $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for program in ip tcpdump tshark ping timeout; do
	command -v "$program" >/dev/null || fail "$program is missing: run tools/setup.sh (iproute2, tcpdump, tshark, iputils-ping, coreutils)"
done
[ -x /usr/bin/python3 ] || fail "/usr/bin/python3 is missing: run tools/setup.sh"
[ "$(id -u)" = 0 ] || fail "needs root (network namespaces, raw sockets)"
[ -x "$IPSECREF" ] || fail "no ipsecref at $IPSECREF"
[ -c /dev/net/tun ] || fail "no /dev/net/tun: the gateways need TUN devices"
mkdir -p "$OUT"

# -- network: two namespaces, one veth, the inner networks on lo ---------------
ip netns add "$NS_A" && ip netns add "$NS_B" || fail "cannot create network namespaces"
ip link add rga$$ netns "$NS_A" type veth peer name rgb$$ netns "$NS_B" || fail "cannot create the veth pair"
ip -n "$NS_A" addr add $A/24 dev rga$$
ip -n "$NS_B" addr add $B/24 dev rgb$$
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" link set rga$$ up
ip -n "$NS_B" link set rgb$$ up
ip -n "$NS_A" addr add $A_IN/32 dev lo
ip -n "$NS_B" addr add $B_IN/32 dev lo

# -- the mirrored manual tunnels -----------------------------------------------
KEY_AB=000102030405060708090a0b0c0d0e0f
KEY_BA=0f0e0d0c0b0a09080706050403020100
INTEG_AB=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
INTEG_BA=ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100
write_conf() {  # NAME ME PEER MY_NET PEER_NET SPI_IN SPI_OUT ENC_IN ENC_OUT INTEG_IN INTEG_OUT
	cat > "$RUN/$1.conf" <<-EOF
	manual {
	  t {
	    local_addrs = $2
	    remote_addrs = $3
	    local_ts = $4
	    remote_ts = $5
	    spi_in = $6
	    spi_out = $7
	    esp_proposals = aes128-sha256
	    enc_key_in = $8
	    enc_key_out = $9
	    integ_key_in = ${10}
	    integ_key_out = ${11}
	  }
	}
	EOF
}
write_conf a $A $B $A_NET $B_NET $SPI_A $SPI_B $KEY_BA $KEY_AB $INTEG_BA $INTEG_AB
write_conf b $B $A $B_NET $A_NET $SPI_B $SPI_A $KEY_AB $KEY_BA $INTEG_AB $INTEG_BA

start_gateway() {  # NAME NETNS LOG: sets STARTED to the gateway's PID
	local sock=$RUN/$1.sock
	rm -f "$sock"
	# ip netns exec execs the command: $! is the gateway's PID.
	ip netns exec "$2" "$IPSECREF" gateway --config "$RUN/$1.conf" --control "$sock" --tun ipsecref0 \
		--no-ipv6 --log-level debug > "$OUT/$3" 2>&1 &
	STARTED=$!
	PIDS+=($STARTED)
	for _ in $(seq 50); do
		"$IPSECREF" ctl --socket "$sock" stats > /dev/null 2>&1 && return 0
		kill -0 "$STARTED" 2>/dev/null || break
		sleep 0.1
	done
	cat "$OUT/$3" >&2
	fail "gateway $1 did not come up"
}

stop_gateway() {  # PID
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	fail "gateway $1 did not stop on SIGTERM"
}

stat_of() {  # KEY.PATH: one counter of gateway b, from `ipsecref ctl stats --json`
	"$IPSECREF" ctl --socket "$RUN/b.sock" stats --json |
		/usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
for key in sys.argv[1].split("."):
    j = j.get(key, 0)
print(j)' "$1"
}

ip netns exec "$NS_A" tcpdump --immediate-mode -n -s 0 -U -i rga$$ -w "$OUT/capture.pcap" \
	"esp or ah or udp port 500 or udp port 4500" > "$RUN/tcpdump.txt" 2>&1 &
TCPDUMP=$!
PIDS+=($TCPDUMP)
for _ in $(seq 50); do grep -q listening "$RUN/tcpdump.txt" 2>/dev/null && break; sleep 0.1; done

start_gateway b "$NS_B" gateway-b.log
GATEWAY_B=$STARTED
start_gateway a "$NS_A" gateway-a.log
GATEWAY_A=$STARTED

ip netns exec "$NS_A" ping -c $PINGS -i 0.2 -W 2 -I $A_IN $B_IN > "$OUT/ping.txt" 2>&1 \
	|| { cat "$OUT/ping.txt" "$OUT/gateway-a.log" "$OUT/gateway-b.log" >&2; fail "no ping through the tunnel"; }
sleep 0.3
# The peer goes away; the gateway keeps its SA and its replay window.
stop_gateway "$GATEWAY_A"
kill -INT "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null

# The capture, as tshark reads it: the peer's raw ESP to the gateway.
to_gateway=$(tshark -r "$OUT/capture.pcap" -Y "ip.src==$A && ip.dst==$B && esp.spi==$SPI_B" 2>/dev/null | wc -l)
[ "$to_gateway" = $PINGS ] || { tshark -r "$OUT/capture.pcap" >&2; fail "$to_gateway ESP packets with SPI $SPI_B to the gateway captured, $PINGS expected"; }
esp_in=$(stat_of esp_in) inner_out=$(stat_of inner_out) replays=$(stat_of dropped.replay)
[ "$esp_in" = $PINGS ] && [ "$replays" = 0 ] || fail "before the replay the gateway counted esp_in $esp_in, dropped.replay $replays; $PINGS and 0 expected"

replay() {  # NAME ARGS...: one run of ipsecref replay from the peer's namespace
	local name=$1; shift
	ip netns exec "$NS_A" "$IPSECREF" replay "$OUT/capture.pcap" --to $B --from $A --gateway-address $B \
		--gateway-control "$RUN/b.sock" --timeout 0.5 "$@" > "$OUT/$name" 2> "$OUT/$name.stderr"
}

# 1. The gateway holds the SA: every replayed packet must be dropped as a replay.
replay replay.json --json
rc=$?
expect() {  # REPORT VERDICT: the single raw ESP row of the report
	/usr/bin/python3 - "$1" "$2" "$PINGS" "$SPI_B" <<-'EOF'
	import json, sys
	report, verdict, pings, spi = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 16)
	rows = report["results"]
	for r in rows:
	    print(f"{r['verdict']:<10} {r['kind']} {r.get('spi')}: {r['reason']}", file=sys.stderr)
	ok = (len(rows) == 1 and rows[0]["kind"] == "esp" and rows[0]["spi"] == f"{spi:#010x}"
	      and rows[0]["verdict"] == verdict and rows[0]["packets"] and len(rows[0]["packets"]) == pings
	      and rows[0]["seq"] == list(range(1, pings + 1)))
	sys.exit(0 if ok else 1)
	EOF
}
expect "$OUT/replay.json" PASS
ok=$?
esp_in_after=$(stat_of esp_in) inner_out_after=$(stat_of inner_out) replays_after=$(stat_of dropped.replay)
log "gateway after the replay: esp_in $esp_in -> $esp_in_after, dropped.replay $replays -> $replays_after, inner_out $inner_out -> $inner_out_after"
if [ $rc != 0 ] || [ $ok != 0 ] || [ "$replays_after" != $PINGS ] || [ "$esp_in_after" != $((2 * PINGS)) ] \
	|| [ "$inner_out_after" != "$inner_out" ]; then
	cat "$OUT/replay.json" "$OUT/replay.json.stderr" >&2
	tail -20 "$OUT/gateway-b.log" >&2
	fail "with the SA up: ipsecref replay exited $rc (0 expected), verdict $( [ $ok = 0 ] && echo PASS || echo 'not PASS')"
fi

# 2. Negative control: a gateway with the same keys and a fresh window takes
#    the same packets, and replay must see it.
stop_gateway "$GATEWAY_B"
start_gateway b "$NS_B" gateway-b-restarted.log
GATEWAY_B=$STARTED
replay replay-fresh.json --json
rc=$?
expect "$OUT/replay-fresh.json" FAIL
ok=$?
accepted=$(stat_of inner_out)
[ $rc = 1 ] && [ $ok = 0 ] && [ "$(stat_of dropped.replay)" = 0 ] && [ "$accepted" = $PINGS ] || {
	cat "$OUT/replay-fresh.json" "$OUT/replay-fresh.json.stderr" >&2
	fail "against a fresh window: exit $rc (1 expected), the gateway passed $accepted packets inside ($PINGS expected)"
}
stop_gateway "$GATEWAY_B"

# 3. A kernel XFRM capture: the tunnel of its peer 192.0.2.1 and gateway
#    192.0.2.2, with the SPIs and keys strongSwan saved (esp_sa: Wireshark's
#    "IPv4","src","dst","0xSPI","algorithm","0xKEY",...).
XFRM=$(cd "$(dirname "$0")/../../pcaps/linux-xfrm-gcm" && pwd)
esp_key() {  # SRC DST: the SPI and the encryption key (with its 4-byte salt) of that direction
	/usr/bin/python3 - "$XFRM/esp_sa" "$1" "$2" <<-'EOF'
	import csv, sys
	for row in csv.reader(open(sys.argv[1])):
	    if row[1:3] == sys.argv[2:4]:
	        print(row[3], row[5][2:])
	EOF
}
read -r SPI_IN KEY_IN < <(esp_key $A $B)
read -r SPI_OUT KEY_OUT < <(esp_key $B $A)
[ -n "${KEY_IN:-}" ] && [ -n "${KEY_OUT:-}" ] || fail "no keys of $A <-> $B in $XFRM/esp_sa"
cat > "$RUN/b.conf" <<-EOF
manual {
  xfrm {
    local_addrs = $B
    remote_addrs = $A
    local_ts = $B_NET
    remote_ts = $A_NET
    spi_in = $SPI_IN
    spi_out = $SPI_OUT
    esp_proposals = aes256gcm16
    enc_key_in = $KEY_IN
    enc_key_out = $KEY_OUT
  }
}
EOF
start_gateway b "$NS_B" gateway-b-xfrm.log
GATEWAY_B=$STARTED
replay_xfrm() {  # NAME
	ip netns exec "$NS_A" "$IPSECREF" replay "$XFRM/capture.pcap" --to $B --from $A --only esp \
		--gateway-control "$RUN/b.sock" --timeout 0.5 --json > "$OUT/$1" 2> "$OUT/$1.stderr"
}
SPI_B=$SPI_IN
replay_xfrm replay-xfrm-first.json
rc=$?
expect "$OUT/replay-xfrm-first.json" FAIL
ok=$?
taken=$(stat_of inner_out)
[ $rc = 1 ] && [ $ok = 0 ] && [ "$taken" = $PINGS ] || {
	cat "$OUT/replay-xfrm-first.json" "$OUT/replay-xfrm-first.json.stderr" >&2
	tail -20 "$OUT/gateway-b-xfrm.log" >&2
	fail "kernel XFRM capture, first replay: exit $rc (1 expected), the gateway decrypted $taken packets ($PINGS expected)"
}
replay_xfrm replay-xfrm-again.json
rc=$?
expect "$OUT/replay-xfrm-again.json" PASS
ok=$?
[ $rc = 0 ] && [ $ok = 0 ] && [ "$(stat_of dropped.replay)" = $PINGS ] && [ "$(stat_of inner_out)" = $PINGS ] || {
	cat "$OUT/replay-xfrm-again.json" "$OUT/replay-xfrm-again.json.stderr" >&2
	fail "kernel XFRM capture, second replay: exit $rc (0 expected), every packet must be dropped as a replay"
}
stop_gateway "$GATEWAY_B"
log "PASS"
