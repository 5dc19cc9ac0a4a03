#!/bin/bash
# check_vs_tshark.sh [BUILD_DIR]
#
# Packets per second of `ipsecref check` against tshark decrypting the same
# capture with the same keys (project issue 5: ipsecref must reach 50x).
#
# The capture: make_esp_capture writes PACKETS (100000) ESP packets, 1400
# bytes each, AES-128-GCM-16 (128-bit key + 4-byte salt), tunnel mode over
# IPv4, 8 SAs (4 tunnels, both directions), inner IPv4/UDP packets to the
# Echo port with random payloads (fixed seed), and its esp_sa (Wireshark's
# UAT format), into a temporary directory.
#
# What each program is asked to do, on the whole file, as a whole process
# (start-up included, output to a file):
#   ipsecref   ipsecref check CAPTURE --keys DIR
#              every packet classified, its SA looked up, ICV verified,
#              decrypted, padding and next header checked, inner packet
#              parsed, sequence numbers tracked; per-SA report printed.
#   tshark     tshark -n -r CAPTURE -o esp.enable_encryption_decode:TRUE
#                -o esp.enable_authentication_check:TRUE -o uat:esp_sa:<row>...
#                -q -z 'io,stat,0,COUNT(esp.icv_good)esp.icv_good==1,COUNT(udp.dstport)udp.dstport==7'
#              every packet dissected, decrypted, its ICV checked and the
#              inner IPv4/UDP packet dissected; prints the two counts. This
#              is the cheapest run of tshark we found that still does all of
#              that for every packet (its default one-line-per-packet output
#              costs about the same), so the verdict is taken against it.
#   tshark-fields  the same with -T fields -e frame.number -e esp.spi
#              -e esp.sequence -e esp.icv_good -e udp.dstport instead of -q -z
#              (one line per packet): reported, not judged.
# Every timed run is checked: ipsecref must report PACKETS ok and exit 0,
# tshark must count PACKETS good ICVs and PACKETS inner UDP packets.
#
# ROUNDS (5) rounds, the programs' order rotating from round to round; each
# round gives a wall-clock ratio tshark / ipsecref (a paired ratio: both ran
# within seconds of each other). Prints packets/s (wall clock; CPU time
# user+sys beside it) per program and the median and range of the ratios.
# Exit 1 when the median wall-clock ratio against tshark is below
# MIN_RATIO (50); 2 on a build, generation or verification failure.
#
# BUILD_DIR defaults to build/benchcap (configured with the dev preset and
# built here when its binaries are missing). Environment: PACKETS, ROUNDS,
# MIN_RATIO, KEEP=1 (keep the temporary directory).
set -u
cd "$(dirname "$0")/../.."
build=${1:-build/benchcap}
packets=${PACKETS:-100000}
rounds=${ROUNDS:-5}
min_ratio=${MIN_RATIO:-50}

die() { echo "check_vs_tshark: $*" >&2; exit 2; }

if [ ! -x "$build/tools/ipsecref" ] || [ ! -x "$build/tools/bench/make_esp_capture" ]; then
	[ -f "$build/build.ninja" ] || cmake --preset dev -B "$build" >/dev/null || die "cannot configure $build"
	cmake --build "$build" --target ipsecref make_esp_capture -j2 || die "cannot build in $build"
fi
ipsecref=$build/tools/ipsecref
command -v tshark >/dev/null || die "tshark is not installed (tools/setup.sh installs it)"

tmp=$(mktemp -d /tmp/check-vs-tshark.XXXXXX)
[ "${KEEP:-0}" = 1 ] && echo "keeping $tmp" || trap 'rm -rf "$tmp"' EXIT
"$build/tools/bench/make_esp_capture" "$tmp" --packets "$packets" >/dev/null || die "make_esp_capture failed"
cap=$tmp/capture.pcap

keys=()
while IFS= read -r line; do
	[ -n "$line" ] && keys+=(-o "uat:esp_sa:$line")
done < "$tmp/esp_sa"
tshark_common=(tshark -n -r "$cap" -o esp.enable_encryption_decode:TRUE
	-o esp.enable_authentication_check:TRUE "${keys[@]}")
