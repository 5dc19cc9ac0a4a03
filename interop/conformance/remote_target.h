// The remote targets of `ipsecref conformance`: an implementation under test
// (IUT) reached over real UDP, in real time. The tester is the reference
// peer of the reference target, with the same deviations; only the
// transport changes. The run keeps a testing::Exchange whose second peer
// stands in for the IUT's address but is never delivered anything: each
// datagram the tester sends (after the deviations' network filters) goes
// over a real socket to the IUT, each datagram the IUT sends goes through
// the exchange's network (so that the filters and the capture see it) to
// the tester, the fake clock reads the real time elapsed, and the judge
// reads the same Observation as for the reference (runner.h, Conduct).
//
//   udp:ADDR[:PORT]  an IUT someone else runs; --target-file says how it is
//                    configured, seen from the tester (the gateway's
//                    swanctl.conf syntax, reference/gateway/swanctl_conf.h),
//                    plus an ipsecref `conformance` section with the
//                    commands that make it act and the features it has.
//   strongswan       Debian's charon, started for each run in a network
//                    namespace of its own with a swanctl.conf made from the
//                    run's setup, and removed afterwards (needs root).
//   gateway          `ipsecref gateway`, the same way.
//   strongswan-xfrm  charon with kernel-netlink: the kernel's own IPsec
//                    (XFRM) carries its ESP and AH, inside a user-mode
//                    Linux guest (interop/uml/guest.sh).
//   libreswan        libreswan's pluto on the kernel's XFRM, the same way,
//                    with an ipsec.conf made from the run's setup.
#pragma once

#include <memory>
#include <string>

#include "interop/conformance/runner.h"

namespace ipsecref::conformance {

//= ipsecref#choice
//# A remote run settles when the IUT has sent nothing new (and the tester
//# nothing but retransmissions) for this long: longer than strongSwan's
//# first retransmission (charon.retransmit_timeout, 4 s), so that one
//# retransmission of the IUT is seen and a silent drop is told from a late
//# answer, but far shorter than the reference target's ten fake minutes.
inline constexpr double kDefaultSettleSeconds = 6.0;
inline constexpr double kMaxSettleSeconds = 600.0;

// `udp:ADDR[:PORT]` (ADDR an IPv4 address or a bracketed IPv6 one, PORT
// 500 by default) with the target file at `target_file`. Errors:
// kInvalidArgument naming --target or --target-file and what is wrong
// (FILE:LINE for the file), kIoError for a file that cannot be read.
//
// The target file is a swanctl.conf with exactly one connection: its local
// end is the tester, its remote end the IUT (remote_addrs is not used:
// --target names the IUT). An optional top-level section
//
//   conformance {
//     reset = COMMAND           # before each run: the IUT forgets the SAs of the last
//     initiate = COMMAND        # makes the IUT start an IKE SA (role initiator)
//     child-rekey = COMMAND     # an iut:OP drive step, for each OP it can do
//     features = fragmentation, cookies, ecp256
//   }
//
// gives the commands (run with /bin/sh -c; `reset` to its end, the others
// in the background while the tester answers) and the features the IUT
// has; a case needing another is unsupported. Runs follow each other on the
// same IUT: without `reset`, what one run leaves there (an IKE SA, a CHILD
// SA) can change the next.
//
// The tester's messages carry the exchange's addresses (192.0.2.1 and
// 192.0.2.2) in their NAT detection hashes: unless the real addresses are
// those, both ends see a NAT (RFC 7296 §2.23) and move to port 4500, which
// the target maps like port 500.
Result<std::unique_ptr<Target>> MakeUdpTarget(const std::string& target, const std::string& target_file,
                                              double settle_seconds);

// The strongswan target. Errors: kUnsupported naming what is missing (not
// root, a program tools/setup.sh installs).
// With `keep_iut` (strongswan and gateway), the IUT started for the first
// run stays for the next ones, as long as their setups give it the same
// configuration (a run whose setup differs is refused): the network
// fuzzer's probes reach the daemon its mutated messages reached
// (Target::IutExited, IutFiles, ForgetIut).
Result<std::unique_ptr<Target>> MakeStrongswanTarget(double settle_seconds, bool keep_iut = false);

// The strongswan target on the kernel's XFRM, and the libreswan target.
// Errors: kUnsupported naming what is missing (not root, a program
// tools/setup.sh installs, a kernel without XFRM ESP and AH: the reason
// says to run it inside interop/uml/guest.sh).
Result<std::unique_ptr<Target>> MakeStrongswanXfrmTarget(double settle_seconds);
Result<std::unique_ptr<Target>> MakeLibreswanTarget(double settle_seconds);

// The gateway target: `ipsecref gateway` (this executable) run as the
// strongswan target runs charon, driven with `ipsecref ctl`. Errors:
// kUnsupported naming what is missing (not root, ip).
Result<std::unique_ptr<Target>> MakeGatewayTarget(double settle_seconds, bool keep_iut = false);

// True once SIGINT or SIGTERM came while a remote target existed: the run
// in progress failed with "interrupted by a signal", and a caller that
// keeps a summary of several runs (the network fuzzer) writes it and stops.
bool InterruptedBySignal();

}  // namespace ipsecref::conformance
