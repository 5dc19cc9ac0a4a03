#!/usr/bin/python3
"""Cross-check the reference's IKEv2 decoder against tshark's ISAKMP dissector.

  compare.py --tool PATH/ike_payloads [--pcaps DIR] [--tshark PATH] [-v] [CAPTURE_DIR...]

For every capture directory (default: each DIR/*/ that holds capture.pcap),
runs

  ike_payloads DIR/capture.pcap [DIR/ikev2_decryption_table]
  tshark -n -r DIR/capture.pcap -T pdml -Y isakmp -o uat:ikev2_decryption_table:ROW ...

(a capture without a table gets one written from the "ike" rows of its
keys.csv.a where Wireshark has names for the IKE SA's transforms), and
compares, message by message (by frame number): the exchange type, the
Initiator and Response flags, the payload types in order (Notify with its
message type, SA with every proposal's number and its transforms' types and
IDs) outside SK, and the same for the payloads inside SK where the table has
the IKE SA's keys. IKEv1 messages: header fields and payloads with their
lengths and contents, and, for encrypted ones, the payloads inside as the
reference decrypts them (with the ikev1_decryption_table beside the
capture) against tshark's decryption with the same table. The table's rows go to tshark as -o options (the UAT's
own line syntax), so no Wireshark profile is read or written; HOME and
XDG_CONFIG_HOME point at an empty directory so that a personal profile
cannot add keys or change preferences.

Then it has tshark read a table the reference writes (ike_payloads
--sample-table) with a row for every algorithm name the reference knows:
tshark must accept every row.

Exit status: 0 every message of every capture matched; 1 a mismatch, a
message either side could not decode, or a run failed; 77 tshark is not
installed (ctest reports the test as skipped).
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

LINE = re.compile(r"^(\d+) (\d+) ([IR]) (request|response) outer=(\S*) inner=(\S*)\s+#(.*)$")
ERROR_LINE = re.compile(r"^(\d+) error\s+#(.*)$")
V1_LINE = re.compile(r"^(\d+) v1 (\d+) (\d+) ([0-9a-f]{8}) payloads=(\S*) enc=(\S+) inner=(\S*)\s+#(.*)$")


# Wireshark 4.0's names (packet-isakmp.c) for the IANA transforms of
# keys.csv.a's "ike" rows, to write a table for a capture that ships none.
ENCR_NAMES = {
    (12, 128): "AES-CBC-128 [RFC3602]", (12, 192): "AES-CBC-192 [RFC3602]",
    (12, 256): "AES-CBC-256 [RFC3602]", (13, 128): "AES-CTR-128 [RFC5930]",
    (13, 192): "AES-CTR-192 [RFC5930]", (13, 256): "AES-CTR-256 [RFC5930]",
}
for _bits in (128, 192, 256):
    for _id, _icv in ((18, 8), (19, 12), (20, 16)):
        ENCR_NAMES[(_id, _bits)] = "AES-GCM-%d with %d octet ICV [RFC5282]" % (_bits, _icv)
    for _id, _icv in ((14, 8), (15, 12), (16, 16)):
        ENCR_NAMES[(_id, _bits)] = "AES-CCM-%d with %d octet ICV [RFC5282]" % (_bits, _icv)
INTEG_NAMES = {0: "NONE [RFC4306]", 1: "HMAC_MD5_96 [RFC2403]", 2: "HMAC_SHA1_96 [RFC2404]",
               12: "HMAC_SHA2_256_128 [RFC4868]", 13: "HMAC_SHA2_384_192 [RFC4868]",
               14: "HMAC_SHA2_512_256 [RFC4868]"}


def table_for(capture_dir, workdir):
    """The capture's ikev2_decryption_table, or one written from the "ike"
    rows of its keys.csv.a (ike,version,we_are_initiator,my_host,other_host,
    spi_i,spi_r,encr,encr_keylen,integ,prf,ke,SK_d,SK_ai,SK_ar,SK_ei,SK_er,...)
    for the IKE SAs Wireshark has names for; None if neither gives a row."""
    table = os.path.join(capture_dir, "ikev2_decryption_table")
    if os.path.exists(table):
        return table
    keys = os.path.join(capture_dir, "keys.csv.a")
    if not os.path.exists(keys):
        return None
    rows = []
    with open(keys) as f:
        for line in f:
            fields = line.strip().split(",")
            if fields[0] != "ike" or len(fields) < 17:
                continue
            encr = ENCR_NAMES.get((int(fields[7]), int(fields[8])))
            integ = INTEG_NAMES.get(int(fields[9]))
            if encr and integ:
                rows.append('%s,%s,%s,%s,"%s",%s,%s,"%s"\n' % (fields[5], fields[6], fields[15], fields[16],
                                                               encr, fields[13], fields[14], integ))
    if not rows:
        return None
    table = os.path.join(workdir, os.path.basename(os.path.normpath(capture_dir)) + ".ikev2_decryption_table")
    with open(table, "w") as f:
        f.writelines(rows)
    return table


def ours(tool, capture_dir, table):
    """{frame: record} from ike_payloads."""
    cmd = [tool, os.path.join(capture_dir, "capture.pcap")]
    if table:
        cmd.append(table)
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s" % (" ".join(cmd), run.returncode, run.stderr.strip()))
    messages = {}
    for line in run.stdout.splitlines():
        m = LINE.match(line)
        if m:
            frame, exchange, flag_i, kind, outer, inner, names = m.groups()
            messages[int(frame)] = {
                "exchange": int(exchange), "initiator": flag_i == "I", "response": kind == "response",
                "outer": outer.split(",") if outer else [],
                "inner": None if inner == "-" else ("!" if inner == "!" else (inner.split(",") if inner else [])),
                "names": names.strip(),
            }
            continue
        m = ERROR_LINE.match(line)
        if m:
            messages[int(m.group(1))] = {"error": m.group(2).strip()}
            continue
        m = V1_LINE.match(line)
        if m:
            frame, exchange, flags, message_id, payloads, enc, inner, names = m.groups()
            messages[int(frame)] = {
                "v1": True, "exchange": int(exchange), "flags": int(flags), "message_id": message_id,
                "payloads": payloads.split(",") if payloads else [], "enc": None if enc == "-" else int(enc),
                "inner": None if inner == "-" else ("!" if inner == "!" else (inner.split(",") if inner else [])),
                "names": names.strip(),
            }
            continue
        raise RuntimeError("ike_payloads printed an unexpected line: %r" % line)
    return messages


def children(element, name):
    return [c for c in element if c.tag == "field" and c.get("name") == name]


def child_show(element, name):
    found = children(element, name)
    return found[0].get("show") if found else None


def transform_token(transform):
    tf_type = child_show(transform, "isakmp.tf.type")
    tf_id = None
    for c in transform:
        if c.tag == "field" and (c.get("name") or "").startswith("isakmp.tf.id."):
            tf_id = c.get("show")
    return "%s.%s" % (tf_type, tf_id)


def payload_token(payload):
    """The token ike_payloads prints for one isakmp.typepayload element."""
    kind = payload.get("show")
    if kind == "41":
        return "41/%s" % child_show(payload, "isakmp.notify.msgtype")
    if kind == "33":
        proposals = []
        for proposal in children(payload, "isakmp.typepayload"):
            number = child_show(proposal, "isakmp.prop.number")
            transforms = [transform_token(t) for t in children(proposal, "isakmp.typepayload")]
            proposals.append("%s:%s" % (number, "+".join(transforms)))
        return "33/" + ";".join(proposals)
    return kind


def hex_of(field):
    """A bytes field's value as plain hex ("" for none)."""
    return (field.get("value") or "").lower() if field is not None else ""


