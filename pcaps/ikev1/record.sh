#!/bin/bash
# record.sh SCENARIO OUTDIR - records one IKEv1 capture between two strongSwan
# charons (Debian 12's 5.9.8) in network namespaces ipsecref-v1a (192.0.2.1)
# and ipsecref-v1b (192.0.2.2) joined by a veth pair; ESP by strongSwan's
# userspace kernel-libipsec (always ESP in UDP 4500). Scenarios:
#   main        Main Mode + Quick Mode, PSK
#   aggressive  Aggressive Mode + Quick Mode, PSK
#   xauth       Main Mode (PSK) + XAuth (generic, user/password) + Mode Config
#               (a virtual IP from b's pool) + Quick Mode
#   main-3des   Main Mode + Quick Mode, PSK, with 3DES-CBC and SHA-1 in
#               Phase 1: the 24-octet 3DES key is longer than SKEYID_e
#               (20 octets), so Ka is SKEYID_e stretched (RFC 2409
#               Appendix B)
# Writes OUTDIR/capture.pcap (the wire on a's veth), inner-cleartext.pcap
# (a's TUN), charon-a.log/charon-b.log (ike/chd level 4: SKEYID*, Ka, IVs,
# Quick Mode keys), the configurations, and ikev1_decryption_table (from a's
# log, by ikev1_keys_from_log.py). Needs root. Removes its namespaces and
# kills its own processes on any exit. Adapted from the project's peer
# recipe /work/shared/peers/strongswan-pair.sh (IKEv2).
set -u
SC=${1:?scenario: main|aggressive|xauth|main-3des}
OUT=${2:?output directory}
HERE=$(cd "$(dirname "$0")" && pwd)
RUN=$(mktemp -d /tmp/ipsecref-ikev1.XXXXXX)
CHARON=/usr/lib/ipsec/charon
PIDS=()
NSES=(ipsecref-v1a ipsecref-v1b)
log() { echo "[$(date +%T)] $*" >&2; }
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	PIDS=()
	for p in "${NSES[@]}"; do ip netns del "$p" 2>/dev/null; done
}
trap 'cleanup; rm -rf "$RUN"' EXIT
trap 'exit 130' INT TERM

AGGRESSIVE=no XAUTH=0
IKE_PROP=aes128-sha256-modp2048 ESP_PROP=aes128-sha256
case $SC in
main) ;;
main-3des) IKE_PROP=3des-sha1-modp2048 ;;
aggressive) AGGRESSIVE=yes ;;
xauth) XAUTH=1 ;;
*) log "unknown scenario $SC"; exit 2 ;;
esac

for tool in "$CHARON" /usr/sbin/swanctl /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so \
	/usr/lib/ipsec/plugins/libstrongswan-xauth-generic.so; do
	[ -e "$tool" ] || { log "$tool is missing (tools/setup.sh installs it)"; exit 1; }
done
for n in "${NSES[@]}"; do
	ip netns list | grep -qw "$n" && { log "namespace $n exists: another run?"; exit 1; }
done
ip netns add ipsecref-v1a && ip netns add ipsecref-v1b || exit 1
ip -n ipsecref-v1a link set lo up; ip -n ipsecref-v1b link set lo up
ip link add v1a netns ipsecref-v1a type veth peer name v1b netns ipsecref-v1b || exit 1
ip -n ipsecref-v1a addr add 192.0.2.1/24 dev v1a
ip -n ipsecref-v1b addr add 192.0.2.2/24 dev v1b
ip -n ipsecref-v1a link set v1a up; ip -n ipsecref-v1b link set v1b up
ip -n ipsecref-v1a addr add 198.51.100.1/32 dev lo
ip -n ipsecref-v1b addr add 203.0.113.1/32 dev lo

