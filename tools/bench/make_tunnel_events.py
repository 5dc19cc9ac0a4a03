#!/usr/bin/env python3
"""Writes a tunnel-map event file (reference/spu/events.h) for timing
`ipsecref tunnel-map` at its documented limits (tools/bench/README.md,
"Memory" and time): SPUS SPUs and N events, in rounds of: a gateway, a
manual tunnel, a dynamic peer, two IPsec tunnels over the newest gateway, a
rekey of that gateway and of one tunnel, and (once half the events are
written) the removal of the oldest gateway still present.

usage: make_tunnel_events.py SPUS N OUT"""
import sys


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    spus, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    lines = [f"spus {spus}"]
    gateways = []  # present, oldest first: current names
    oldest = 0
    i = 0
    while len(lines) - 1 < n:
        g = f"G{i}"
        lines += [f"gateway {g}", f"manual M{i}", f"dynamic D{i}",
                  f"tunnel T{i}a over {g}", f"tunnel T{i}b over {g}",
                  f"rekey {g} {g}r", f"rekey T{i}a T{i}ar"]
        gateways.append(f"{g}r")
        if len(lines) > n // 2 and oldest < len(gateways) - 1:
            lines.append(f"remove {gateways[oldest]}")
            oldest += 1
        i += 1
    with open(path, "w") as out:
        out.write("\n".join(lines[: n + 1]) + "\n")


if __name__ == "__main__":
    main()