def v1_attributes(transform):
    """<type>=<value hex>+... of a transform's IKE (isakmp.ike.attr) or IPsec
    (isakmp.ipsec.attr) attributes, in order."""
    out = []
    for attr in transform:
        name = attr.get("name") or ""
        if attr.tag != "field" or name not in ("isakmp.ike.attr", "isakmp.ipsec.attr"):
            continue
        kind = child_show(attr, name + ".type")
        value = children(attr, name + ".value")
        out.append("%s=%s" % (kind, hex_of(value[0]) if value else ""))
    return "+".join(out)


def v1_token(payload):
    """The token ike_payloads prints for one IKEv1 payload (see its header)."""
    kind = payload.get("show")
    token = "%s:%s" % (kind, child_show(payload, "isakmp.payloadlength"))
    data_fields = {"4": "isakmp.key_exchange.data", "10": "isakmp.nonce", "8": "isakmp.hash",
                   "13": "isakmp.vid_bytes", "20": "isakmp.ike.nat_hash", "130": "isakmp.ike.nat_hash"}
    if kind == "1":
        token += "/" + child_show(payload, "isakmp.sa.doi")
        for proposal in children(payload, "isakmp.typepayload"):
            transforms = []
            for t in children(proposal, "isakmp.typepayload"):
                transforms.append("%s.%s(%s)" % (child_show(t, "isakmp.trans.number"),
                                                 child_show(t, "isakmp.trans.id"), v1_attributes(t)))
            token += "/%s.%s:%s" % (child_show(proposal, "isakmp.prop.number"),
                                    child_show(proposal, "isakmp.prop.protoid"), ";".join(transforms))
    elif kind == "11":
        token += "/" + child_show(payload, "isakmp.notify.msgtype")
    elif kind == "5":
        port = child_show(payload, "isakmp.id.port")
        proto = child_show(payload, "isakmp.id.protoid")
        data = children(payload, "isakmp.id.data")[0]
        # tshark leaves the bytes to a child field per type (isakmp.id.data.fqdn ...).
        value = hex_of(data) or "".join(hex_of(c) for c in data if c.tag == "field")
        token += "/%s.%s.%s/%s" % (child_show(payload, "isakmp.id.type"), proto, port, value)
    elif kind in data_fields:
        found = children(payload, data_fields[kind])
        token += "/" + (hex_of(found[0]) if found else "")
    return token


