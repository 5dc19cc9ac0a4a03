#!/bin/bash
# udp_target_test.sh IPSECREF OUTDIR: the udp:ADDR[:PORT] target against an
# IUT it does not start itself. This script plays the IUT's operator: it
# starts Debian's charon in network namespace ipsecref-cfu<PID>i
# (192.0.2.2, a veth pair to ipsecref-cfu<PID>t at 192.0.2.1), writes the
# target file (the tester's connection toward charon, in swanctl.conf
# syntax, with a `conformance` section: `reset` terminates charon's IKE SAs
# before each run, `initiate` makes charon start one, both through swanctl),
# and runs
#   ipsecref conformance --target udp:192.0.2.2 --target-file FILE
# in the tester's namespace on cases of both roles: an IKE SA set up, a
# silent drop of a bad ICV, charon's retransmission of its IKE_SA_INIT
# request, and echo requests through the CHILD SA (ESP in UDP: charon's
# kernel-libipsec encapsulates). As the IUT initiates, the tester's exchange
# address (192.0.2.2) differs from its real one, so both ends see a NAT and
# move to port 4500: the run shows the target's port mapping too.
#
# Writes OUTDIR/report.txt, OUTDIR/target.conf, OUTDIR/charon.log.
# Exit: ipsecref conformance's (0 every run passed); 77 when this host
# cannot run it (not root, or no network namespaces); 1 when a program is
# missing (tools/setup.sh installs them) or charon does not come up.
set -u
[ $# = 2 ] || { echo "usage: udp_target_test.sh IPSECREF OUTDIR" >&2; exit 2; }
IPSECREF=$1 OUT=$2
CHARON=/usr/lib/ipsec/charon
[ "$(id -u)" = 0 ] || { echo "SKIP: udp_target_test.sh needs root (network namespaces, charon)" >&2; exit 77; }
ns_t=ipsecref-cfu$$t ns_i=ipsecref-cfu$$i
ip netns add "$ns_t" 2>/dev/null || { echo "SKIP: cannot make a network namespace here" >&2; exit 77; }
for program in "$CHARON" /usr/sbin/swanctl /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so; do
	[ -e "$program" ] || { ip netns del "$ns_t"; echo "FAIL: missing $program: run tools/setup.sh" >&2; exit 1; }
done
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd)
dir=$(mktemp -d /tmp/ipsecref-cfu.XXXXXX)
charon=""
cleanup() {
	if [ -n "$charon" ]; then
		kill "$charon" 2>/dev/null
		for _ in $(seq 20); do kill -0 "$charon" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$charon" 2>/dev/null
	fi
	cp "$dir/charon.log" "$OUT/charon.log" 2>/dev/null
	ip netns del "$ns_t" 2>/dev/null
	ip netns del "$ns_i" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

ip netns add "$ns_i" &&
	ip link add cf-tester netns "$ns_t" type veth peer name cf-iut netns "$ns_i" &&
	ip -n "$ns_t" addr add 192.0.2.1/24 dev cf-tester && ip -n "$ns_i" addr add 192.0.2.2/24 dev cf-iut &&
	ip -n "$ns_t" link set lo up && ip -n "$ns_i" link set lo up &&
	ip -n "$ns_t" link set cf-tester up && ip -n "$ns_i" link set cf-iut up &&
	ip -n "$ns_i" addr add 10.2.0.1/32 dev lo || fail "cannot configure the namespaces"

mkdir -p "$dir/run" "$dir/swanctl"
cat > "$dir/strongswan.conf" <<-CONF
charon {
  load = random nonce openssl aes sha1 sha2 hmac gcm kdf pem pkcs1 pkcs8 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
  install_routes = yes
  filelog {
    f {
      path = $dir/charon.log
      time_format = %T
      default = 1
      ike = 2
      flush_line = yes
    }
  }
  syslog { daemon { default = -1 } auth { default = -1 } }
  plugins { vici { socket = unix://$dir/charon.vici } }
}
swanctl { load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey }
CONF
cat > "$dir/swanctl/swanctl.conf" <<-CONF
connections {
  iut {
    version = 2
    local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    proposals = aes128gcm16-prfsha256-x25519
    rekey_time = 0
    local { auth = psk
            id = sun.example }
    remote { auth = psk
             id = moon.example }
    children {
      net { local_ts = 10.2.0.0/16
            remote_ts = 10.1.0.0/16
            esp_proposals = aes128gcm16
            rekey_time = 0 }
    }
  }
}
secrets {
  ike-iut { id-1 = sun.example
            id-2 = moon.example
            secret = "a shared secret of the test suite" }
}
CONF
# The IUT as the tester sees it.
cat > "$OUT/target.conf" <<-CONF
connections {
  charon {
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = psk
      id = moon.example
    }
    remote {
      auth = psk
      id = sun.example
    }
    children {
      net {
        local_ts = 10.1.0.0/16
        remote_ts = 10.2.0.0/16
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  ike-charon {
    id-1 = moon.example
    id-2 = sun.example
    secret = "a shared secret of the test suite"
  }
}
conformance {
  reset = "STRONGSWAN_CONF=$dir/strongswan.conf swanctl --terminate --ike iut --force --uri unix://$dir/charon.vici"
  initiate = "STRONGSWAN_CONF=$dir/strongswan.conf swanctl --initiate --ike iut --child net --uri unix://$dir/charon.vici"
  features = fragmentation, esp-dataplane
}
CONF

ip netns exec "$ns_i" env STRONGSWAN_CONF="$dir/strongswan.conf" \
	sh -c "mount --bind '$dir/run' /run && exec $CHARON" > "$dir/charon.stdout" 2>&1 &
charon=$!
for _ in $(seq 50); do [ -S "$dir/charon.vici" ] && break; sleep 0.1; done
[ -S "$dir/charon.vici" ] || fail "charon did not come up: $(cat "$dir/charon.stdout")"
SWANCTL_DIR=$dir/swanctl STRONGSWAN_CONF=$dir/strongswan.conf swanctl --load-all --uri "unix://$dir/charon.vici" \
	> "$dir/load.txt" 2>&1 || fail "swanctl --load-all: $(tail -3 "$dir/load.txt")"

start=$(date +%s)
ip netns exec "$ns_t" "$IPSECREF" conformance --target udp:192.0.2.2 --target-file "$OUT/target.conf" \
	--cases 'INIT-BASIC-01,INIT-ICV-01,INIT-RETX-01,ESP-01' -v > "$OUT/report.txt" 2>&1
rc=$?
echo "ipsecref conformance --target udp:192.0.2.2: exit $rc, $(( $(date +%s) - start )) s; report in $OUT/report.txt"
sed -n '/^group /,$p' "$OUT/report.txt"
[ $rc = 0 ] || grep -E '^(fail|inconclusive|unexpected)|FAILED|observed' "$OUT/report.txt" | head -20
exit $rc
