#!/bin/bash
# gateway_bench.sh: the live gateway against strongSwan's charon on this
# machine, as ratios measured in one run (tools/bench/README.md, "gateway_bench").
#
#  (a) handshakes: `ipsecref load` in one network namespace sets up COUNT IKE
#      SAs (PSK, IKE aes128gcm16-prfsha256-ecp256, one CHILD SA aes128gcm16
#      each) against a responder in the other: `ipsecref gateway --spus 1`, or
#      charon with the load-tester plugin's responder configuration and fake
#      kernel interface (its CHILD SAs are negotiated, not installed), DoS
#      limits lifted as /work/shared/peers/loadtest.sh lifts them. Reported:
#      setups/s (all, and steady: 10th to 90th percentile of the ESTABLISHED
#      times) and the responder's CPU time per handshake; ratios gateway/charon.
#  (b) ESP throughput over one tunnel: a UDP blast (udp_blast.py, 1200-byte
#      payloads, SECONDS) from 10.1.0.1 through the initiator's TUN device,
#      ESP in UDP (RFC 3948) over the veth pair, out of the responder's TUN
#      device to 10.2.0.1: a pair of `ipsecref gateway` against a pair of
#      charon with kernel-libipsec (userspace ESP on a TUN device, always ESP
#      in UDP). Reported: payload Mbit/s received; ratio gateway/charon.
#  (c) the gateway with --spus 2 against --spus 1: the handshakes of (a),
#      and the tunnel of (b) (one tunnel: one SPU carries it).
# Each measurement is repeated REPEAT times, the cases interleaved; the
# median is reported.
#
# Needs: root; the ipsecref binary (IPSECREF, default build/dev/tools/ipsecref);
# strongswan-charon, strongswan-swanctl and libcharon-extra-plugins
# (kernel-libipsec) from Debian; the load-tester plugin built by
# /work/shared/peers/build-ss-plugins.sh into PLUGINS (default /tmp/pf-plugins);
# iproute2, iputils-ping, python3.
#
# usage: tools/bench/gateway_bench.sh [COUNT [REPEAT [SECONDS]]]   (defaults 2000 3 5)
# Environment: IKE_PROP (default aes128gcm16-prfsha256-ecp256, as loadtest.sh);
# DELETE=yes (default: `ipsecref load --delete`, each IKE SA deleted once
# established, as load-tester's delete_after_established, so that neither
# end's tables grow over the run) or no; LOAD_SPUS (default 1: the initiator
# on one SPU; with more, an IKE_SA_INIT response can arrive before the SPU
# registered its SPI and waits for a retransmission); PARTS (default
# "handshakes throughput"); CASES (default "gateway1 charon gateway2");
# LTLOG=2 logs charon's ike and net subsystems.
# Output: a summary on stdout; everything (logs, JSON reports) in OUT
# (default /tmp/gateway-bench.PID).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
IPSECREF=${IPSECREF:-$ROOT/build/dev/tools/ipsecref}
case $IPSECREF in /*) ;; *) IPSECREF=$PWD/$IPSECREF ;; esac
PLUGINS=${PLUGINS:-/tmp/pf-plugins}
LT=$PLUGINS/libstrongswan-load-tester.so
CHARON=/usr/lib/ipsec/charon
COUNT=${1:-2000}
REPEAT=${2:-3}
SECONDS_ESP=${3:-5}
OUT=${OUT:-/tmp/gateway-bench.$$}
PSK=gateway-bench-psk
LOAD_SPUS=${LOAD_SPUS:-1}
DELETE=${DELETE:-yes}
PARTS=${PARTS:-handshakes throughput}
IKE_PROP=${IKE_PROP:-aes128gcm16-prfsha256-ecp256}
ESP_PROP=aes128gcm16
NS_I=gwb-i-$$ NS_R=gwb-r-$$
ADDR_I=192.0.2.1 ADDR_R=192.0.2.2
INNER_I=10.1.0.1 INNER_R=10.2.0.1

for need in "$IPSECREF" "$CHARON" /usr/sbin/swanctl /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so "$LT"; do
	[ -e "$need" ] || { echo "gateway_bench.sh: missing $need (see the header of $0)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "gateway_bench.sh: needs root (network namespaces)" >&2; exit 2; }
mkdir -p "$OUT"

PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	PIDS=()
}
cleanup() {
	stop_all
	ip netns del $NS_I 2>/dev/null
	ip netns del $NS_R 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

net_up() {
	cleanup
	ip netns add $NS_I && ip netns add $NS_R || exit 2
	ip link add gwbi$$ netns $NS_I type veth peer name gwbr$$ netns $NS_R || exit 2
	ip -n $NS_I addr add $ADDR_I/24 dev gwbi$$
	ip -n $NS_R addr add $ADDR_R/24 dev gwbr$$
	ip -n $NS_I addr add $INNER_I/32 dev lo
	ip -n $NS_R addr add $INNER_R/32 dev lo
	for ns in $NS_I $NS_R; do ip -n $ns link set lo up; done
	ip -n $NS_I link set gwbi$$ up
	ip -n $NS_R link set gwbr$$ up
	ip netns exec $NS_I ping -c 1 -W 2 $ADDR_R >/dev/null
}

ns_of() { [ "$1" = i ] && echo $NS_I || echo $NS_R; }

# CPU seconds (user + system) a process has used.
cpu_seconds() {
	local f
	read -ra f < /proc/$1/stat
	python3 -c "import os; print(($((f[13] + f[14]))) / os.sysconf('SC_CLK_TCK'))"
}

# --- the ipsecref gateway ---------------------------------------------------

gateway_conf() {  # $1 = i|r  $2 = file  $3 = bench (for (a)) | tp (for (b))
	local me=$ADDR_R them=$ADDR_I lts=10.2.0.0/24 rts=10.1.0.0/24 id=srv.strongswan.org other=c1.strongswan.org
	[ "$1" = i ] && { me=$ADDR_I them=$ADDR_R lts=10.1.0.0/24 rts=10.2.0.0/24 id=c1.strongswan.org other=srv.strongswan.org; }
	if [ "$3" = bench ]; then
	cat > "$2" <<-EOF
	connections {
	  bench {
	    local_addrs = $me
	    proposals = $IKE_PROP
	    local {
	      auth = psk
	      id = $id
	    }
	    remote {
	      auth = psk
	    }
	    children {
	      bench {
	        esp_proposals = $ESP_PROP
	      }
	    }
	  }
	}
	EOF
	else
	cat > "$2" <<-EOF
	connections {
	  tp {
	    local_addrs = $me
	    remote_addrs = $them
	    encap = yes
	    proposals = $IKE_PROP
	    local {
	      auth = psk
	      id = $id.tp
	    }
	    remote {
	      auth = psk
	      id = $other.tp
	    }
	    children {
	      tp {
	        local_ts = $lts
	        remote_ts = $rts
	        esp_proposals = $ESP_PROP
	      }
	    }
	  }
	}
	EOF
	fi
	cat >> "$2" <<-EOF
	secrets {
	  ike-bench {
	    secret = "$PSK"
	  }
	}
	EOF
}

start_gateway() {  # $1 = i|r  $2 = spus  $3 = label  $4 = bench|tp; sets GW_PID
	local d=$OUT/$3-$1
	mkdir -p "$d"
	gateway_conf "$1" "$d/swanctl.conf" "$4"
	rm -f "$d/ctl"
	ip netns exec "$(ns_of "$1")" "$IPSECREF" gateway --config "$d/swanctl.conf" --spus "$2" --control "$d/ctl" \
		--tun gwb0 --log-level warning --cookie-threshold 1000000 --half-open-limit 1000000 >"$d/gateway.log" 2>&1 &
	GW_PID=$!
	PIDS+=($GW_PID)
	for _ in $(seq 100); do [ -S "$d/ctl" ] && return 0; sleep 0.05; done
	echo "gateway $3-$1 did not start:" >&2; cat "$d/gateway.log" >&2; exit 2
}

# --- charon -----------------------------------------------------------------

charon_conf() {  # $1 = dir  $2 = load|tp
	if [ "$2" = load ]; then
		cat > "$1/strongswan.conf" <<-EOF
		charon {
		  load = random nonce openssl aes sha1 sha2 hmac gcm curve25519 kdf pem pkcs1 x509 pubkey load-tester kernel-netlink socket-default vici
		  threads = 16
		  install_routes = no
		  # all IKE_SA_INITs come from one address: the DoS limits lifted (loadtest.sh)
		  block_threshold = 1000000
		  cookie_threshold = 1000000
		  cookie_threshold_ip = 1000000
		  init_limit_half_open = 0
		  ikesa_table_size = 4096
		  ikesa_table_segments = 16
		  filelog { f { path = $1/charon.log
		                time_format = %T
		                default = 0
		                cfg = 1
		                ike = ${LTLOG:-0}
		                net = ${LTLOG:-0}
		                flush_line = yes } }
		  syslog { daemon { default = -1 } auth { default = -1 } }
		  plugins {
		    vici { socket = unix://$1/charon.vici }
		    load-tester {
		      enable = yes
		      fake_kernel = yes
		      initiators = 0
		      initiator = $ADDR_I
		      responder = $ADDR_R
		      initiator_auth = psk
		      responder_auth = psk
		      preshared_key = $PSK
		      proposal = $IKE_PROP
		      esp = $ESP_PROP
		    }
		  }
		}
		EOF
	else
		cat > "$1/strongswan.conf" <<-EOF
		charon {
		  load = random nonce openssl aes sha1 sha2 hmac gcm curve25519 kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
		  install_routes = yes
		  filelog { f { path = $1/charon.log
		                time_format = %T
		                default = 1
		                flush_line = yes } }
		  syslog { daemon { default = -1 } auth { default = -1 } }
		  plugins {
		    vici { socket = unix://$1/charon.vici }
		  }
		}
		EOF
	fi
}

charon_swanctl() {  # $1 = i|r  $2 = dir
	local me=$ADDR_R them=$ADDR_I lts=10.2.0.0/24 rts=10.1.0.0/24 id=srv.strongswan.org.tp other=c1.strongswan.org.tp
	[ "$1" = i ] && { me=$ADDR_I them=$ADDR_R lts=10.1.0.0/24 rts=10.2.0.0/24 id=c1.strongswan.org.tp other=srv.strongswan.org.tp; }
	mkdir -p "$2/swanctl"
	cat > "$2/swanctl/swanctl.conf" <<-EOF
	connections {
	  tp {
	    local_addrs = $me
	    remote_addrs = $them
	    proposals = $IKE_PROP
	    local {
	      auth = psk
	      id = $id
	    }
	    remote {
	      auth = psk
	      id = $other
	    }
	    children {
	      tp {
	        local_ts = $lts
	        remote_ts = $rts
	        esp_proposals = $ESP_PROP
	      }
	    }
	  }
	}
	secrets {
	  ike-tp {
	    secret = "$PSK"
	  }
	}
	EOF
}

start_charon() {  # $1 = i|r  $2 = load|tp  $3 = label; sets CH_PID
	local d=$OUT/$3-$1 pre=""
	mkdir -p "$d/run"
	charon_conf "$d" "$2"
	[ "$2" = load ] && pre=$LT
	# A private /run for charon's pid file (ip netns exec gives a private mount namespace).
	ip netns exec "$(ns_of "$1")" env STRONGSWAN_CONF="$d/strongswan.conf" \
		sh -c "mount --bind $d/run /run && LD_PRELOAD='$pre' exec $CHARON" >"$d/stdout" 2>&1 &
	CH_PID=$!
	PIDS+=($CH_PID)
	for _ in $(seq 100); do [ -S "$d/charon.vici" ] && break; sleep 0.05; done
	[ -S "$d/charon.vici" ] || { echo "charon $3-$1 did not start:" >&2; cat "$d/stdout" >&2; exit 2; }
	if [ "$2" = tp ]; then
		charon_swanctl "$1" "$d"
		SWANCTL_DIR=$d/swanctl swanctl --load-all --uri "unix://$d/charon.vici" >"$d/swanctl-load.txt" 2>&1 \
			|| { cat "$d/swanctl-load.txt" >&2; exit 2; }
	fi
}

# --- (a) and (c): handshakes --------------------------------------------------

# Runs the load against the responder $1 (process id); prints "steady all cpu_ms_per_handshake established".
run_load() {  # $1 = responder pid  $2 = label
	local before after
	before=$(cpu_seconds "$1")
	ip netns exec $NS_I "$IPSECREF" load --to $ADDR_R --count "$COUNT" --spus "$LOAD_SPUS" --psk $PSK \
		--id c1.strongswan.org --remote-id srv.strongswan.org --proposal $IKE_PROP --esp-proposal $ESP_PROP \
		--timeout 20 $([ "$DELETE" = yes ] && echo --delete) --json >"$OUT/$2.json" 2>"$OUT/$2.stderr"
	after=$(cpu_seconds "$1")
	python3 - "$OUT/$2.json" "$before" "$after" <<-'EOF'
	import json, sys
	r = json.load(open(sys.argv[1]))
	cpu = float(sys.argv[3]) - float(sys.argv[2])
	n = max(r["established"], 1)
	print(f'{r["steady_setups_per_second"]:.1f} {r["setups_per_second"]:.1f} {cpu * 1000 / n:.3f} {r["established"]} {r["retransmits"]}')
	EOF
}

handshakes() {  # $1 = gateway1|gateway2|charon  $2 = repetition
	net_up
	local label=hs-$1-$2 pid
	case $1 in
	gateway1) start_gateway r 1 "$label" bench; pid=$GW_PID ;;
	gateway2) start_gateway r 2 "$label" bench; pid=$GW_PID ;;
	charon) start_charon r load "$label"; pid=$CH_PID ;;
	esac
	echo "$1 $(run_load "$pid" "$label")" | tee -a "$OUT/handshakes.txt"
	stop_all
}

# --- (b) and (c): ESP throughput ---------------------------------------------

throughput() {  # $1 = gateway1|gateway2|charon  $2 = repetition
	net_up
	local label=esp-$1-$2 up=no
	case $1 in
	gateway*)
		local spus=${1#gateway}
		start_gateway r "$spus" "$label" tp
		start_gateway i "$spus" "$label" tp
		"$IPSECREF" ctl --socket "$OUT/$label-i/ctl" initiate tp >"$OUT/$label-initiate.txt" 2>&1
		for _ in $(seq 50); do
			"$IPSECREF" ctl --socket "$OUT/$label-i/ctl" list | grep -q INSTALLED && { up=yes; break; }
			sleep 0.1
		done ;;
	charon)
		start_charon r tp "$label"
		start_charon i tp "$label"
		timeout 30 swanctl --initiate --child tp --uri "unix://$OUT/$label-i/charon.vici" >"$OUT/$label-initiate.txt" 2>&1 \
			&& up=yes
		sleep 0.5 ;;
	esac
	if [ $up != yes ]; then
		echo "$1 tunnel not up (see $OUT/$label-*)" | tee -a "$OUT/throughput.txt"
		stop_all
		return
	fi
	ip netns exec $NS_R python3 "$HERE/udp_blast.py" recv $INNER_R 5001 $((SECONDS_ESP + 5)) >"$OUT/$label-recv.json" &
	local recv=$!
	sleep 0.3
	ip netns exec $NS_I python3 "$HERE/udp_blast.py" send $INNER_I $INNER_R 5001 1200 "$SECONDS_ESP" >"$OUT/$label-send.json"
	wait $recv
	python3 - "$1" "$OUT/$label-send.json" "$OUT/$label-recv.json" <<-'EOF' | tee -a "$OUT/throughput.txt"
	import json, sys
	s, r = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
	print(f'{sys.argv[1]} {r["mbit_per_second"]:.1f} {r["packets"]} {s["sent"]}')
	EOF
	stop_all
}

: > "$OUT/handshakes.txt"
: > "$OUT/throughput.txt"
echo "gateway_bench: COUNT=$COUNT REPEAT=$REPEAT SECONDS=$SECONDS_ESP, $(nproc) cores, output in $OUT"
for part in $PARTS; do
	case $part in
	handshakes) echo "handshakes: case steady_setups/s setups/s responder_cpu_ms/handshake established retransmissions" ;;
	throughput) echo "throughput: case payload_Mbit/s packets_received packets_sent" ;;
	*) echo "gateway_bench.sh: PARTS: handshakes and/or throughput" >&2; exit 2 ;;
	esac
	for rep in $(seq "$REPEAT"); do
		for c in ${CASES:-gateway1 charon gateway2}; do $part $c "$rep"; done
	done
done
cleanup

python3 - "$OUT/handshakes.txt" "$OUT/throughput.txt" <<'EOF'
import statistics, sys

def table(path, columns):
    rows = {}
    for line in open(path):
        f = line.split()
        if len(f) < 1 + columns or f[1] == "tunnel":
            continue
        rows.setdefault(f[0], []).append([float(x) for x in f[1:1 + columns]])
    return {k: [statistics.median(col) for col in zip(*v)] for k, v in rows.items()}

def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a"

hs = table(sys.argv[1], 3)
tp = table(sys.argv[2], 1)
print("\nmedians")
for k, (steady, rate, cpu) in sorted(hs.items()):
    print(f"  handshakes {k:9} {steady:8.1f} setups/s steady, {rate:8.1f} overall, responder {cpu:.3f} ms CPU each")
for k, (mbit,) in sorted(tp.items()):
    print(f"  ESP        {k:9} {mbit:8.1f} Mbit/s")
g1, ch, g2 = hs.get("gateway1"), hs.get("charon"), hs.get("gateway2")
if g1 and ch:
    print(f"(a) handshakes gateway/charon: steady {ratio(g1[0], ch[0])}, overall {ratio(g1[1], ch[1])}, "
          f"responder CPU per handshake charon/gateway {ratio(ch[2], g1[2])}")
if "gateway1" in tp and "charon" in tp:
    print(f"(b) ESP throughput gateway/charon-libipsec: {ratio(tp['gateway1'][0], tp['charon'][0])}")
if g1 and g2:
    print(f"(c) --spus 2 / --spus 1: handshakes steady {ratio(g2[0], g1[0])}, overall {ratio(g2[1], g1[1])}, "
          f"responder CPU per handshake {ratio(g2[2], g1[2])}"
          + (f", ESP {ratio(tp['gateway2'][0], tp['gateway1'][0])}" if "gateway2" in tp and "gateway1" in tp else ""))
EOF