iostat='io,stat,0,COUNT(esp.icv_good)esp.icv_good==1,COUNT(udp.dstport)udp.dstport==7'

run() {  # run NAME: runs one program once; appends "wall user sys" to $tmp/NAME.times
	local name=$1 out=$tmp/$1.out t
	TIMEFORMAT='%3R %3U %3S'
	case $name in
	ipsecref) t=$( { time "$ipsecref" check "$cap" --keys "$tmp" >"$out" 2>&1; } 2>&1 ) ;;
	tshark) t=$( { time "${tshark_common[@]}" -q -z "$iostat" >"$out" 2>/dev/null; } 2>&1 ) ;;
	tshark-fields) t=$( { time "${tshark_common[@]}" -T fields -e frame.number -e esp.spi \
		-e esp.sequence -e esp.icv_good -e udp.dstport >"$out" 2>/dev/null; } 2>&1 ) ;;
	esac
	verify "$name" || die "$name did not verify all $packets packets (output in $out; KEEP=1 keeps it)"
	echo "$t" >>"$tmp/$name.times"
}

verify() {  # verify NAME: did the last run of NAME do the work on every packet?
	local out=$tmp/$1.out
	case $1 in
	ipsecref)  # per SA: "N packets (K ok, 0 discarded, 0 failed)"
		awk -v n="$packets" '/ packets \(.* ok, / { gsub(/\(/, "", $3); ok += $3; if ($7 != "0") bad = 1 }
			/^result +PASS/ { pass = 1 } END { exit !(pass && !bad && ok == n) }' "$out" ;;
	tshark)  # "| 0.000 <> 1.000 | 100000 | 100000 |"
		awk -F'|' -v n="$packets" '/<>/ { gsub(/ /, ""); if ($3 == n && $4 == n) ok = 1 } END { exit !ok }' "$out" ;;
	tshark-fields)
		awk -F'\t' -v n="$packets" '$4 == "1" && $5 == "7" { ok++ } END { exit !(ok == n && NR == n) }' "$out" ;;
	esac
}

programs=(ipsecref tshark tshark-fields)
echo "capture: $packets ESP packets, 1400 bytes, AES-128-GCM-16, 8 SAs; $rounds rounds; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$cap" >/dev/null  # in the page cache for everyone
for p in "${programs[@]}"; do run "$p"; rm -f "$tmp/$p.times"; done  # warm-up, verified
for ((r = 0; r < rounds; r++)); do
	for ((i = 0; i < ${#programs[@]}; i++)); do
		run "${programs[(i + r) % ${#programs[@]}]}"
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$tmp" "$packets" "$min_ratio" "${programs[@]}" <<'EOF'
import statistics, sys
tmp, n, min_ratio, programs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
t = {p: [tuple(map(float, l.split())) for l in open(f"{tmp}/{p}.times")] for p in programs}
def med(xs): return statistics.median(xs)
print(f"{'program':<14} {'wall s (median)':>16} {'packets/s wall':>15} {'packets/s CPU':>14}   wall range s")
for p in programs:
    wall = [w for w, u, s in t[p]]
    cpu = [u + s for w, u, s in t[p]]
    print(f"{p:<14} {med(wall):16.3f} {n / med(wall):15,.0f} {n / max(med(cpu), 1e-3):14,.0f}   {min(wall):.3f}-{max(wall):.3f}")
verdict = None
for p in programs[1:]:
    wall = [a[0] / b[0] for a, b in zip(t[p], t["ipsecref"])]
    cpu = [(a[1] + a[2]) / max(b[1] + b[2], 1e-3) for a, b in zip(t[p], t["ipsecref"])]
    print(f"ratio ipsecref / {p:<14} wall: median {med(wall):6.1f}x  range {min(wall):.1f}-{max(wall):.1f}"
          f"   CPU: median {med(cpu):6.1f}x  range {min(cpu):.1f}-{max(cpu):.1f}")
    if verdict is None:
        verdict = med(wall)
ok = verdict >= min_ratio
print(f"verdict: {verdict:.1f}x against tshark (goal {min_ratio:g}x): {'met' if ok else 'NOT met'}")
sys.exit(0 if ok else 1)
EOF
