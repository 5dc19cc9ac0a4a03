#!/bin/bash
# strongswan_gateway.sh IPSECREF OUTDIR RUN...: `ipsecref gateway` against a
# live strongSwan, in both roles (interop/gateway/README.md).
#
# A RUN is ROLE-PROPOSAL-AUTH:
#   ROLE      responder (ipsecref answers, charon initiates),
#             initiator (ipsecref initiates, `ipsecref ctl initiate`) or
#             roadwarrior (ipsecref answers a charon that asks for a virtual
#             IP: charon `vips = 0.0.0.0`, local_ts = dynamic; the gateway
#             from %any with `pools = rw` (RW_POOL, DNS server RW_DNS) and
#             remote_ts = dynamic; charon's inner address is then the
#             virtual IP, RW_VIP, and step 1 also checks that charon
#             installed it, parsed a CFG_REPLY with an address and a DNS
#             server, and lists its CHILD SA for the virtual IP. charon has
#             no DNS handler loaded (its resolve plugin would rewrite the
#             machine's resolv.conf), so its one line "handling
#             INTERNAL_IP4_DNS attribute failed" is expected and not counted
#             by step 10)
#   PROPOSAL  gcm     IKE aes128gcm16-prfsha256-x25519         ESP aes128gcm16
#             cbc     IKE aes256-sha256-modp3072               ESP aes256-sha256
#             chacha  IKE chacha20poly1305-prfsha256-ecp256    ESP chacha20poly1305
#             sha1    IKE aes128-sha1-modp2048                 ESP aes128-sha1
#   AUTH      psk, ecdsa (P-256 certificates) or rsa (RSA 2048 certificates);
#             the certificates (a CA and one end-entity certificate per side,
#             the IDs as subjectAltNames) are made at test time with `pki`.
#             Or charon authenticates with EAP (RFC 7296 §2.16; the gateway
#             with the PSK): mschapv2, gtc or md5 (charon's eap-mschapv2,
#             eap-gtc, eap-md5 plugins; EAP identity carol, asked with
#             EAP-Identity, password EAP_PASSWORD); or totp: two rounds
#             (RFC 4739), the PSK, then EAP-GTC whose answer is carol's
#             current TOTP code (RFC 6238, SHA-1, 6 digits, 30 s; the
#             gateway's totp-carol secret TOTP_KEY; the code is computed for
#             charon at test time with Python's hmac, not by ipsecref). Step
#             1 then also checks charon's log: the EAP method succeeded and
#             (totp) both rounds were made.
#
# Each run: Debian's charon 5.9.8 (kernel-libipsec: userspace ESP, tunnel
# mode, always in UDP 4500; configured with swanctl over vici) in network
# namespace ipsecref-gws-PID-N (192.0.2.1, inner 198.51.100.1 on lo) and
# `ipsecref gateway` in ipsecref-gwg-PID-N (192.0.2.2, inner 203.0.113.1 on
# lo), joined by a veth pair that tcpdump records. In order, each step
# checked (the run stops at the first that fails):
#   1. IKE SA up: both ends list one ESTABLISHED IKE SA and one INSTALLED
#      CHILD SA with the same SPIs;
#   2. pings through the tunnel both ways (ping -I the inner addresses, 3 each
#      way, every one answered within 2 s);
#   3. CHILD rekey from charon, then from ipsecref, each followed by pings;
#   4. IKE rekey from charon, then from ipsecref, each followed by pings;
#   5. liveness: `ipsecref ctl liveness IKE-n` (charon answers an empty
#      INFORMATIONAL request) and charon's own DPD (dpd_delay, the gateway answers);
#   6. forced UDP encapsulation (encap = yes on both ends): both ends list
#      the CHILD SA as UDP-encapsulated (checked with step 1), charon saw the
#      gateway's faked NAT detection ("remote host is behind NAT"), and after
#      the run the capture holds ESP only in UDP 4500, none raw;
#   7. delete: charon deletes (gcm, chacha) or ipsecref does (cbc, sha1), so
#      each role sees both; both ends end with no SA;
#   then the live tunnel map (`ipsecref tunnel-map --gateway`) is printed,
#   and the run passes only if also (each of 8-10 judged, all failures named)
#   8. `ipsecref check capture.pcap --keys keys` exits 0 (PASS);
#   9. tshark (Wireshark 4.0) decrypts every IKE message with an Encrypted
#      payload (integrity checksum correct) and every ESP packet (ICV good)
#      with the gateway's key files. Exception: Wireshark 4.0 decrypts
#      neither ChaCha20-Poly1305 ESP nor ChaCha20-Poly1305 IKEv2: for chacha
#      runs tshark only counts the packets (`ipsecref check` judges them);
#  10. no charon log line at level 0 or 1 reports an error (ERROR_PATTERN
#      below, nothing ignored), and no gateway log line is at level error.
#
# Output per run in OUTDIR/RUN/: capture.pcap, keys/ (the gateway's
# --keys-out: esp_sa, ikev2_decryption_table, keys.json), charon.log,
# gateway.log, swanctl-charon.conf, swanctl-gateway.conf, list-NN-STEP.txt
# (both ends' listings after each step), ping.txt, tunnel-map.txt, check.txt,
# tshark.txt, result.txt. Prints per run `PASS RUN (N s)` or `FAIL RUN: step: why`.
# Exit 0 when every run passes, 1 when one fails, 2 on bad usage.
#
# GATEWAY_INTEROP_FAULT breaks one setting on purpose, to show the checks fail:
#   wrong-psk  the gateway's PSK differs from charon's: step 1 must fail
#   no-keys    the gateway's key files are removed before step 8: it must fail
#   wrong-key  one digit of the first ESP key in the gateway's key files is
#              changed before step 8: its packets must fail to verify
#   no-pool    (roadwarrior) the gateway's connection names no pool: it
#              answers INTERNAL_ADDRESS_FAILURE and step 1 must fail
#   wrong-password  (mschapv2, gtc, md5) charon's EAP password differs from
#              the gateway's: EAP Failure, step 1 must fail
#   totp-wrong     (totp) charon answers a code with one digit changed
#   totp-late      (totp) charon answers the code of 3 steps (90 s) ago,
#                  outside the gateway's window of one step back
#   totp-replayed  (totp) charon connects once with the code, disconnects,
#                  and connects again with the same code
#              each of the three: EAP Failure, step 1 must fail
# Fails (never skips) when a program is missing: tools/setup.sh installs them.
# Needs root. Creates and removes its own namespaces and kills only its own
# processes, on every path.
set -u
usage() { echo "usage: strongswan_gateway.sh IPSECREF OUTDIR ROLE-PROPOSAL-AUTH..." >&2; exit 2; }
[ $# -ge 3 ] || usage
IPSECREF=$1 OUTDIR=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
CHARON=/usr/lib/ipsec/charon
FAULT=${GATEWAY_INTEROP_FAULT:-}
case $FAULT in "" | wrong-psk | no-keys | wrong-key | no-pool | wrong-password | totp-wrong | totp-late | totp-replayed) ;;
*) echo "GATEWAY_INTEROP_FAULT=$FAULT: wrong-psk, no-keys, wrong-key, no-pool, wrong-password, totp-wrong, totp-late or totp-replayed" >&2; exit 2 ;; esac
S=192.0.2.1 G=192.0.2.2
S_IN=198.51.100.1 S_NET=198.51.100.0/24 G_IN=203.0.113.1 G_NET=203.0.113.0/24
S_ID=ss.interop.test G_ID=gw.interop.test
RW_POOL=10.3.0.0/24 RW_VIP=10.3.0.1 RW_DNS=10.1.0.53
PSK="ipsecref-gateway-interop-psk-0123456789"
EAP_ID=carol EAP_PASSWORD="carol's EAP password 42"
# RFC 6238 Appendix B's SHA-1 key, "12345678901234567890", in base32 (RFC 4648).
TOTP_KEY=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
PINGS=3
WAIT=15  # seconds a step may take to show its result on both ends

