#!/usr/bin/python3
"""malformed_ike.py IPSECREF SOURCE_DIR | --self-test: the IKE fuzz corpora against a live `ipsecref gateway`.

Namespaces (lab.py): the gateway under test (192.0.2.2, one connection for
%any peers, PSK) and the peer namespace (192.0.2.1). From the peer
namespace, ike_corpus_send.py sends every unit below as one UDP payload,
each from its own port, and records what comes back to that port:
- fuzz/corpus/ike_decode and fuzz/regressions/ike_decode (whole IKE
  messages, most from real captures): each to port 500, and again to port
  4500 after the non-ESP marker (RFC 3948 §2.2); and every IKE_SA_INIT
  request among them three times damaged: major version 3, cut after 40
  octets, Length 0xFFFFFFFF;
- fuzz/corpus/ike_sk: the IKE message after the two option octets;
  fuzz/corpus/ike_skf: the file as it is;
- fuzz/corpus/ike_responder, ike_initiator and their regressions: the file
  as it is (to port 500), and every raw-datagram record in it (types 0 and
  1 of fuzz/ike_state_driver.h) to port 500 or 4500.
Then the gateway must still run and answer `ctl stats`, and a legitimate
peer (a second `ipsecref gateway`) must establish and ping through.

Every answer is judged against the rule for its request (judge() below; the
request is read by this script, the answer by Scapy). The rules, in our
words, from RFC 7296 §1.5, §2.5, §2.21.1, §2.21.4 and RFC 3948 §2.2:
  R1 a response (R flag set) is never answered (§1.5, §2.21.4: no
     answers to answers, against message loops); nor is a datagram
     with no IKE header at all (nothing to answer to);
  R2 one request gets at most one answer;
  R3 an answer is an IKE response: R flag set, the request's Message ID
     and initiator SPI (§3.1, §2.21.4);
  R4 an IKE_SA_INIT request for a new IKE SA (responder SPI zero) is
     answered, if at all, by an unprotected IKE_SA_INIT response: either
     SA, KE and Nonce with a non-zero responder SPI, or only error
     notifications the exchange may carry (UNSUPPORTED_CRITICAL_PAYLOAD,
     NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD, COOKIE, INVALID_MAJOR_VERSION;
     never INVALID_SYNTAX, which goes only in an encrypted message whose
     Message ID and integrity check were valid) (§2.21.1, §2.6, §2.5,
     §3.10.1);
  R5 any other request reaches no IKE SA of the gateway (none exists with
     the peer's address while the corpus is sent), so it is answered, if at
     all, only by an unprotected notification INVALID_IKE_SPI with the
     request's SPIs (§2.21.4, §1.5);
  R6 a request of a major version above 2 is answered, if at all, only by
     INVALID_MAJOR_VERSION (§2.5);
  R7 on port 4500 an answer starts with the non-ESP marker, and a datagram
     there without the marker is ESP, not IKE: no IKE answer (RFC 3948 §2.2);
  R8 once the peer has established: the same corpus messages again (those
     with an IKE header of major version 2 at most), as messages of that IKE SA (its SPIs, the Message
     ID it expects next, the R flag and the rest as they were): none
     verifies with the SA's keys, so none is answered (the gateway's ike_out
     stays), the IKE SA stays ESTABLISHED with its SPIs, and the peer's own
     liveness check with that Message ID is answered afterwards (RFC 7296
     §2.21, §3.14: a message whose integrity check fails is dropped).
--self-test runs judge() on made-up request/answer pairs that break each
rule (the rule must fire) and on ones that keep them (nothing may fire);
it needs neither root nor the gateway.
Exit 0 all checks passed, 1 a check failed, 2 bad usage.
"""
import argparse
import glob
import json
import os
import subprocess
import struct
import sys
import time

# Nothing written into the source tree (no __pycache__ beside the modules).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ike_wire  # noqa: E402
import lab  # noqa: E402
from lab import Failure, log  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# UNSUPPORTED_CRITICAL_PAYLOAD, NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD,
# COOKIE, INVALID_MAJOR_VERSION (RFC 7296 §3.10.1); not INVALID_SYNTAX, sent
# only protected (§3.10.1).
INIT_ERRORS = {1, 14, 17, ike_wire.COOKIE, ike_wire.INVALID_MAJOR_VERSION}