def v1_record(proto, decrypted_check):
    """What tshark shows of one IKEv1 message: header fields, payloads in
    order, the encrypted body's size; with decrypted_check, whether tshark
    decrypted it (payloads follow the encrypted data)."""
    flags = int(child_show(proto, "isakmp.flags"), 16)
    record = {"v1": True, "exchange": int(child_show(proto, "isakmp.exchangetype")), "flags": flags,
              "message_id": child_show(proto, "isakmp.messageid")[2:], "payloads": [], "enc": None,
              "names": []}
    enc = children(proto, "isakmp.enc.data")
    if enc:
        record["enc"] = int(enc[0].get("size"))
    for payload in children(proto, "isakmp.typepayload"):
        record["payloads"].append(v1_token(payload))
        record["names"].append(payload.get("showname"))
    return record


def v1_decrypted(tshark, capture_dir, home):
    """{frame: (the payload names, their tokens) tshark decrypted} for the
    encrypted IKEv1 messages of a capture that ships an
    ikev1_decryption_table, or None without one."""
    table = os.path.join(capture_dir, "ikev1_decryption_table")
    if not os.path.exists(table):
        return None
    cmd = [tshark, "-n", "-r", os.path.join(capture_dir, "capture.pcap"), "-T", "pdml", "-Y", "isakmp.flag_e == 1"]
    with open(table) as f:
        for row in f:
            if row.strip() and not row.startswith("#"):
                cmd += ["-o", "uat:ikev1_decryption_table:" + row.strip()]
    run = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, HOME=home, XDG_CONFIG_HOME=home))
    if run.returncode != 0:
        raise RuntimeError("tshark failed (exit %d): %s" % (run.returncode, run.stderr.strip()))
    found = {}
    for packet in ET.fromstring(run.stdout).iter("packet"):
        frame = None
        for proto in packet:
            if proto.get("name") == "geninfo":
                frame = int(child_show(proto, "num"))
            if proto.get("name") == "isakmp":
                first = child_show(proto, "isakmp.nextpayload")
                # tshark shows the decrypted payloads under the encrypted data.
                enc = children(proto, "isakmp.enc.data")
                payloads = children(enc[0], "isakmp.typepayload") if enc else []
                # Decrypted: tshark shows the payloads, the first one the header names.
                decrypted = payloads and payloads[0].get("show") == first
                found[frame] = ([p.get("showname") for p in payloads], [v1_token(p) for p in payloads]) \
                    if decrypted else ([], [])
    return found


