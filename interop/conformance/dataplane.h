// The ESP and AH dataplane of the conformance suite (RFC 4303, RFC 4302,
// RFC 4301 §5.2, RFC 3948): through the CHILD SAs the initial exchanges
// negotiated, the tester sends ICMP echo requests (inner addresses inside
// the traffic selectors), some of them with a named deviation, and reads
// which of them the IUT answered: only what comes back on the wire,
// decrypted or verified with the tester's inbound keys. The names say ESP
// (EspSpec, EspDeviation, ...) for both: an `ah=SPEC` step is the same
// step on a CHILD SA of AH, with the deviations that exist for AH.
//
// For the reference target the IUT side is here too (MakeReferenceHost,
// reference_host.cc): the reference's own ESP SAs (reference/esp/) receive
// as RFC 4303 §3.4 says, the inner packet is checked against the SA's
// selectors (RFC 4301 §5.2), and, like a host behind the gateway, every
// echo request accepted is answered over the outbound SA the SPD picks.
// Faults of that side (a receiver without anti-replay, one that ignores the
// ICV, ...) live there, in the harness, so that mutation testing can show
// each case can fail. Its AH SAs are reference/ah/'s, receiving as RFC 4302
// §3.4 says.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/crypto/primitives.h"
#include "reference/ah/ah_sa.h"
#include "reference/esp/esp_sa.h"
#include "reference/ike/sa/ike_sa.h"
#include "reference/testing/exchange.h"

namespace ipsecref::conformance::dataplane {

// What the tester does to the ESP or AH packets of a drive step
// `tester:esp=SPEC` or `tester:ah=SPEC` (a row of EspDeviations()).
struct EspDeviation {
  std::string_view name;
  std::string_view requirement;  // where the RFC says how the receiver reacts
  bool answered;                 // whether a conformant IUT answers the deviant echo requests
  std::string_view does;         // what the tester sends
  bool esp = true;               // the deviation exists for ESP
  bool ah = false;               // ... and for AH (with `ah_requirement`)
  std::string_view ah_requirement = {};
};
std::span<const EspDeviation> EspDeviations();

// STEP: esp=SPEC or ah=SPEC, SPEC: DEVIATION[:COUNT] (COUNT deviant
// packets, 1 to 64; 1 by default). Errors name a deviation unknown, or not
// one of that protocol's.
struct EspSpec {
  const EspDeviation* deviation = nullptr;
  size_t count = 1;
  iana::SecurityProtocol protocol = iana::SecurityProtocol::kEsp;
};
Result<EspSpec> ParseEspSpec(std::string_view step);
// Whether a drive step's text after "tester:" is a dataplane step.
bool IsDataplaneStep(std::string_view what);

// Faults of the reference IUT's dataplane (mutation testing): a name each,
// and what the faulty receiver does.
struct HostFault {
  std::string_view name;
  std::string_view does;
};
std::span<const HostFault> HostFaults();
bool IsHostFault(std::string_view name);

// One echo request the tester sent, and what came back for it.
struct Probe {
  uint16_t icmp_sequence = 0;  // the echo request's Sequence Number (RFC 792)
  uint64_t esp_sequence = 0;
  std::string deviation;       // empty: a clean probe, sent as the RFC says
  size_t answers = 0;          // echo replies that came back for it
};

// One ESP packet between the tester and the IUT, for the ladder.
struct WirePacket {
  int64_t at = 0;  // the fake clock's reading
  bool from_iut = false;
  bool lost = false;  // taken off by the NAT (nothing maps it back)
  Bytes packet;       // the outer IP packet as on the wire between the NAT and the IUT
  std::string text;   // "ESP SPI 0xc0010001 seq 2: echo request 2 (bad-icv)"
};

// The IUT side a link delivers to: an outer IP packet in, the packets the
// IUT sends back out.
class Iut {
 public:
  virtual ~Iut() = default;
  // Installs the CHILD SAs of `sa` that are new (the IUT's IKE SA).
  virtual Status Sync(const ike::sa::IkeSa& sa) = 0;
  virtual std::vector<Bytes> Receive(ByteSpan packet) = 0;
  // A real IUT installs its CHILD SAs itself: it needs no Sync, and the
  // link sends without the IUT's IKE SA.
  virtual bool installs_own_sas() const { return false; }
};

// The reference IUT: its CHILD SAs as reference/esp/ SAs (anti-replay
// window 64, RFC 4303 §3.4.3's default; padding inspected, §2.4), the
// inbound selector check of RFC 4301 §5.2, a host that answers echo
// requests. `faults`: names of HostFaults(). Errors: an unknown fault.
Result<std::unique_ptr<Iut>> MakeReferenceHost(std::vector<std::string> faults, uint64_t seed);

// The tester's end of the dataplane over one IKE SA: its CHILD SAs' ESP SAs,
// the NAT in front of it (if any), and everything it sent and received.
class Link {
 public:
  // `lenient`: the deviations are not applied (the deviant packets go out
  // as clean ones): mutation testing's "lenient" fault.
  Link(Iut& iut, std::optional<testing::Nat> nat, uint64_t seed, bool lenient = false);
  ~Link();

