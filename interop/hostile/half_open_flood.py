#!/usr/bin/python3
"""half_open_flood.py IPSECREF [options]: a half-open IKE_SA_INIT flood against a live `ipsecref gateway`.

Namespaces (lab.py): the gateway under test (192.0.2.2, one connection for
%any peers, PSK), a legitimate peer (a second `ipsecref gateway`,
192.0.2.1) and a flood namespace that owns 10.99.0.0/16 (the gateway
routes it there) with --addresses of its addresses on its link.

Phase 1: ike_flood.py sends --per-address IKE_SA_INIT requests from each of
--addresses addresses (2000 from 500 by default), each from its own port, at
--rate a second; meanwhile the legitimate peer initiates and pings through.
Phase 2: --echo-addresses addresses send one request each and echo the
COOKIE they get (RFC 7296 §2.6), as a flooder with real addresses can: that
drives the half-open count to the gateway's limit.
Then the half-open IKE SAs time out (30 s, the state machine's
half_open_timeout), and the legitimate peer establishes again.

Checks (each a FAIL line; exit 1 if any):
- the gateway never exits and answers `ctl stats` (sampled every 0.1 s);
- its VmRSS (/proc/PID/status) stays under the RSS before the flood plus
  --rss-growth-kib (README.md says why that bound);
- cookies switch on: in phase 1 at most --cookie-threshold requests make a
  half-open IKE SA (an answer with SA and KE), every other answer is
  N(COOKIE) (notify type 16390, RFC 7296 §3.10.1), read by Scapy, and at
  least 90% of the requests beyond the threshold get one (a loaded machine
  may lose a few in socket buffers; in the runs measured none was lost);
- `ctl stats` half_open never exceeds --half-open-limit, and in phase 2 it
  reaches it (so the limit, not a lull in the flood, is what bounded it);
- the legitimate peer establishes during phase 1 and after the flood, and
  pings through both times; after the timeout half_open is 0 again.

--gateway-half-open-limit and --gateway-cookie-threshold give the gateway
another limit or threshold than the one checked: a gateway that does not
keep its limit, or does not ask for cookies when it should (the negative
ctests).
Exit 0 all checks passed, 1 a check failed (also: a program missing, not
root), 2 bad usage.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

# Nothing written into the source tree (no __pycache__ beside the modules).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
from lab import Failure, log  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Sampler(threading.Thread):
    """Reads the gateway's VmRSS and `ctl stats` every 0.1 s."""

    def __init__(self, L):
        super().__init__(daemon=True)
        self.L = L
        self.stop = threading.Event()
        self.max_rss = 0
        self.max_half_open = 0
        self.samples = 0
        self.error = None

    def run(self):
        while not self.stop.is_set():
            try:
                rss = self.L.rss_kib("gw")
                s = self.L.alive("gw")
                self.max_rss = max(self.max_rss, rss)
                self.max_half_open = max(self.max_half_open, int(s["half_open"]))
                self.samples += 1
            except Exception as e:  # the gateway went away: say so once
                self.error = str(e)
                return
            self.stop.wait(0.1)


def flood(L, args, addresses, per_address, echo):
    command = ["/usr/bin/python3", os.path.join(HERE, "ike_flood.py"), lab.GW,
               "--addresses", str(addresses), "--per-address", str(per_address), "--rate", str(args.rate)]
    if echo:
        command.append("--echo-cookies")
    return L.spawn("flood", command, "flood-%s.log" % ("echo" if echo else "plain"))


def flood_result(L, p, name, timeout):
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure("the %s flood did not end in %d s" % (name, timeout))
    text = L.log_of("flood-%s" % name)
    if p.returncode != 0:
        raise Failure("ike_flood.py (%s) exit %d: %s" % (name, p.returncode, text[-2000:]))
    return json.loads(text.strip().splitlines()[-1])