# -- what counts as an error in charon's log -----------------------------------
# Lines at level 0 or 1 (filelog log_level = yes: "[IKE1]") that say one of
# these: a failure, an error (also "received X notify error"), an invalid
# message, no proposal, a retransmission or giving up, a received error
# Notify (charon's short names of the error types < 16384, as in "parsed ...
# [ N(AUTH_FAILED) ]": notify_type_short_names in strongSwan's
# src/libcharon/encoding/payloads/notify_payload.c), an unacceptable or
# unknown peer input, a peer found dead, a timeout.
ERROR_PATTERN='fail|error|invalid|no proposal|retransmit|giving up|unable|not acceptable|unacceptable|refused|mismatch|unknown|dead|timed out|timeout|N\((CRIT|INVAL_[A-Z_]+|ATTR_UNSUP|NO_PROP|PLD_MAL|CERT_UNSUP|AUTH_FAILED|SINGLE_PAIR|NO_ADD_SAS|INT_ADDR_FAIL|FAIL_CP_REQ|TS_UNACCEPT|UNACCEPT_ADDR|UNEXPECT_NAT|TEMP_FAIL|NO_CHILD_SA)\)'
# Nothing is ignored: in the 24 combinations no level-0/1 line matched. Lines
# at level 2 and above are never errors: they describe each step (e.g.
# "[CFG2] dpd_timeout = 0" while a connection is loaded).

log() { echo "[$(date +%T)] $*" >&2; }

missing=""
for tool in "$CHARON" /usr/sbin/swanctl /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so; do
	[ -e "$tool" ] || missing="$missing $tool (strongswan-charon, strongswan-swanctl, libcharon-extra-plugins)"
done
for program in ip tcpdump tshark ping pki timeout mount /usr/bin/python3; do
	command -v "$program" >/dev/null || missing="$missing $program"