def request_header(data):
    """The request's IKE header as this script reads it (RFC 7296 §3.1), or None."""
    if len(data) < 28:
        return None
    spi_i, spi_r, next_payload, version, exchange, flags, message_id, length = struct.unpack("!8s8sBBBBII", data[:28])
    return {"spi_i": spi_i, "spi_r": spi_r, "major": version >> 4, "exchange": exchange, "flags": flags,
            "message_id": message_id}


def judge(data, port, answers):
    """Problems with the answers to one datagram (rules R1-R7 of the docstring)."""
    problems = []
    if port == 4500:
        for a in answers:
            if not a.startswith(ike_wire.NON_ESP_MARKER):
                problems.append("R7: an answer on port 4500 without the non-ESP marker")
        answers = [a[4:] for a in answers if a.startswith(ike_wire.NON_ESP_MARKER)]
        if not data.startswith(ike_wire.NON_ESP_MARKER):
            if answers:
                problems.append("R7: a datagram on port 4500 without the non-ESP marker (ESP) got an IKE answer")
            return problems
        data = data[4:]
    h = request_header(data)
    if not answers:
        return problems
    if h is None:
        return problems + ["R1: a datagram with no IKE header got %d answer(s)" % len(answers)]
    if h["flags"] & ike_wire.FLAG_RESPONSE:
        return problems + ["R1: a response (exchange %d) got %d answer(s)" % (h["exchange"], len(answers))]
    if len(answers) > 1:
        problems.append("R2: one request got %d answers" % len(answers))
    for a in answers:
        m = ike_wire.parse(a)
        if m is None:
            problems.append("R3: an answer of %d octets is no IKE message" % len(a))
            continue
        what = "answer (exchange %d, payloads %s, notifies %s)" % (m["exchange"], m["payloads"], m["notifies"])
        if not m["flags"] & ike_wire.FLAG_RESPONSE:
            problems.append("R3: %s without the R flag" % what)
        if m["message_id"] != h["message_id"] or m["spi_i"] != h["spi_i"]:
            problems.append("R3: %s: Message ID %d SPIi %s, the request's %d %s" % (
                what, m["message_id"], m["spi_i"].hex(), h["message_id"], h["spi_i"].hex()))
        if ike_wire.ENCRYPTED in m["payloads"]:
            problems.append("R4/R5: %s is protected, but no IKE SA exists for it" % what)
        if h["major"] > 2:
            if m["notifies"] != [ike_wire.INVALID_MAJOR_VERSION] or m["payloads"] != [ike_wire.NOTIFY]:
                problems.append("R6: a request of major version %d got %s" % (h["major"], what))
        elif h["exchange"] == ike_wire.IKE_SA_INIT and h["spi_r"] == bytes(8):
            accepted = ike_wire.SA in m["payloads"] and ike_wire.KE in m["payloads"] and ike_wire.NONCE in m["payloads"]
            if m["exchange"] != ike_wire.IKE_SA_INIT:
                problems.append("R4: an IKE_SA_INIT request got %s" % what)
            elif accepted and m["spi_r"] == bytes(8):
                problems.append("R4: %s accepts with a zero responder SPI" % what)
            elif not accepted and (not m["notifies"] or set(m["payloads"]) != {ike_wire.NOTIFY}
                                   or not set(m["notifies"]) <= INIT_ERRORS):
                problems.append("R4: an IKE_SA_INIT request got %s: neither SA/KE/Nonce nor only its error notifications" % what)
        else:
            if m["notifies"] != [ike_wire.INVALID_IKE_SPI] or m["payloads"] != [ike_wire.NOTIFY]:
                problems.append("R5: a request for an unknown IKE SA (exchange %d) got %s" % (h["exchange"], what))
            elif m["spi_r"] != h["spi_r"]:
                problems.append("R5: INVALID_IKE_SPI with SPIr %s, the request's %s" % (m["spi_r"].hex(), h["spi_r"].hex()))
    return problems


# -- the units ----------------------------------------------------------------

def files(source, *dirs):
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(source, d, "*"))):
            if os.path.isfile(path) and not path.endswith(".md"):
                with open(path, "rb") as f:
                    yield os.path.relpath(path, source), f.read()


def raw_records(data):
    """The raw-datagram records (types 0 and 1) of an ike_state_driver input."""
    out, i, n = [], 1, 0
    while i + 3 <= len(data) and n < 64:
        kind, length = data[i], struct.unpack("!H", data[i + 1:i + 3])[0]
        body = data[i + 3:i + 3 + length]
        if kind & 7 in (0, 1):
            out.append((500 if kind & 7 == 0 else 4500, body))
        i += 3 + length
        n += 1
    return out