def body(args):
    problems = []
    lab.require_programs(args.ipsecref)
    gateway_limit = args.gateway_half_open_limit or args.half_open_limit
    gateway_threshold = args.gateway_cookie_threshold if args.gateway_cookie_threshold is not None else args.cookie_threshold
    # Threshold and limit hold per connection and SPU (`ipsecref gateway --help`).
    threshold = args.cookie_threshold * args.spus
    limit = args.half_open_limit * args.spus
    with lab.Lab(args.ipsecref, flood=True) as L:
        # The flood's source addresses, on the flood namespace's link.
        batch = "".join("addr add %s/32 dev %s\n" % (lab.flood_address(i), L.flood_link)
                        for i in range(args.addresses))
        with open(os.path.join(L.dir, "addresses.batch"), "w") as f:
            f.write(batch)
        L.run("ip", "-n", L.ns("flood"), "-batch", os.path.join(L.dir, "addresses.batch"))
        L.start_gateway("gw", ["--cookie-threshold", str(gateway_threshold),
                               "--half-open-limit", str(gateway_limit), "--spus", str(args.spus)])
        L.start_gateway("peer")
        time.sleep(0.5)
        rss_before = L.rss_kib("gw")
        log("gateway up, %d SPU(s): VmRSS %d KiB; cookie threshold %d, half-open limit %d in all (the gateway's "
            "per SPU: %d, %d)" % (args.spus, rss_before, threshold, limit, gateway_threshold, gateway_limit))
        sampler = Sampler(L)
        sampler.start()

        # -- phase 1: plain flood, the legitimate peer initiates meanwhile --
        t0 = time.time()
        p = flood(L, args, args.addresses, args.per_address, echo=False)
        # The legitimate peer starts once the flood is under way (a tenth of it in).
        ike_in = int(L.alive("gw")["ike_in"])
        deadline = time.time() + 20
        while int(L.alive("gw")["ike_in"]) < ike_in + args.addresses * args.per_address // 10:
            if time.time() > deadline or p.poll() is not None:
                raise Failure("the flood did not get under way: %s" % L.log_of("flood-plain")[-2000:])
            time.sleep(0.05)
        L.ctl("peer", "initiate", "gw")
        try:
            sa = L.established("peer", timeout=15)
            peer_out = int(L.stats("peer")["ike_out"])
            log("legitimate peer established during the flood after %.1f s (%d IKE messages sent): %s"
                % (time.time() - t0, peer_out, sa["name"]))
            # IKE_SA_INIT, IKE_SA_INIT with the cookie, IKE_AUTH.
            if peer_out < 3:
                problems.append("the legitimate peer sent only %d IKE messages during the flood: "
                                "it was not asked for a cookie" % peer_out)
            received = L.ping_through()
            if received == 0:
                problems.append("no ping got through the tunnel made during the flood")
        except Failure as f:
            problems.append("during the flood: %s" % f)
        plain = flood_result(L, p, "plain", 120)
        log("phase 1: %s" % json.dumps(plain))
        stats1 = L.alive("gw")
        log("gateway after phase 1: half_open %s, ike_in %s, ike_out %s, VmRSS %d KiB"
            % (stats1["half_open"], stats1["ike_in"], stats1["ike_out"], L.rss_kib("gw")))
        # At most the threshold's worth of requests may make state; the rest
        # must be answered with a cookie (RFC 7296 §2.6).
        if plain["sa_answers"] > threshold:
            problems.append("phase 1: %d requests made a half-open IKE SA, more than the cookie threshold %d"
                            % (plain["sa_answers"], threshold))
        # A loaded machine may lose a few requests in the socket buffers: 90%
        # of those beyond the threshold must come back with a cookie.
        if plain["cookie_answers"] < 0.9 * (plain["sent"] - threshold):
            problems.append("phase 1: only %d of %d requests were answered with N(COOKIE) (threshold %d): "
                            "cookies did not switch on" % (plain["cookie_answers"], plain["sent"], threshold))
        if plain["other"] or plain["unreadable"]:
            problems.append("phase 1: answers neither COOKIE nor SA/KE/Nonce: %s, %d unreadable"
                            % (plain["other"], plain["unreadable"]))

        # -- phase 2: flooders that echo the cookie fill the half-open table --
        p = flood(L, args, args.echo_addresses, 1, echo=True)
        echo = flood_result(L, p, "echo", 120)
        log("phase 2: %s" % json.dumps(echo))
        time.sleep(0.3)
        sampler.stop.set()
        sampler.join()
        stats2 = L.alive("gw")
        rss_flood = sampler.max_rss
        log("flood over after %.1f s: max half_open %d, max VmRSS %d KiB (+%d KiB), %d samples"
            % (time.time() - t0, sampler.max_half_open, rss_flood, rss_flood - rss_before, sampler.samples))
        if sampler.error:
            problems.append("during the flood: %s" % sampler.error)
        if sampler.max_half_open > limit:
            problems.append("half_open reached %d, more than the half-open limit %d"
                            % (sampler.max_half_open, limit))
        if max(sampler.max_half_open, int(stats2["half_open"])) < limit:
            problems.append("half_open reached only %d, never the limit %d: the flood did not test the limit"
                            % (sampler.max_half_open, limit))
        if rss_flood - rss_before > args.rss_growth_kib:
            problems.append("VmRSS grew by %d KiB during the flood (%d -> %d), more than %d KiB"
                            % (rss_flood - rss_before, rss_before, rss_flood, args.rss_growth_kib))

        # -- after: half-open IKE SAs time out; the legitimate peer again --
        deadline = time.time() + 45
        while int(L.alive("gw")["half_open"]) > 0 and time.time() < deadline:
            time.sleep(0.5)
        stats3 = L.alive("gw")
        rss_after = L.rss_kib("gw")
        log("after the half-open timeout: half_open %s, VmRSS %d KiB" % (stats3["half_open"], rss_after))
        if int(stats3["half_open"]) != 0:
            problems.append("half_open still %s 45 s after the flood (half_open_timeout 30 s)" % stats3["half_open"])
        for sa in L.ctl("peer", "list").get("ike_sas", []):
            L.ctl("peer", "terminate", sa["name"], check=False)
        time.sleep(1)
        L.ctl("peer", "initiate", "gw")
        try:
            L.established("peer", timeout=15)
            if L.ping_through() == 0:
                problems.append("after the flood: no ping got through")
            else:
                log("legitimate peer established again after the flood and pinged through")
        except Failure as f:
            problems.append("after the flood: %s" % f)
        L.alive("gw")
        log("numbers: requests %d+%d (echoed %d), cookies %d+%d, half-open made %d+%d, VmRSS before %d, "
            "max %d, after %d KiB, max half_open %d"
            % (plain["sent"], echo["sent"], echo["echoed"], plain["cookie_answers"], echo["cookie_answers"],
               plain["sa_answers"], echo["sa_answers"], rss_before, rss_flood, rss_after, sampler.max_half_open))
    return problems


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("ipsecref")
    a.add_argument("--addresses", type=int, default=500)
    a.add_argument("--per-address", type=int, default=4)
    a.add_argument("--rate", type=int, default=1000, help="requests a second")
    a.add_argument("--echo-addresses", type=int, default=200)
    a.add_argument("--cookie-threshold", type=int, default=8)
    a.add_argument("--half-open-limit", type=int, default=64)
    a.add_argument("--gateway-half-open-limit", type=int, default=0)
    a.add_argument("--gateway-cookie-threshold", type=int, default=None)
    a.add_argument("--rss-growth-kib", type=int, default=16384)
    a.add_argument("--spus", type=int, default=1,
                   help="the gateway's SPUs; threshold and limit hold per SPU, so the totals checked are N times theirs")
    args = a.parse_args()
    if args.addresses > 250 * 250 or args.echo_addresses > args.addresses:
        a.error("--addresses at most 62500, --echo-addresses at most --addresses")
    lab.main_wrapper(lambda: body(args))


if __name__ == "__main__":
    main()