def inner_payloads(encrypted):
    """The payloads tshark decrypted inside one SK payload, or None if it
    did not decrypt it. An SK payload that holds no payloads (an empty
    INFORMATIONAL response) has decrypted data without contained data. An
    Encrypted Fragment (RFC 7383) shows the payloads of its message, once
    tshark has reassembled it, beside its own fields (at the last
    fragment); the fragments before give None, as ike_payloads prints them."""
    if encrypted.get("show") == "53":
        reassembled = children(encrypted, "isakmp.typepayload")
        return reassembled if reassembled else None
    for decrypted in children(encrypted, "isakmp.enc.decrypted"):
        for contained in children(decrypted, "isakmp.enc.contained"):
            return children(contained, "isakmp.typepayload")
        return []
    return None


def icv_verdict(encrypted):
    """'correct' or 'incorrect' as tshark judged the Integrity Checksum Data
    (for AEAD the tag), or None when it did not check."""
    for icd in children(encrypted, "isakmp.enc.icd"):
        showname = icd.get("showname") or ""
        for verdict in ("incorrect", "correct"):
            if "[%s" % verdict in showname:
                return verdict
    return None


def theirs(tshark, capture_dir, table, home):
    """{frame: record} from tshark's PDML."""
    cmd = [tshark, "-n", "-r", os.path.join(capture_dir, "capture.pcap"), "-T", "pdml", "-Y", "isakmp"]
    if table:
        with open(table) as f:
            for row in f:
                row = row.strip()
                if row and not row.startswith("#"):
                    cmd += ["-o", "uat:ikev2_decryption_table:" + row]
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home)
    run = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise RuntimeError("tshark failed (exit %d): %s" % (run.returncode, run.stderr.strip()))
    messages = {}
    for packet in ET.fromstring(run.stdout).iter("packet"):
        frame = None
        for proto in packet:
            if proto.get("name") == "geninfo":
                frame = int(child_show(proto, "num"))
        for proto in packet:
            if proto.get("name") != "isakmp":
                continue
            if frame in messages:
                raise RuntimeError("frame %d holds two ISAKMP messages" % frame)
            if child_show(proto, "isakmp.version") == "0x10":
                messages[frame] = v1_record(proto, False)
                continue
            flags = children(proto, "isakmp.flags")
            record = {
                "exchange": int(child_show(proto, "isakmp.exchangetype")),
                "initiator": child_show(flags[0], "isakmp.flag_i") == "1",
                "response": child_show(flags[0], "isakmp.flag_r") == "1",
                "outer": [], "inner": None, "names": [],
            }
            for payload in children(proto, "isakmp.typepayload"):
                record["outer"].append(payload_token(payload))
                record["names"].append(payload.get("showname"))
                if payload.get("show") in ("46", "53"):
                    inner = inner_payloads(payload)
                    record["icv"] = icv_verdict(payload)
                    if inner is not None:
                        record["inner"] = [payload_token(p) for p in inner]
                        record["names"] += ["  " + p.get("showname") for p in inner]
            messages[frame] = record
    return messages


def tshark_accepts(tshark, capture, rows, home):
    """(accepted, tshark's complaint) for a table of `rows` given as -o options."""
    cmd = [tshark, "-n", "-r", capture, "-c", "1"]
    for row in rows:
        cmd += ["-o", "uat:ikev2_decryption_table:" + row]
    run = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, HOME=home, XDG_CONFIG_HOME=home))
    complaint = [l for l in run.stderr.splitlines() if "Running as user" not in l]
    return run.returncode == 0, " ".join(complaint)