def units(source):
    out = []
    for name, data in files(source, "fuzz/corpus/ike_decode", "fuzz/regressions/ike_decode"):
        out.append({"name": name, "port": 500, "data": data.hex()})
        out.append({"name": name + " (4500)", "port": 4500, "data": (ike_wire.NON_ESP_MARKER + data).hex()})
    # Three damages of every IKE_SA_INIT request among them: major version
    # 3 (§2.5), cut after the first 40 octets (Length unchanged), Length
    # 0xFFFFFFFF.
    for name, data in files(source, "fuzz/corpus/ike_decode"):
        h = request_header(data)
        if h is None or h["exchange"] != ike_wire.IKE_SA_INIT or h["flags"] & ike_wire.FLAG_RESPONSE:
            continue
        out.append({"name": name + " version 3", "port": 500, "data": (data[:17] + b"\x30" + data[18:]).hex()})
        out.append({"name": name + " cut to 40", "port": 500, "data": data[:40].hex()})
        out.append({"name": name + " length 2^32-1", "port": 500, "data": (data[:24] + b"\xff" * 4 + data[28:]).hex()})
    for name, data in files(source, "fuzz/corpus/ike_sk"):
        out.append({"name": name + " [2:]", "port": 500, "data": data[2:].hex()})
    for name, data in files(source, "fuzz/corpus/ike_skf"):
        out.append({"name": name, "port": 500, "data": data.hex()})
    for name, data in files(source, "fuzz/corpus/ike_responder", "fuzz/corpus/ike_initiator",
                            "fuzz/regressions/ike_responder", "fuzz/regressions/ike_initiator"):
        out.append({"name": name, "port": 500, "data": data.hex()})
        for k, (port, body) in enumerate(raw_records(data)):
            out.append({"name": "%s record %d" % (name, k), "port": port, "data": body.hex()})
    return [u for u in out if len(u["data"]) // 2 <= 65507]


def send(L, todo, name):
    """Sends the units from the peer's namespace; the units with their answers."""
    path = os.path.join(L.dir, name + ".json")
    with open(path, "w") as f:
        json.dump(todo, f)
    sender = L.spawn("peer", ["/usr/bin/python3", os.path.join(HERE, "ike_corpus_send.py"), lab.GW, path,
                              os.path.join(L.dir, name + "-answers.json")], name + "-sender.log")
    try:
        sender.wait(timeout=120)
    except subprocess.TimeoutExpired:
        raise Failure("ike_corpus_send.py (%s) did not end in 120 s" % name)
    if sender.returncode != 0:
        raise Failure("ike_corpus_send.py (%s) exit %d: %s" % (name, sender.returncode, L.log_of(name + "-sender")[-2000:]))
    with open(os.path.join(L.dir, name + "-answers.json")) as f:
        return json.load(f)


def on_the_sa(todo, spi_i, spi_r, message_id):
    """The units that hold an IKE header (major version 2 at most), as messages of the live IKE SA:
    its SPIs, the I flag of the original initiator, `message_id`; the R
    flag, the exchange and the rest as they were."""
    out = []
    for u in todo:
        data = bytearray.fromhex(u["data"])
        marker = 4 if u["port"] == 4500 else 0
        if len(data) < marker + 28 or (marker and data[:4] != ike_wire.NON_ESP_MARKER):
            continue
        # A message of a higher major version belongs to no IKEv2 SA: §2.5
        # lets it be answered with INVALID_MAJOR_VERSION whatever its SPIs (R6).
        if data[marker + 17] >> 4 > 2:
            continue
        data[marker:marker + 16] = spi_i + spi_r
        data[marker + 19] = (data[marker + 19] & ~0x28 & 0xFF) | ike_wire.FLAG_INITIATOR | (data[marker + 19] & 0x20)
        struct.pack_into("!I", data, marker + 20, message_id)
        out.append({"name": u["name"] + " on the IKE SA", "port": u["port"], "data": bytes(data).hex()})
    return out


def body(args):
    problems = []
    lab.require_programs(args.ipsecref)
    todo = units(args.source)
    if len(todo) < 100:
        raise Failure("only %d units under %s: not the project's fuzz corpora" % (len(todo), args.source))
    with lab.Lab(args.ipsecref) as L:
        L.start_gateway("gw", ["--spus", str(args.spus)])
        before = L.alive("gw")
        rss_before = L.rss_kib("gw")
        t0 = time.time()
        done = send(L, todo, "corpus")
        after = L.alive("gw")
        log("%d datagrams sent in %.1f s; gateway alive, VmRSS %d -> %d KiB; ike_in %d, ike_out %d, dropped %s"
            % (len(done), time.time() - t0, rss_before, L.rss_kib("gw"), after["ike_in"] - before["ike_in"],
               after["ike_out"] - before["ike_out"], json.dumps({k: v for k, v in after["dropped"].items() if v})))
        answered, kinds = 0, {}
        for u in done:
            answers = [bytes.fromhex(a) for a in u["answers"]]
            answered += bool(answers)
            for a in answers:
                m = ike_wire.parse(a[4:] if u["port"] == 4500 else a)
                k = "none" if m is None else "exchange %d %s" % (m["exchange"], ",".join(map(str, m["notifies"])) or "SA")
                kinds[k] = kinds.get(k, 0) + 1
            for p in judge(bytes.fromhex(u["data"]), u["port"], answers):
                problems.append("%s (port %d): %s" % (u["name"], u["port"], p))
        log("%d of %d datagrams answered; answers by kind: %s" % (answered, len(done), json.dumps(kinds, sort_keys=True)))
        # Keeps serving: a legitimate peer establishes and pings through.
        L.start_gateway("peer")
        L.ctl("peer", "initiate", "gw")
        try:
            L.established("peer", timeout=15)
            if L.ping_through() == 0:
                problems.append("after the corpus: no ping got through")
            else:
                log("legitimate peer established after the corpus and pinged through")
        except Failure as f:
            problems.append("after the corpus: %s" % f)
        # Messages of the established IKE SA that do not verify (none was
        # protected with its keys), with the Message ID it expects next.
        gw_sa = [sa for sa in L.ctl("gw", "list")["ike_sas"] if sa["state"] == "ESTABLISHED"]
        if gw_sa:
            sa = gw_sa[0]
            forged = on_the_sa(todo, bytes.fromhex(sa["spi_i"]), bytes.fromhex(sa["spi_r"]), 2)
            before = L.alive("gw")
            done = send(L, forged, "on-the-sa")
            after = L.alive("gw")
            answered = [u for u in done if u["answers"]]
            later = [s for s in L.ctl("gw", "list")["ike_sas"] if s["name"] == sa["name"]]
            log("%d corpus messages sent on the IKE SA %s: ike_in +%d, ike_out +%d, %d answered; the IKE SA: %s"
                % (len(forged), sa["name"], after["ike_in"] - before["ike_in"], after["ike_out"] - before["ike_out"],
                   len(answered), later[0]["state"] if later else "gone"))
            # R8: on an IKE SA, a message that does not verify is dropped
            # silently and changes nothing (RFC 7296 §2.21, §3.14).
            if after["ike_out"] != before["ike_out"] or answered:
                problems.append("R8: messages of the IKE SA that do not verify were answered (ike_out +%d, %d answered "
                                "here, first: %s)" % (after["ike_out"] - before["ike_out"], len(answered),
                                                      answered[0]["name"] if answered else "-"))
            if not later or (later[0]["state"], later[0]["spi_i"], later[0]["spi_r"]) != (
                    "ESTABLISHED", sa["spi_i"], sa["spi_r"]):
                problems.append("R8: the IKE SA changed: %s -> %s" % (sa, later))
            peer_sa = L.established("peer")
            L.ctl("peer", "liveness", peer_sa["name"])
            time.sleep(1)
            last = L.alive("gw")
            if last["ike_out"] - after["ike_out"] != 1:
                problems.append("R8: the peer's own liveness check (Message ID 2) was not answered afterwards")
            elif L.ping_through() == 0:
                problems.append("R8: no ping gets through after the messages on the IKE SA")
            else:
                log("the peer's liveness check with Message ID 2 is answered and it pings through")
        L.alive("gw")
    return problems


def self_test():
    """Each rule fires on a case made to break it; cases that keep the rules pass."""
    spi_i, spi_r = b"\x11" * 8, b"\x22" * 8
    init = ike_wire.ike_sa_init_request(spi_i)
    auth = ike_wire.header(spi_i, spi_r, ike_wire.ENCRYPTED, ike_wire.IKE_AUTH, ike_wire.FLAG_INITIATOR, 1, 32) + bytes(4)
    resp = ike_wire.header(spi_i, spi_r, 0, ike_wire.INFORMATIONAL, ike_wire.FLAG_RESPONSE, 3, 28)
    v3 = init[:17] + b"\x30" + init[18:]

    def answer(req_spi_r, exchange, message_id, first, body, flags=ike_wire.FLAG_RESPONSE):
        return ike_wire.header(spi_i, req_spi_r, first, exchange, flags, message_id, 28 + len(body)) + body

    def notify(kind):
        return ike_wire.generic(0, struct.pack("!BBH", 0, 0, kind))

    N = ike_wire.NOTIFY
    invalid_spi = answer(spi_r, ike_wire.INFORMATIONAL, 1, N, notify(ike_wire.INVALID_IKE_SPI))
    cookie = answer(bytes(8), ike_wire.IKE_SA_INIT, 0, N, notify(ike_wire.COOKIE))
    protected = answer(spi_r, ike_wire.IKE_AUTH, 1, ike_wire.ENCRYPTED, ike_wire.generic(0, bytes(20)))
    auth_failed = answer(spi_r, ike_wire.INFORMATIONAL, 1, N, notify(24))
    wrong_id = answer(spi_r, ike_wire.INFORMATIONAL, 7, N, notify(ike_wire.INVALID_IKE_SPI))
    no_r = answer(spi_r, ike_wire.INFORMATIONAL, 1, N, notify(ike_wire.INVALID_IKE_SPI), flags=0)
    major = answer(bytes(8), ike_wire.IKE_SA_INIT, 0, N, notify(ike_wire.INVALID_MAJOR_VERSION))
    init_auth_failed = answer(bytes(8), ike_wire.IKE_SA_INIT, 0, N, notify(24))
    init_invalid_syntax = answer(bytes(8), ike_wire.IKE_SA_INIT, 0, N, notify(ike_wire.INVALID_SYNTAX))
    cases = [  # (what, datagram, port, answers, the rule that must fire or None)
        ("no answer to a response", resp, 500, [], None),
        ("INVALID_IKE_SPI for an unknown SA", auth, 500, [invalid_spi], None),
        ("COOKIE for IKE_SA_INIT", init, 500, [cookie], None),
        ("INVALID_MAJOR_VERSION for version 3", v3, 500, [major], None),
        ("COOKIE on 4500 with the marker", ike_wire.NON_ESP_MARKER + init, 4500, [ike_wire.NON_ESP_MARKER + cookie], None),
        ("a response answered", resp, 500, [invalid_spi], "R1"),
        ("garbage answered", b"\x01\x02\x03", 500, [invalid_spi], "R1"),
        ("two answers", auth, 500, [invalid_spi, invalid_spi], "R2"),
        ("wrong Message ID", auth, 500, [wrong_id], "R3"),
        ("answer without the R flag", auth, 500, [no_r], "R3"),
        ("IKE_SA_INIT answered with AUTHENTICATION_FAILED", init, 500,
         [init_auth_failed], "R4"),
        ("IKE_SA_INIT answered with an unprotected INVALID_SYNTAX", init, 500,
         [init_invalid_syntax], "R4"),
        ("unknown SA answered with AUTHENTICATION_FAILED", auth, 500, [auth_failed], "R5"),
        ("unknown SA answered protected", auth, 500, [protected], "R4/R5"),
        ("version 3 answered with a COOKIE", v3, 500, [cookie], "R6"),
        ("answer on 4500 without the marker", ike_wire.NON_ESP_MARKER + init, 4500, [cookie], "R7"),
        ("ESP on 4500 answered", init, 4500, [ike_wire.NON_ESP_MARKER + cookie], "R7"),
    ]
    problems = []
    for what, data, port, answers, rule in cases:
        found = judge(data, port, answers)
        fired = [p for p in found if rule and p.startswith(rule)]
        if rule is None and found:
            problems.append("self-test %s: judged wrong: %s" % (what, found))
        elif rule is not None and not fired:
            problems.append("self-test %s: %s did not fire (found %s)" % (what, rule, found))
        else:
            print("ok   %-50s %s" % (what, found[0] if found else "no problem"))
    return problems


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("ipsecref", nargs="?")
    a.add_argument("source", nargs="?", help="the project's source directory (fuzz/ is under it)")
    a.add_argument("--self-test", action="store_true")
    a.add_argument("--spus", type=int, default=1, help="the gateway's SPUs")
    args = a.parse_args()
    if args.self_test:
        lab.main_wrapper(self_test)
    if not args.ipsecref or not args.source:
        a.error("IPSECREF and SOURCE_DIR are required without --self-test")
    lab.main_wrapper(lambda: body(args))


if __name__ == "__main__":
    main()