  // One drive step: a clean echo request, COUNT deviant ones (after what
  // the deviation does first), a clean one, each delivered to the IUT and
  // its answers read. The probes go on the first installed CHILD SA of
  // `tester` (the tester's IKE SA; `iut` is the IUT's, to sync its SAs,
  // or nullptr for an IUT that installs its own).
  // What cannot be sent is kept as a note (notes()), not an error: the
  // checks then say what was missing. `ike_before`: how many IKE datagrams
  // the run had sent before this step (steps() places the step's packets).
  void Send(const EspSpec& spec, const ike::sa::IkeSa* tester, const ike::sa::IkeSa* iut, int64_t at,
            size_t ike_before = 0);

  const std::vector<Probe>& probes() const { return probes_; }
  const std::vector<WirePacket>& wire() const { return wire_; }
  const std::vector<std::string>& notes() const { return notes_; }
  // The SPI and (full) sequence number of each ESP packet of the IUT the
  // tester decrypted, in arrival order.
  const std::vector<std::pair<uint32_t, uint64_t>>& replies() const { return replies_; }
  // Per step: the run's IKE datagrams before it and its first packet in wire().
  const std::vector<std::pair<size_t, size_t>>& steps() const { return steps_; }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::vector<Probe> probes_;
  std::vector<WirePacket> wire_;
  std::vector<std::string> notes_;
  std::vector<std::pair<uint32_t, uint64_t>> replies_;
  std::vector<std::pair<size_t, size_t>> steps_;
};

// --- pieces, for the tests and the reference IUT --------------------------------

// Whether `c` is an ESP or AH SA that carries traffic (installed, or
// being rekeyed).
bool Carries(const ike::sa::ChildSa& c);
// The reference/esp/ configuration of one direction of `c` as `sa`'s end
// holds it: tunnel mode, its keys and outer addresses, ESP in UDP on IKE's
// ports when a NAT was detected.
esp::SaConfig EspConfigOf(const ike::sa::IkeSa& sa, const ike::sa::ChildSa& c, bool inbound, crypto::Rng* rng);
// The same for a CHILD SA of AH (tunnel mode; AH has no UDP encapsulation).
ah::SaConfig AhConfigOf(const ike::sa::IkeSa& sa, const ike::sa::ChildSa& c, bool inbound);
// Where the AH header of an outer packet sits (after the IP header chain),
// or nothing when the packet does not carry AH.
std::optional<size_t> LocateAh(ByteSpan packet);

// The inner address the tester uses in `ts`: in the first IPv4 selector,
// its first address after the start when the range has more than one;
// empty when no selector is IPv4.
Bytes AddressIn(const std::vector<ike::TrafficSelector>& ts);

// An IPv4 ICMP echo request (RFC 792) from `src` to `dst` with identifier
// `id` and sequence number `seq`, 16 data bytes; or its reply (type 0,
// addresses swapped) when `reply`.
Bytes EchoPacket(ByteSpan src, ByteSpan dst, uint16_t id, uint16_t seq, bool reply = false);
// The echo request or reply `packet` carries: its identifier and sequence
// number, or nothing when it is not an IPv4 ICMP echo of that type with a
// correct checksum.
struct Echo {
  uint16_t id = 0, seq = 0;
  bool reply = false;
};
std::optional<Echo> ReadEcho(ByteSpan packet);

}  // namespace ipsecref::conformance::dataplane