write_conf() {   # $1 = a|b
	local n=$1 d=$RUN/$1
	mkdir -p $d/run $d/swanctl
	cat > $d/strongswan.conf <<-EOC
	charon {
	  load = random nonce openssl aes sha1 sha2 md5 hmac kdf pem pkcs1 x509 pubkey xauth-generic kernel-libipsec kernel-netlink socket-default vici updown attr
	  install_routes = yes
	  retransmit_tries = 3
	  # Aggressive Mode with PSK exposes a hash of the PSK to offline guessing:
	  # strongSwan refuses it as a responder unless told otherwise.
	  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
	  filelog {
	    f {
	      path = $d/charon.log
	      time_format = %T
	      default = 1
	      cfg = 2
	      ike = 4
	      chd = 4
	      enc = 2
	      net = 2
	      flush_line = yes
	    }
	  }
	  syslog { daemon { default = -1 } auth { default = -1 } }
	  plugins { vici { socket = unix://$d/charon.vici } }
	}
	EOC
	local me other me_net other_net me_id other_id
	if [ $n = a ]; then
		me=192.0.2.1 other=192.0.2.2 me_net=198.51.100.1/32 other_net=203.0.113.0/24 me_id=a.pf.test other_id=b.pf.test
	else
		me=192.0.2.2 other=192.0.2.1 me_net=203.0.113.0/24 other_net=198.51.100.1/32 me_id=b.pf.test other_id=a.pf.test
	fi
	local local_ts=$me_net remote_ts=$other_net rounds="" pools="" vips="" pool_section=""
	if [ "$XAUTH" = 1 ]; then
		if [ $n = a ]; then
			local_ts=dynamic vips="vips = 0.0.0.0"
			rounds="local-xauth { auth = xauth
	                  xauth_id = alice }"
		else
			remote_ts=dynamic pools="pools = vpool"
			rounds="remote-xauth { auth = xauth }"
			pool_section="pools { vpool { addrs = 10.99.0.16/28 } }"
		fi
	fi
	cat > $d/swanctl/swanctl.conf <<-EOC
	connections {
	  t {
	    version = 1
	    aggressive = $AGGRESSIVE
	    local_addrs = $me
	    remote_addrs = $other
	    proposals = $IKE_PROP
	    rekey_time = 4h
	    dpd_delay = 0s
	    $vips
	    $pools
	    local { auth = psk
	            id = $me_id }
	    $( [ $n = a ] && echo "$rounds" )
	    remote { auth = psk
	             id = $other_id }
	    $( [ $n = b ] && echo "$rounds" )
	    children {
	      t {
	        local_ts = $local_ts
	        remote_ts = $remote_ts
	        esp_proposals = $ESP_PROP
	        mode = tunnel
	      }
	    }
	  }
	}
	$pool_section
	secrets {
	  ike-1 { id-1 = a.pf.test
	          id-2 = b.pf.test
	          secret = "pf-test-psk-0123456789" }
	  xauth-1 { id = alice
	            secret = "alice-password" }
	}
	EOC
}

start_charon() {   # $1 = a|b
	local n=$1 d=$RUN/$1
	ip netns exec ipsecref-v1$n env STRONGSWAN_CONF=$d/strongswan.conf \
		sh -c "mount --bind $d/run /run && exec $CHARON" > $d/stdout 2>&1 &
	PIDS+=($!)
	local i
	for i in $(seq 50); do [ -S $d/charon.vici ] && break; sleep 0.1; done
	[ -S $d/charon.vici ] || { log "charon $n did not come up"; cat $d/stdout >&2; return 1; }
	SWANCTL_DIR=$d/swanctl swanctl --load-all --uri unix://$d/charon.vici > $d/swanctl-load.txt 2>&1 \
		|| { cat $d/swanctl-load.txt >&2; return 1; }
}
sw() { local n=$1; shift; timeout 30 swanctl "$@" --uri unix://$RUN/$n/charon.vici; }

write_conf a; write_conf b
rm -rf "$OUT"; mkdir -p "$OUT"
ip netns exec ipsecref-v1a tcpdump -n -s 0 -U -i v1a -w "$OUT/capture.pcap" "udp port 500 or udp port 4500 or esp" \
	> $RUN/tcpdump.txt 2>&1 &
PIDS+=($!)
sleep 1
start_charon a && start_charon b || exit 1
ip netns exec ipsecref-v1a tcpdump -n -s 0 -U -i ipsec0 -w "$OUT/inner-cleartext.pcap" > $RUN/tcpdump-i.txt 2>&1 &
PIDS+=($!)
sleep 0.5
sw a --initiate --child t > "$OUT/initiate.txt" 2>&1; irc=$?
log "initiate rc=$irc"
if [ $irc = 0 ]; then
	src=198.51.100.1
	[ "$XAUTH" = 1 ] && src=$(sw a --list-sas | grep -o '10\.99\.0\.[0-9]*' | head -1)
	ip netns exec ipsecref-v1a ping -c 3 -i 0.2 -W 2 -I "$src" 203.0.113.1 > "$OUT/ping.txt" 2>&1
	log "ping from $src: $(grep 'packets transmitted' "$OUT/ping.txt")"
fi
sw a --list-sas > "$OUT/list-sas-a.txt" 2>&1
sw a --terminate --ike t > "$OUT/terminate.txt" 2>&1
sleep 1
cleanup
for n in a b; do
	cp $RUN/$n/charon.log "$OUT/charon-$n.log"
	cp $RUN/$n/swanctl/swanctl.conf "$OUT/swanctl-$n.conf"
done
/usr/bin/python3 "$HERE/ikev1_keys_from_log.py" "$OUT/charon-a.log" "$OUT/capture.pcap" > "$OUT/ikev1_decryption_table" || irc=1
/usr/bin/python3 "$HERE/ikev1_keys_from_log.py" --esp-sa "$OUT/charon-a.log" > "$OUT/esp_sa" || irc=1
cat > "$OUT/README.txt" <<-EOR
strongSwan 5.9.8 (Debian $(dpkg-query -W -f='${Version}' strongswan-charon)) <-> strongSwan, IKEv1, kernel-libipsec (userspace ESP in UDP 4500)
scenario=$SC  aggressive=$AGGRESSIVE  xauth=$XAUTH  IKE proposals=$IKE_PROP  ESP proposals=$ESP_PROP  tunnel  IPv4
a: 192.0.2.1 id a.pf.test    b: 192.0.2.2 id b.pf.test   PSK "pf-test-psk-0123456789"   XAuth user alice / "alice-password"
capture.pcap: wire on a's veth; inner-cleartext.pcap: a's TUN device ipsec0
ikev1_decryption_table: initiator cookie -> encryption key (Ka), from charon-a.log (ike level 4); esp_sa: the CHILD SA keys from the same log (chd level 4)
generated $(date -u +%FT%TZ) by pcaps/ikev1/record.sh $SC
EOR
exit $irc