def check_names(tool, tshark, capture, home):
    """Problems with the table the reference writes for every algorithm name
    it knows (ike_payloads --sample-table): tshark must accept all of it, and
    refuse it once one key is an octet short (the check can fail)."""
    run = subprocess.run([tool, "--sample-table"], capture_output=True, text=True)
    if run.returncode != 0:
        return 0, ["ike_payloads --sample-table failed: %s" % run.stderr.strip()]
    rows = run.stdout.splitlines()
    problems = []
    accepted, complaint = tshark_accepts(tshark, capture, rows, home)
    if not accepted:
        problems.append("tshark refuses the table the reference writes: %s" % complaint)
    short = rows[0].split(",")
    short[2] = short[2][2:]
    accepted, _ = tshark_accepts(tshark, capture, [",".join(short)] + rows[1:], home)
    if accepted:
        problems.append("tshark accepted an SK_ei one octet short: the check cannot fail")
    return len(rows), problems


def transforms_in(tokens):
    count = 0
    for t in tokens or []:
        if t.startswith("33/"):
            count += t.count(".")
    return count


def compare(name, mine, tshark, verbose):
    """Returns (messages, outer payloads, inner payloads, transforms, problems)."""
    problems = []
    for frame in sorted(set(mine) | set(tshark)):
        a, b = mine.get(frame), tshark.get(frame)
        if a is None:
            problems.append("frame %d: tshark dissects an IKE message the reference did not find" % frame)
            continue
        if b is None:
            problems.append("frame %d: the reference found an IKE message tshark does not dissect" % frame)
            continue
        if "error" in a:
            problems.append("frame %d: the reference cannot decode it: %s" % (frame, a["error"]))
            continue
        if a.get("v1") or b.get("v1"):
            for key in ("v1", "exchange", "flags", "message_id", "payloads", "enc"):
                if a.get(key) != b.get(key):
                    problems.append("frame %d: IKEv1 %s differs\n    reference: %s\n    tshark:    %s\n    (%s)"
                                    % (frame, key, a.get(key), b.get(key), "; ".join(b.get("names", []))))
            if verbose:
                print("  %s frame %d: %s" % (name, frame, a["names"]))
            continue
        if a["inner"] == "!":
            problems.append("frame %d: the reference could not decrypt it: %s" % (frame, a["names"]))
            continue
        if isinstance(a["inner"], list) and b.get("icv") != "correct":
            problems.append("frame %d: the reference decrypted it, tshark found its ICV %s"
                            % (frame, b.get("icv") or "unchecked"))
        for key in ("exchange", "initiator", "response", "outer", "inner"):
            if a[key] != b[key]:
                problems.append("frame %d: %s differs\n    reference: %s\n    tshark:    %s\n    (%s)"
                                % (frame, key, a[key], b[key], "; ".join(x.strip() for x in b["names"])))
        if verbose:
            print("  %s frame %d: %s" % (name, frame, a["names"]))
    matched = [f for f in mine if f in tshark and "error" not in mine[f] and not mine[f].get("v1")]
    v1 = [f for f in mine if f in tshark and mine[f].get("v1")]
    outer = sum(len(mine[f]["outer"]) for f in matched) + sum(len(mine[f]["payloads"]) for f in v1)
    inner = sum(len(mine[f]["inner"]) for f in matched if isinstance(mine[f]["inner"], list))
    transforms = sum(transforms_in(mine[f]["outer"]) + transforms_in(mine[f]["inner"]
                     if isinstance(mine[f]["inner"], list) else []) for f in matched)
    transforms += sum(t.count("(") for f in v1 for t in mine[f]["payloads"] if t.startswith("1:"))
    return len(set(mine) | set(tshark)), outer, inner, transforms, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--tool", required=True, help="the ike_payloads binary")
    parser.add_argument("--pcaps", help="directory whose */capture.pcap are compared")
    parser.add_argument("--tshark", default=shutil.which("tshark"))
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("dirs", nargs="*", help="capture directories (capture.pcap [+ ikev2_decryption_table])")
    args = parser.parse_args()
    if not args.tshark:
        print("tshark-ike: tshark is not installed (tools/setup.sh installs it); skipped")
        return 77
    dirs = list(args.dirs)
    if args.pcaps:
        dirs += sorted(os.path.dirname(p) for p in glob.glob(os.path.join(args.pcaps, "*", "capture.pcap")))
    if not dirs:
        print("tshark-ike: no captures given")
        return 1
    version = subprocess.run([args.tshark, "--version"], capture_output=True, text=True).stdout.splitlines()
    print("tshark-ike: %s" % (version[0] if version else "tshark, version unknown"))

    totals = [0, 0, 0, 0, 0]
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="tshark-home-") as home:
        for d in dirs:
            name = os.path.basename(os.path.normpath(d))
            try:
                table = table_for(d, home)
                mine = ours(args.tool, d, table)
                tshark = theirs(args.tshark, d, table, home)
                messages, outer, inner, transforms, problems = compare(name, mine, tshark, args.verbose)
                # IKEv1: the shipped ikev1_decryption_table must let tshark
                # decrypt every encrypted IKEv1 message (the keys are right).
                v1_enc = [f for f, m in mine.items() if m.get("v1") and m.get("enc") is not None]
                v1_inner = 0
                v1_dec = v1_decrypted(args.tshark, d, home) if v1_enc else None
                if v1_enc and v1_dec is None:
                    problems.append("%d encrypted IKEv1 messages and no ikev1_decryption_table" % len(v1_enc))
                for f in v1_enc if v1_dec is not None else []:
                    names, tokens = v1_dec.get(f, ([], []))
                    if not tokens:
                        problems.append("frame %d: tshark does not decrypt it with ikev1_decryption_table" % f)
                    elif mine[f].get("inner") != tokens:
                        problems.append("frame %d: IKEv1 decrypted payloads differ\n    reference: %s\n"
                                        "    tshark:    %s\n    (%s)" % (f, mine[f].get("inner"), tokens, "; ".join(names)))
                    else:
                        v1_inner += len(tokens)
            except (OSError, RuntimeError, ET.ParseError, ValueError, KeyError, IndexError) as ex:
                print("FAIL %s: %s" % (name, ex))
                failed += 1
                continue
            decrypted = sum(1 for m in mine.values() if isinstance(m.get("inner"), list))
            if v1_enc:
                summary_v1 = ("; IKEv1: %d messages, %d encrypted, decrypted by the reference and by tshark with "
                              "ikev1_decryption_table alike (%d payloads inside)"
                              % (sum(1 for m in mine.values() if m.get("v1")), len(v1_enc), v1_inner))
            else:
                summary_v1 = ""
            summary = ("%d IKE messages (%d decrypted), %d outer + %d inner payloads, %d SA transforms%s"
                       % (messages, decrypted, outer, inner, transforms,
                          "" if table is None or table.startswith(d) else "; table written from keys.csv.a")) + summary_v1
            if problems:
                print("FAIL %s: %s" % (name, summary))
                for p in problems:
                    print("  " + p)
                failed += 1
            else:
                print("ok   %s: %s" % (name, summary))
                passed += 1
                for i, n in enumerate((messages, decrypted, outer, inner, transforms)):
                    totals[i] += n
        try:
            count, problems = check_names(args.tool, args.tshark, os.path.join(dirs[0], "capture.pcap"), home)
        except OSError as ex:
            count, problems = 0, [str(ex)]
        if problems:
            print("FAIL ikev2_decryption_table names: %s" % "; ".join(problems))
            failed += 1
        else:
            print("ok   ikev2_decryption_table names: tshark accepts the %d rows the reference writes, "
                  "one per algorithm name" % count)
            passed += 1
    print("tshark-ike: %d IKE messages (%d decrypted), %d outer and %d inner payloads, %d SA transforms "
          "matched tshark" % tuple(totals))
    print("tshark-ike: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
