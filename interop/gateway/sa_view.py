#!/usr/bin/python3
"""sa_view.py charon|gateway < LISTING
   sa_view.py agree|empty CHARON_LISTING GATEWAY_LISTING

One view of the SAs of either end, so that strongswan_gateway.sh can compare
them: `swanctl --list-sas` text (charon) or `ipsecref ctl list --json`
(gateway), one line per SA, sorted:

  IKE NAME STATE SPI_I SPI_R
  CHILD NAME STATE SPI_IN SPI_OUT ENCAP

SPIs in lower-case hex as the listings print them (IKE 16 digits, CHILD 8).
ENCAP is `udp` for ESP in UDP, `raw` otherwise. Charon's CHILD SA lines are
its own view (in = the SPI it receives with), as are the gateway's: the two
ends agree when one's (in, out) is the other's (out, in).

`agree`: exit 0 when each end holds exactly one IKE SA, ESTABLISHED, and one
CHILD SA, INSTALLED (not counting the DELETED ones charon keeps for a while
after a CHILD rekey), and both name the same IKE SPIs and the same CHILD SPIs
(crossed); prints `GW_IKE GW_CHILD SPI_I SPI_R SPI_IN SPI_OUT ENCAP_CHARON
ENCAP_GATEWAY` (the gateway's names, its view of the CHILD SPIs). Otherwise
exit 1 saying why. `empty`: exit 0 when neither end holds any SA, else 1.
Exit 2 when an input cannot be read as the listing it claims to be.
"""
import json
import re
import sys

# swanctl --list-sas: `t: #1, ESTABLISHED, IKEv2, 0123456789abcdef_i* fedcba9876543210_r`
CHARON_IKE = re.compile(r"^(\S+): #\d+, ([A-Z_]+), IKEv\d, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r\*?")
# `  t: #2, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-128`
CHARON_CHILD = re.compile(r"^  (\S+): #(\d+), reqid \d+, ([A-Z_]+), ([A-Z_]+(?:-in-UDP)?), ")
CHARON_SPI = re.compile(r"^    (in|out) +([0-9a-f]{8})")


def charon(text):
    rows, child = [], None
    for line in text.splitlines():
        m = CHARON_IKE.match(line)
        if m:
            rows.append(["IKE", m.group(1), m.group(2), m.group(3), m.group(4)])
            child = None
            continue
        m = CHARON_CHILD.match(line)
        if m:
            child = ["CHILD", "%s#%s" % (m.group(1), m.group(2)), m.group(3), "-", "-",
                     "udp" if m.group(4).endswith("-in-UDP") else "raw"]
            rows.append(child)
            continue
        m = CHARON_SPI.match(line)
        if m and child is not None:
            child[3 if m.group(1) == "in" else 4] = m.group(2)
    return rows


def gateway(text):
    answer = json.loads(text)
    if not isinstance(answer, dict) or "ike_sas" not in answer:
        raise ValueError("no \"ike_sas\" in the gateway's answer")
    rows = []
    for sa in answer["ike_sas"]:
        rows.append(["IKE", sa["name"], sa["state"], sa["spi_i"], sa["spi_r"]])
        for c in sa.get("children", []):
            rows.append(["CHILD", c["name"], c["state"], c["spi_in"], c["spi_out"],
                         "udp" if c.get("encapsulated") else "raw"])
    return rows


def agree(ss, gw, names=("charon", "gateway")):
    """Why the two views do not show one agreed IKE SA and CHILD SA, or None.
    names: what to call the two ends (the interop matrix's implementations)."""
    # charon keeps the inbound SA of a rekeyed CHILD SA for
    # charon.delete_rekeyed_delay (5 s) after the DELETE exchange completed,
    # listed as DELETED: it carries no traffic any more, and is not counted.
    ss = [r for r in ss if not (r[0] == "CHILD" and r[2] == "DELETED")]
    gw = [r for r in gw if not (r[0] == "CHILD" and r[2] == "DELETED")]
    for end, rows in ((names[0], ss), (names[1], gw)):
        ike = [r for r in rows if r[0] == "IKE"]
        child = [r for r in rows if r[0] == "CHILD"]
        if len(ike) != 1 or ike[0][2] != "ESTABLISHED":
            return "%s holds %s, not one ESTABLISHED IKE SA" % (end, [" ".join(r[1:3]) for r in ike] or "none")
        if len(child) != 1 or child[0][2] != "INSTALLED":
            return "%s holds %s, not one INSTALLED CHILD SA" % (end, [" ".join(r[1:3]) for r in child] or "none")
    ss_ike, gw_ike = [r for r in ss if r[0] == "IKE"][0], [r for r in gw if r[0] == "IKE"][0]
    ss_child, gw_child = [r for r in ss if r[0] == "CHILD"][0], [r for r in gw if r[0] == "CHILD"][0]
    # an end that lists no IKE SPIs (libreswan's pluto) shows its state serial "#n" instead
    listed = not any(spi.startswith("#") for spi in ss_ike[3:5] + gw_ike[3:5])
    if listed and ss_ike[3:5] != gw_ike[3:5]:
        return "IKE SPIs differ: %s %s, %s %s" % (names[0], "/".join(ss_ike[3:5]), names[1], "/".join(gw_ike[3:5]))
    if ss_child[3:5] != [gw_child[4], gw_child[3]]:
        return "CHILD SPIs differ: %s in/out %s, %s in/out %s" % (names[0], "/".join(ss_child[3:5]),
                                                                  names[1], "/".join(gw_child[3:5]))
    return None


def read_listing(kind, path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return charon(f.read()) if kind == "charon" else gateway(f.read())


def compare(mode, ss_path, gw_path):
    try:
        ss, gw = read_listing("charon", ss_path), read_listing("gateway", gw_path)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("sa_view.py: cannot read the listings: %s" % e)
        return 2
    if mode == "empty":
        left = [" ".join(r[:3]) for r in ss] + [" ".join(r[:3]) for r in gw]
        print("no SA on either end" if not left else "still held: charon %s, gateway %s" % (
            [" ".join(r[1:3]) for r in ss], [" ".join(r[1:3]) for r in gw]))
        return 0 if not left else 1
    why = agree(ss, gw)
    if why:
        print(why)
        return 1
    ike = [r for r in gw if r[0] == "IKE"][0]
    child = [r for r in gw if r[0] == "CHILD"][0]
    ss_child = [r for r in ss if r[0] == "CHILD"][0]
    print(" ".join([ike[1], child[1], ike[3], ike[4], child[3], child[4], ss_child[5], child[5]]))
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] in ("agree", "empty"):
        return compare(sys.argv[1], sys.argv[2], sys.argv[3])
    if len(sys.argv) != 2 or sys.argv[1] not in ("charon", "gateway"):
        print(__doc__, file=sys.stderr)
        return 2
    text = sys.stdin.read()
    try:
        rows = charon(text) if sys.argv[1] == "charon" else gateway(text)
    except (ValueError, KeyError, TypeError) as e:
        print("sa_view.py: cannot read the %s listing: %s" % (sys.argv[1], e), file=sys.stderr)
        return 2
    for r in sorted(rows):
        print(" ".join(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