done
[ -z "$missing" ] || { echo "FAIL: missing:$missing: run tools/setup.sh" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (network namespaces)" >&2; exit 1; }
[ -x "$IPSECREF" ] || { echo "FAIL: no ipsecref at $IPSECREF" >&2; exit 1; }
mkdir -p "$OUTDIR" || exit 2
OUTDIR=$(cd "$OUTDIR" && pwd)
TMP=$(mktemp -d /tmp/ipsecref-gwinterop.XXXXXX)
RUN_PID=""
trap 'rm -rf "$TMP"' EXIT
# A signal reaches the run in progress too (it runs in the background, so the
# trap fires at once), which stops what it started before this shell exits.
trap '[ -n "$RUN_PID" ] && { kill -TERM "$RUN_PID" 2>/dev/null; wait "$RUN_PID"; }; exit 130' INT TERM

# -- certificates: one CA and one end-entity certificate per side and type ------
make_pki() {  # TYPE (ecdsa|rsa): $TMP/pki/TYPE/{ca.crt,ss.crt,ss.key,gw.crt,gw.key}
	local type=$1 size=256 d=$TMP/pki/$1 side
	[ -f "$d/gw.crt" ] && return 0
	[ "$type" = rsa ] && size=2048
	mkdir -p "$d"
	# (pki names on stderr every plugin Debian does not ship: kept in pki.log)
	exec 3>&2 2>> "$d/pki.log"
	pki --gen --type "$type" --size $size --outform pem > "$d/ca.key" &&
		pki --self --ca --lifetime 30 --in "$d/ca.key" --type "$type" \
			--dn "C=XX, O=ipsecref interop, CN=ipsecref interop $type CA" --outform pem > "$d/ca.crt" ||
		{ exec 2>&3 3>&-; return 1; }
	for side in ss gw; do
		local id=$S_ID
		[ $side = gw ] && id=$G_ID
		pki --gen --type "$type" --size $size --outform pem > "$d/$side.key" &&
			pki --pub --in "$d/$side.key" --type "$type" |
			pki --issue --lifetime 7 --cacert "$d/ca.crt" --cakey "$d/ca.key" \
				--dn "C=XX, O=ipsecref interop, CN=$id" --san "$id" --outform pem > "$d/$side.crt" ||
			{ exec 2>&3 3>&-; return 1; }
	done
	exec 2>&3 3>&-
}

# -- TOTP (RFC 6238 §4, RFC 4226 §5.3): the 6-digit SHA-1 code of a base32 key at a
# Unix time, computed with Python's own hmac, independent of ipsecref ---------
totp_code() {  # BASE32-KEY UNIX-TIME
	/usr/bin/python3 -c '
import base64, hashlib, hmac, struct, sys
key = base64.b32decode(sys.argv[1])
mac = hmac.new(key, struct.pack(">Q", int(sys.argv[2]) // 30), hashlib.sha1).digest()
offset = mac[-1] & 0x0F
print("%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**6))' "$1" "$2"
}

# -- one run --------------------------------------------------------------------
# Runs in a subshell: `fail` exits it, and its EXIT trap stops what it started.
run_one() {  # RUN INDEX
	local run=$1 n=$2
	local role proposal auth
	IFS=- read -r role proposal auth <<< "$run"
	local ike_prop esp_prop deleter
	case $proposal in
	gcm)    ike_prop=aes128gcm16-prfsha256-x25519 esp_prop=aes128gcm16 deleter=charon ;;
	cbc)    ike_prop=aes256-sha256-modp3072 esp_prop=aes256-sha256 deleter=gateway ;;
	chacha) ike_prop=chacha20poly1305-prfsha256-ecp256 esp_prop=chacha20poly1305 deleter=charon ;;
	sha1)   ike_prop=aes128-sha1-modp2048 esp_prop=aes128-sha1 deleter=gateway ;;
	*) echo "FAIL $run: unknown proposal '$proposal' (gcm, cbc, chacha, sha1)"; return 2 ;;
	esac
	case $role in responder | initiator | roadwarrior) ;; *) echo "FAIL $run: unknown role '$role' (responder, initiator, roadwarrior)"; return 2 ;; esac
	# charon's inner address and selectors, and the gateway's view of them
	local s_in=$S_IN s_ts=$S_NET vips_s="" g_remote_addrs=$S g_remote_ts=$S_NET pools_g=""
	if [ "$role" = roadwarrior ]; then
		s_in=$RW_VIP s_ts=dynamic vips_s="vips = 0.0.0.0" g_remote_addrs=%any g_remote_ts=dynamic pools_g="pools = rw"
		[ "$FAULT" = no-pool ] && pools_g=""
	fi
	case $auth in psk | ecdsa | rsa | mschapv2 | gtc | md5 | totp) ;; *) echo "FAIL $run: unknown auth '$auth' (psk, ecdsa, rsa, mschapv2, gtc, md5, totp)"; return 2 ;; esac

	local out=$OUTDIR/$run tmp=$TMP/$run
	local ns_s=ipsecref-gws-$$-$n ns_g=ipsecref-gwg-$$-$n veth_s=gis$$x$n veth_g=gig$$x$n
	local ss=$tmp/ss gw=$out/gateway sock=$tmp/gateway.sock vici=unix://$tmp/ss/charon.vici
	local pids=() step=setup gw_pid="" tcpdump_pid=""
	rm -rf "$out" "$tmp"
	mkdir -p "$out" "$ss/run" "$ss/swanctl/x509" "$ss/swanctl/x509ca" "$ss/swanctl/private" \
		"$gw/x509" "$gw/x509ca" "$gw/private" "$out/keys"

	stop_all() {
		local p
		for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
		for p in "${pids[@]}"; do
			for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
			kill -9 "$p" 2>/dev/null
		done
		pids=()
		ip netns del "$ns_s" 2>/dev/null
		ip netns del "$ns_g" 2>/dev/null
	}
	trap stop_all EXIT
	trap 'exit 130' INT TERM
	charon_errors() {  # the charon log lines that count as errors (step 10)
		grep -E '\[[A-Z]{3}[01]\]' "$out/charon.log" 2>/dev/null | grep -iE "$ERROR_PATTERN" |
			{ if [ "$role" = roadwarrior ]; then grep -v 'handling INTERNAL_IP4_DNS attribute failed'; else cat; fi; }
	}
	fail() {  # WHY: the run fails; the first errors either end logged tell why
		local said
		said=$(charon_errors | head -2 | cut -c10- | tr '\n' ' ')
		[ -n "$said" ] && set -- "$@" "(charon: $said)"
		said=$(grep -E '^[^ ]+ (error|warning) |failed' "$out/gateway.log" 2>/dev/null | head -1 | cut -d' ' -f2-)
		[ -n "$said" ] && set -- "$@" "(gateway: $said)"
		if [ -n "$gw_pid" ] && ! kill -0 "$gw_pid" 2>/dev/null; then
			wait "$gw_pid"
			set -- "$@" "(the gateway has exited, status $?: $(tail -1 "$out/gateway.log"))"
		fi
		echo "FAIL $run: $step: $*" | tee "$out/result.txt"
		exit 1
	}
	sw() { STRONGSWAN_CONF=$ss/strongswan.conf timeout 30 swanctl "$@" --uri "$vici"; }
	ctl() { timeout 30 "$IPSECREF" ctl --socket "$sock" "$@"; }

	# listings of both ends, kept per step; `agree` compares them
	local listing=0
	snapshot() {  # STEP-NAME: $tmp/ss.txt, $tmp/gw.json and copies in $out
		listing=$((listing + 1))
		sw --list-sas > "$tmp/ss.txt" 2> "$tmp/ss.err"
		ctl list --json > "$tmp/gw.json" 2> "$tmp/gw.err"
		{ echo "== charon (swanctl --list-sas)"; cat "$tmp/ss.txt" "$tmp/ss.err"
		  echo "== gateway (ipsecref ctl list --json)"; cat "$tmp/gw.json" "$tmp/gw.err"; } > "$out/list-$(printf %02d $listing)-$1.txt"
	}
	AGREED=""
	wait_agree() {  # STEP-NAME FIELD OLD: until both ends agree and field FIELD (1-based) of the agreement differs from OLD
		local i why
		for i in $(seq $((WAIT * 4))); do
			sw --list-sas > "$tmp/ss.txt" 2> "$tmp/ss.err"
			ctl list --json > "$tmp/gw.json" 2> "$tmp/gw.err"
			if AGREED=$(/usr/bin/python3 "$HERE/sa_view.py" agree "$tmp/ss.txt" "$tmp/gw.json"); then
				if [ -z "${2:-}" ] || [ "$(echo "$AGREED" | cut -d' ' -f"$2")" != "$3" ]; then
					snapshot "$1"
					return 0
				fi
				why="field $2 still $3 ($AGREED)"
			else
				why=$AGREED
			fi
			sleep 0.25
		done
		snapshot "$1"
		fail "the ends do not agree after ${WAIT}s: $why"
	}
	field() { echo "$AGREED" | cut -d' ' -f"$1"; }
	pings() {  # LABEL
		local from
		for from in charon gateway; do
			local ns=$ns_s src=$s_in dst=$G_IN
			[ $from = gateway ] && ns=$ns_g src=$G_IN dst=$s_in
			echo "== $1: from $from $src -> $dst" >> "$out/ping.txt"
			# one ping per call: with -c N ping waits only twice the largest
			# round trip for the last reply, so a charon slowed by a busy
			# machine looked like loss; alone, each reply has -W 2 seconds
			local k
			for k in $(seq $PINGS); do
				ip netns exec "$ns" ping -n -c 1 -W 2 -I $src $dst >> "$out/ping.txt" 2>&1 ||
					fail "ping $k of $PINGS, $src -> $dst (from $from): no reply within 2 s"
			done
		done
	}
	charon_mark() { wc -l < "$out/charon.log"; }
	charon_since() { tail -n +$(($1 + 1)) "$out/charon.log"; }

	# -- network ----------------------------------------------------------
	ip netns add "$ns_s" && ip netns add "$ns_g" || fail "cannot create network namespaces"
	ip link add "$veth_s" netns "$ns_s" type veth peer name "$veth_g" netns "$ns_g" || fail "cannot create the veth pair"
	ip -n "$ns_s" addr add $S/24 dev "$veth_s" && ip -n "$ns_g" addr add $G/24 dev "$veth_g" &&
		ip -n "$ns_s" link set lo up && ip -n "$ns_g" link set lo up &&
		ip -n "$ns_s" link set "$veth_s" up && ip -n "$ns_g" link set "$veth_g" up &&
		ip -n "$ns_s" addr add $S_IN/32 dev lo && ip -n "$ns_g" addr add $G_IN/32 dev lo ||
		fail "cannot configure the namespaces"

	# -- configuration ----------------------------------------------------
	local auth_s=psk certs_s="" certs_g="" cacerts_g=""
	# EAP: charon's own authentication (local) and the gateway's demand of
	# it (remote), the gateway itself authenticating with the PSK.
	local local_s="auth = psk" remote_g="auth = psk" round2_s="" round2_g="" eap_secret_s="" eap_secret_g=""
	case $auth in
	mschapv2 | gtc | md5)
		local_s="auth = eap-$auth
	      eap_id = $EAP_ID"
		remote_g="auth = eap-$auth
	      eap_id = %any"
		local password=$EAP_PASSWORD
		[ "$FAULT" = wrong-password ] && password="not $EAP_PASSWORD"
		eap_secret_s="eap-carol { id = $EAP_ID
	    secret = \"$password\" }"
		eap_secret_g="eap-carol { id = $EAP_ID
	    secret = \"$EAP_PASSWORD\" }" ;;
	totp)
		round2_s="local-2 { auth = eap-gtc
	      eap_id = $EAP_ID }"
		round2_g="remote-2 { auth = eap-gtc
	      eap_id = %any }"
		local at=$(date +%s)
		[ "$FAULT" = totp-late ] && at=$((at - 90))
		local code
		code=$(totp_code "$TOTP_KEY" "$at") || fail "cannot compute the TOTP code"
		[ "$FAULT" = totp-wrong ] && code=$(echo "$code" | tr 0123456789 1234567890)
		eap_secret_s="eap-carol { id = $EAP_ID
	    secret = $code }"
		eap_secret_g="totp-carol { id = $EAP_ID
	    secret = $TOTP_KEY
	    window = 1 }" ;;
	esac
	if [ "$auth" = ecdsa ] || [ "$auth" = rsa ]; then
		make_pki "$auth" || fail "pki could not make the $auth certificates"
		local d=$TMP/pki/$auth
		cp "$d/ca.crt" "$ss/swanctl/x509ca/ca.crt" && cp "$d/ss.crt" "$ss/swanctl/x509/ss.crt" &&
			cp "$d/ss.key" "$ss/swanctl/private/ss.key" &&
			cp "$d/ca.crt" "$gw/x509ca/ca.crt" && cp "$d/gw.crt" "$gw/x509/gw.crt" &&
			cp "$d/gw.key" "$gw/private/gw.key" || fail "cannot place the certificates"
		auth_s=pubkey
		certs_s="certs = ss.crt"
		certs_g="certs = gw.crt"
		cacerts_g="cacerts = ca.crt"
	fi
	local gw_psk=$PSK
	[ "$FAULT" = wrong-psk ] && gw_psk="not-$PSK"
	cat > "$ss/strongswan.conf" <<-EOF
	charon {
	  load = random nonce openssl aes sha1 sha2 hmac gcm kdf pem pkcs1 pkcs8 x509 pubkey constraints kernel-libipsec kernel-netlink socket-default vici eap-identity eap-mschapv2 eap-md5 eap-gtc
	  install_routes = yes
	  retransmit_tries = 2
	  retransmit_timeout = 2
	  filelog {
	    f {
	      path = $out/charon.log
	      append = no
	      time_format = %T
	      log_level = yes
	      default = 1
	      ike = 2
	      cfg = 2
	      chd = 2
	      net = 1
	      enc = 1
	      flush_line = yes
	    }
	  }
	  syslog { daemon { default = -1 } auth { default = -1 } }
	  plugins { vici { socket = $vici } }
	}
	# swanctl's own plugins (without this list it names on stderr every one Debian does not ship)
	swanctl { load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey }
	EOF
	cat > "$ss/swanctl/swanctl.conf" <<-EOF
	connections {
	  gw {
	    version = 2
	    local_addrs = $S
	    remote_addrs = $G
	    proposals = $ike_prop
	    encap = yes
	    dpd_delay = 3s
	    $vips_s
	    local {
	      $([ "$auth_s" = psk ] && echo "$local_s" || echo "auth = $auth_s")
	      id = $S_ID
	      $certs_s
	    }
	    $round2_s
	    remote {
	      auth = $auth_s
	      id = $G_ID
	    }
	    children {
	      net {
	        local_ts = $s_ts
	        remote_ts = $G_NET
	        esp_proposals = $esp_prop
	      }
	    }
	  }
	}
	secrets {
	  ike-gw {
	    id-1 = $S_ID
	    id-2 = $G_ID
	    secret = "$PSK"
	  }
	  $eap_secret_s
	}
	EOF
	cat > "$gw/swanctl.conf" <<-EOF
	pools {
	  rw {
	    addrs = $RW_POOL
	    dns = $RW_DNS
	  }
	}
	connections {
	  ss {
	    local_addrs = $G
	    remote_addrs = $g_remote_addrs
	    proposals = $ike_prop
	    encap = yes
	    $pools_g
	    local {
	      auth = $auth_s
	      id = $G_ID
	      $certs_g
	    }
	    remote {
	      $([ "$auth_s" = psk ] && echo "$remote_g" || echo "auth = $auth_s")
	      id = $S_ID
	      $cacerts_g
	    }
	    $round2_g
	    children {
	      net {
	        local_ts = $G_NET
	        remote_ts = $g_remote_ts
	        esp_proposals = $esp_prop
	        start_action = none
	      }
	    }
	  }
	}
	secrets {
	  ike-ss {
	    id-1 = $G_ID
	    id-2 = $S_ID
	    secret = "$gw_psk"
	  }
	  $eap_secret_g
	EOF
	[ "$auth_s" != psk ] && printf '  private-gw {\n    file = gw.key\n  }\n' >> "$gw/swanctl.conf"
	echo "}" >> "$gw/swanctl.conf"
	cp "$ss/swanctl/swanctl.conf" "$out/swanctl-charon.conf"
	cp "$gw/swanctl.conf" "$out/swanctl-gateway.conf"

	# -- start: capture, gateway, charon ----------------------------------
	ip netns exec "$ns_s" tcpdump --immediate-mode -n -s 0 -U -i "$veth_s" -w "$out/capture.pcap" \
		"udp port 500 or udp port 4500 or esp or ah" > "$tmp/tcpdump.txt" 2>&1 &
	tcpdump_pid=$!
	pids+=($tcpdump_pid)
	for _ in $(seq 50); do grep -q listening "$tmp/tcpdump.txt" 2>/dev/null && break; sleep 0.1; done
	grep -q listening "$tmp/tcpdump.txt" || fail "tcpdump did not start: $(cat "$tmp/tcpdump.txt")"

	ip netns exec "$ns_g" "$IPSECREF" gateway --config "$gw/swanctl.conf" --control "$sock" \
		--keys-out "$out/keys" --log-level debug --tun ipsecref0 2> "$out/gateway.log" &
	gw_pid=$!
	pids+=($gw_pid)
	for _ in $(seq 50); do [ -S "$sock" ] && break; kill -0 $gw_pid 2>/dev/null || break; sleep 0.1; done
	[ -S "$sock" ] || fail "the gateway did not come up: $(tail -5 "$out/gateway.log")"

	# charon.pid is fixed under /run: a private /run per charon (ip netns exec
	# gives a private mount namespace); `exec` keeps the PID charon's.
	ip netns exec "$ns_s" env STRONGSWAN_CONF="$ss/strongswan.conf" \
		sh -c "mount --bind '$ss/run' /run && exec $CHARON" > "$tmp/charon.stdout" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do [ -S "$ss/charon.vici" ] && break; sleep 0.1; done
	[ -S "$ss/charon.vici" ] || fail "charon did not come up: $(cat "$tmp/charon.stdout")"
	SWANCTL_DIR=$ss/swanctl sw --load-all > "$out/swanctl-load.txt" 2>&1 ||
		fail "swanctl --load-all: $(tail -3 "$out/swanctl-load.txt")"

	if [ "$FAULT" = totp-replayed ]; then
		# The code is used once, then the same code again in step 1.
		step="first connection with the code"
		sw --initiate --child net > "$out/initiate-first.txt" 2>&1 || fail "swanctl --initiate failed"
		wait_agree established-first
		sw --terminate --ike gw > "$out/terminate-first.txt" 2>&1 || fail "swanctl --terminate failed"
		for _ in $(seq $((WAIT * 4))); do
			sw --list-sas 2>/dev/null | grep -q ESTABLISHED || break
			sleep 0.25
		done
		log "GATEWAY_INTEROP_FAULT=totp-replayed: connected once with the code, now again with the same"
	fi

	# -- 1. IKE SA up -----------------------------------------------------
	step="IKE SA up"
	log "$run: $role, IKE $ike_prop, ESP $esp_prop, $auth"
	if [ "$role" != initiator ]; then
		sw --initiate --child net > "$out/initiate.txt" 2>&1 ||
			{ snapshot initiate; fail "swanctl --initiate failed"; }
	else
		ctl initiate ss net > "$out/initiate.txt" 2>&1 || { snapshot initiate; fail "ipsecref ctl initiate ss net: $(cat "$out/initiate.txt")"; }
	fi
	wait_agree established
	if [ "$role" = roadwarrior ]; then
		# RFC 7296 §2.19: the address and the DNS server of the gateway's CFG_REPLY.
		grep -q "installing new virtual IP $RW_VIP" "$out/charon.log" ||
			fail "charon installed no virtual IP $RW_VIP (its log: $(grep -i 'virtual IP' "$out/charon.log" | head -2 | cut -c10- | tr '\n' ' '))"
		grep -qE 'parsed IKE_AUTH response .*CPRP\(ADDR DNS\)' "$out/charon.log" ||
			fail "charon parsed no CFG_REPLY with an address and a DNS server (CPRP(ADDR DNS))"
		grep -q 'processing INTERNAL_IP4_DNS attribute' "$out/charon.log" ||
			fail "charon did not process the INTERNAL_IP4_DNS attribute"
		grep -q "$RW_VIP/32" "$tmp/ss.txt" || fail "charon's CHILD SA is not for its virtual IP $RW_VIP/32"
	fi
	case $auth in
	mschapv2 | gtc | md5)
		# RFC 7296 §2.16: the method ran and succeeded (MSCHAPv2 with an MSK).
		local method=$(echo "$auth" | tr a-z A-Z) with="no MSK"
		[ "$auth" = mschapv2 ] && with="MSK"
		grep -qE "EAP method EAP_$method succeeded, $with established" "$out/charon.log" ||
			fail "charon logged no 'EAP method EAP_$method succeeded, $with established'" ;;
	totp)
		# RFC 4739: the PSK round, then EAP-GTC (no MSK) with the code.
		grep -q "authentication of '$G_ID' with pre-shared key successful" "$out/charon.log" ||
			fail "charon did not authenticate the gateway with the PSK"
		grep -qE "EAP method EAP_GTC succeeded, no MSK established" "$out/charon.log" ||
			fail "charon logged no 'EAP method EAP_GTC succeeded' (the second round)" ;;
	esac
	local encap_s encap_g
	encap_s=$(field 7) encap_g=$(field 8)

	# -- 2. pings -----------------------------------------------------------
	step="pings"
	pings "after IKE_AUTH"

	# -- 3. CHILD rekeys ----------------------------------------------------
	step="CHILD rekey from charon"
	local old
	old=$(field 5)
	sw --rekey --child net > "$out/rekey-child-charon.txt" 2>&1 || fail "swanctl --rekey --child: $(cat "$out/rekey-child-charon.txt")"
	wait_agree child-rekeyed-by-charon 5 "$old"
	pings "after the CHILD rekey from charon"
	step="CHILD rekey from ipsecref"
	old=$(field 5)
	ctl rekey "$(field 2)" > "$out/rekey-child-gateway.txt" 2>&1 || fail "ipsecref ctl rekey $(field 2): $(cat "$out/rekey-child-gateway.txt")"
	wait_agree child-rekeyed-by-gateway 5 "$old"
	pings "after the CHILD rekey from ipsecref"

	# -- 4. IKE rekeys ------------------------------------------------------
	step="IKE rekey from charon"
	old=$(field 3)
	sw --rekey --ike gw > "$out/rekey-ike-charon.txt" 2>&1 || fail "swanctl --rekey --ike: $(cat "$out/rekey-ike-charon.txt")"
	wait_agree ike-rekeyed-by-charon 3 "$old"
	pings "after the IKE rekey from charon"
	step="IKE rekey from ipsecref"
	old=$(field 3)
	ctl rekey "$(field 1)" > "$out/rekey-ike-gateway.txt" 2>&1 || fail "ipsecref ctl rekey $(field 1): $(cat "$out/rekey-ike-gateway.txt")"
	wait_agree ike-rekeyed-by-gateway 3 "$old"
	pings "after the IKE rekey from ipsecref"

	# -- 5. liveness ----------------------------------------------------------
	step="liveness from ipsecref"
	local mark i
	mark=$(charon_mark)
	ctl liveness "$(field 1)" > "$out/liveness-gateway.txt" 2>&1 || fail "ipsecref ctl liveness $(field 1): $(cat "$out/liveness-gateway.txt")"
	for i in $(seq $((WAIT * 4))); do
		charon_since "$mark" | grep -qE 'generating INFORMATIONAL response [0-9]+ \[ \]' && break
		sleep 0.25
	done
	charon_since "$mark" | grep -qE 'parsed INFORMATIONAL request [0-9]+ \[ \]' ||
		fail "charon saw no empty INFORMATIONAL request within ${WAIT}s"
	charon_since "$mark" | grep -qE 'generating INFORMATIONAL response [0-9]+ \[ \]' ||
		fail "charon did not answer the empty INFORMATIONAL request"
	step="liveness from charon (dpd_delay)"
	mark=$(charon_mark)
	for i in $(seq $((WAIT * 4))); do
		charon_since "$mark" | grep -A50 'sending DPD request' | grep -qE 'parsed INFORMATIONAL response [0-9]+ \[ \]' && break
		sleep 0.25
	done
	charon_since "$mark" | grep -A50 'sending DPD request' | grep -qE 'parsed INFORMATIONAL response [0-9]+ \[ \]' ||
		fail "no DPD request of charon answered within ${WAIT}s"
	wait_agree after-liveness

	# -- 6. forced UDP encapsulation (the capture is checked after the run) --
	step="forced UDP encapsulation"
	[ "$(field 7)" = udp ] && [ "$(field 8)" = udp ] && [ "$encap_s" = udp ] && [ "$encap_g" = udp ] ||
		fail "the CHILD SA is not UDP-encapsulated on both ends (charon $encap_s/$(field 7), gateway $encap_g/$(field 8))"
	# The gateway's own encap = yes: its NAT_DETECTION_SOURCE_IP does not match
	# (RFC 7296 §2.23), so charon sees the gateway as behind a NAT.
	grep -q 'remote host is behind NAT' "$out/charon.log" ||
		fail "the gateway has encap = yes, but charon did not see it behind a NAT (no 'remote host is behind NAT')"

	# the live tunnel map, with the SAs up
	"$IPSECREF" tunnel-map --gateway "$sock" > "$out/tunnel-map.txt" 2>&1 || fail "tunnel-map --gateway: $(cat "$out/tunnel-map.txt")"

	# -- 7. delete ------------------------------------------------------------
	step="delete from $deleter"
	if [ $deleter = charon ]; then
		sw --terminate --ike gw > "$out/delete.txt" 2>&1 || fail "swanctl --terminate --ike gw: $(cat "$out/delete.txt")"
	else
		ctl terminate "$(field 1)" > "$out/delete.txt" 2>&1 || fail "ipsecref ctl terminate $(field 1): $(cat "$out/delete.txt")"
	fi
	local why=""
	for i in $(seq $((WAIT * 4))); do
		sw --list-sas > "$tmp/ss.txt" 2> "$tmp/ss.err"
		ctl list --json > "$tmp/gw.json" 2> "$tmp/gw.err"
		why=$(/usr/bin/python3 "$HERE/sa_view.py" empty "$tmp/ss.txt" "$tmp/gw.json") && break
		sleep 0.25
	done
	snapshot deleted
	/usr/bin/python3 "$HERE/sa_view.py" empty "$tmp/ss.txt" "$tmp/gw.json" > /dev/null || fail "$why"
	"$IPSECREF" tunnel-map --gateway "$sock" > "$out/tunnel-map-after-delete.txt" 2>&1

	# -- stop: the gateway must end cleanly on SIGTERM -------------------------
	step="gateway stop"
	sleep 0.3
	kill -TERM $gw_pid
	local gw_rc
	wait $gw_pid
	gw_rc=$?
	gw_pid=""
	[ $gw_rc = 0 ] || fail "the gateway exited $gw_rc on SIGTERM: $(tail -3 "$out/gateway.log")"
	kill -INT $tcpdump_pid
	wait $tcpdump_pid 2>/dev/null
	stop_all

	# -- 6. (the capture) ESP only in UDP 4500 --------------------------------
	step="forced UDP encapsulation"
	local raw udp
	raw=$(tshark -n -r "$out/capture.pcap" -Y "ip.proto == 50" 2>/dev/null | wc -l)
	udp=$(tshark -n -r "$out/capture.pcap" -Y "udp.port == 4500 && esp" 2>/dev/null | wc -l)
	[ "$raw" = 0 ] && [ "$udp" -gt 0 ] || fail "capture: $raw raw ESP packets, $udp ESP packets in UDP 4500 (expected 0 and > 0)"

	# -- 8. ipsecref check ------------------------------------------------------
	# Steps 8-10 judge the finished run: each is evaluated, and every one
	# that fails is reported.
	local verdicts=""
	judged() { verdicts="$verdicts${verdicts:+; }$step: $*"; }
	step="ipsecref check"
	if [ "$FAULT" = no-keys ]; then
		log "GATEWAY_INTEROP_FAULT=no-keys: removing the gateway's key files"
		rm -f "$out/keys/"*
	fi
	if [ "$FAULT" = wrong-key ]; then
		local key bad
		key=$(head -1 "$out/keys/esp_sa" | cut -d, -f6 | tr -d '"' | sed 's/^0x//')
		bad=$(echo "${key:0:1}" | tr 0-9a-f 1-9a-f0)${key:1}
		log "GATEWAY_INTEROP_FAULT=wrong-key: ESP key $key -> $bad in esp_sa and keys.json"
		sed -i "s/$key/$bad/" "$out/keys/esp_sa" "$out/keys/keys.json"
	fi
	"$IPSECREF" check "$out/capture.pcap" --keys "$out/keys" > "$out/check.txt" 2>&1
	local check_rc=$?
	if [ $check_rc != 0 ]; then
		local said
		said=$(grep -E 'FAIL|ipsecref check:' "$out/check.txt" | head -3 | sed 's/^ *//' | tr '\n' ' ')
		judged "ipsecref check capture.pcap --keys keys exited $check_rc: ${said:-see check.txt}"
	fi

	# -- 9. tshark ---------------------------------------------------------------
	step="tshark"
	# (the tshark arguments are built in "$@": the function's own are read already)
	set -- -r "$out/capture.pcap" -n -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE
	local l
	if [ -f "$out/keys/ikev2_decryption_table" ]; then
		while IFS= read -r l; do [ -n "$l" ] && set -- "$@" -o "uat:ikev2_decryption_table:$l"; done < "$out/keys/ikev2_decryption_table"
	fi
	if [ -f "$out/keys/esp_sa" ]; then
		while IFS= read -r l; do [ -n "$l" ] && set -- "$@" -o "uat:esp_sa:$l"; done < "$out/keys/esp_sa"
	fi
	tshark "$@" -T fields -E separator='|' -E occurrence=a \
		-e frame.number -e isakmp.exchangetype -e isakmp.enc.data -e isakmp.enc.pad_length -e isakmp.enc.icd \
		-e esp.spi -e esp.pad_len -e esp.icv_good -e esp.icv_bad -e icmp.type > "$tmp/tshark.txt" 2> "$tmp/tshark.err" ||
		judged "tshark: $(grep -v "Running as user" "$tmp/tshark.err" | head -3)"
	local bad_ike
	bad_ike=$(tshark "$@" -Y "isakmp.ikev2.integrity_checksum" 2>/dev/null | wc -l)
	# An ESP packet counts as decrypted when its trailer and the ICMP inside
	# (the tunnel carries nothing but the pings) are dissected: with a wrong
	# AES-CBC key the trailer is read from garbage, the ICMP is not there.
	# Wireshark 4.0 decrypts neither ChaCha20-Poly1305 ESP (RFC 7634) nor
	# ChaCha20-Poly1305 IKEv2 (its IKEv2 decryption table has no such
	# cipher): for chacha runs tshark counts the packets, `ipsecref check` judges them.
	local exempt=0
	[ "$proposal" = chacha ] && exempt=1
	awk -F'|' -v exempt=$exempt -v badike="$bad_ike" '
		$2 != "" { ike++; if ($3 != "") { enc++; if ($4 != "") dec++; else if (++nundec <= 10) undec = undec " " $1 } }
		$6 != "" { esp++; if ($7 != "" && $10 != "") edec++; else if (++neundec <= 10) eundec = eundec " " $1
		           if ($8 ~ /1|True/) good++; if ($9 ~ /1|True/) bad++ }
		END {
			printf "IKE messages: %d, with an Encrypted payload: %d, decrypted: %d, integrity checksum incorrect: %d\n", ike, enc, dec, badike
			printf "ESP packets: %d, decrypted: %d, ICV good: %d, ICV bad: %d\n", esp, edec, good, bad
			if (exempt) print "ChaCha20-Poly1305: Wireshark 4.0 decrypts neither its IKE nor its ESP; packets counted only"
			else {
				if (undec != "") printf "IKE not decrypted in frames:%s%s\n", undec, (nundec > 10 ? " ..." : "")
				if (eundec != "") printf "ESP not decrypted in frames:%s%s\n", eundec, (neundec > 10 ? " ..." : "")
			}
			ok = enc > 0 && esp > 0 && badike == 0 && bad == 0 && (exempt || (dec == enc && edec == esp && good == esp))
			print (ok ? "TSHARK: OK" : "TSHARK: FAILED")
			exit (ok ? 0 : 1)
		}' "$tmp/tshark.txt" > "$out/tshark.txt" || judged "$(grep -v OK "$out/tshark.txt" | tr '\n' ' ')"

	# -- 10. logs --------------------------------------------------------------
	step="charon log"
	charon_errors > "$out/charon-errors.txt"
	[ ! -s "$out/charon-errors.txt" ] || judged "$(wc -l < "$out/charon-errors.txt") error lines, first: $(head -1 "$out/charon-errors.txt")"
	step="gateway log"
	grep -E '^[^ ]+ error ' "$out/gateway.log" > "$out/gateway-errors.txt"
	[ ! -s "$out/gateway-errors.txt" ] || judged "$(wc -l < "$out/gateway-errors.txt") error lines, first: $(head -1 "$out/gateway-errors.txt")"
	if [ -n "$verdicts" ]; then
		step="after the run"
		fail "$verdicts"
	fi
	echo "PASS $run" > "$out/result.txt"
	cat "$out/tunnel-map.txt" >&2
	exit 0
}

rc=0 n=0
for run in "$@"; do
	n=$((n + 1))
	start=$(date +%s.%N)
	( run_one "$run" $n ) &
	RUN_PID=$!
	wait $RUN_PID
	r=$?
	RUN_PID=""
	secs=$(echo "$(date +%s.%N) $start" | awk '{ printf "%.1f", $1 - $2 }')
	if [ $r = 0 ]; then
		echo "PASS $run (${secs} s)"
	else
		echo "       ($run: ${secs} s, output in $OUTDIR/$run)"
		[ $r = 2 ] && [ $rc = 0 ] && rc=2
		[ $r != 2 ] && rc=1
	fi
done
exit $rc
