// interop/check/ (harness, library ipsecref_check): the capture judge behind
// `ipsecref check` and `ike-decode`, on top of the reference stack.
//
// Judging a capture: every packet classified (IKE, NAT-keepalive, ESP,
// ESP-in-UDP, AH, other), every ESP and AH packet whose SA has keys run
// through the reference's receiver (RFC 4303 §3.4, RFC 4302 §3.4), and per
// SA: packets, bytes, time span, sequence numbers (gaps, reordering,
// replays) and what went wrong where.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "reference/base/result.h"
#include "reference/esp/esp_sa.h"
#include "reference/classify/classify.h"
#include "interop/check/ike_exchanges.h"
#include "reference/io/keys.h"
#include "interop/check/packet_numbers.h"
#include "reference/io/pcap_reader.h"
#include "reference/ip/packet.h"
#include "reference/ip/reassembly.h"

namespace ipsecref::io {


enum class Verdict : uint8_t {
  kNotJudged,  // not ESP/AH, or no keys for its SA
  kOk,         // verified (and decrypted)
  kDiscarded,  // verified, then discarded as the RFC says (ESP dummy packet)
  kFailed,     // the receiver drops it: the error says why
};

struct PacketResult {
  uint64_t number = 0;
  Timestamp timestamp;
  PacketKind kind = PacketKind::kOther;
  Verdict verdict = Verdict::kNotJudged;
  std::optional<size_t> sa;            // index into CaptureReport::sas
  std::optional<uint64_t> seq;         // the full number when verified, else as on the wire
  std::optional<Error> error;          // kFailed: why; otherwise a note (malformed, cut, no keys)
  std::vector<esp::Finding> findings;  // non-conformities that do not drop the packet
};

// One kind of problem and the packets that showed it.
struct ProblemSummary {
  Code code;
  std::string_view requirement;
  PacketNumbers packets;
  std::string example;  // the detail of the first one
};

//= ipsecref#choice
//# An SA's sequence numbers are kept as ranges of consecutive numbers; the
//# 1024 highest ranges stay open (a late number fills its gap), the gaps
//# below them are final. Memory per SA is bounded for any capture, and the
//# count is exact unless numbers arrive more than 1024 gaps late.
inline constexpr size_t kOpenSequenceRanges = 1024;

struct SequenceGap {
  uint64_t first_missing = 0;
  uint64_t last_missing = 0;
};

struct SaReport {
  SaProtocol protocol = SaProtocol::kEsp;
  uint32_t spi = 0;
  Bytes src, dst;  // as the packets give them
  bool keys_known = false;
  // The key files' views of this SA whose addresses differ from the
  // packets' (a NAT between the ends sees the SA under other addresses).
  std::vector<SaView> also_seen_as;
  std::string description;        // algorithms, mode and key origins, when known
  std::optional<Error> sa_error;  // the keys could not make an SA
  uint64_t packets = 0, ok = 0, discarded = 0, failed = 0;
  uint64_t bytes = 0;  // IP packet lengths, as the IP headers state them
  Timestamp first, last;
  // Over verified packets (keys known) or wire numbers (keys unknown).
  std::optional<uint64_t> lowest_seq, highest_seq;
  uint64_t missing = 0;  // numbers between lowest and highest never seen
  // The first kPacketsKept gaps, lowest first, and how many there are.
  std::vector<SequenceGap> gaps;
  uint64_t gap_count = 0;
  uint64_t out_of_order = 0;  // verified after a higher number had been
  // Numbers that arrived below the kOpenSequenceRanges highest ranges of
  // numbers seen (kOpenSequenceRanges gaps earlier): counted out of order,
  // not matched against the gaps there (which `missing` may then overcount).
  uint64_t below_tracked = 0;
  PacketNumbers replays;  // packets dropped as replayed or stale
  std::vector<ProblemSummary> failures;
  std::vector<ProblemSummary> findings;
  uint64_t first_packet = 0;  // number of its first packet
  // Notable packets of this SA beyond the first kPacketsKept, not listed.
  uint64_t notable_not_kept = 0;
  // Not one SA: the packets of the SPIs without keys beyond the
  // CheckOptions::sas_without_keys first ones, counted together (packets,
  // bytes, verdicts, times; no sequence numbers). `spi` is 0.
  bool others = false;
};

struct CaptureReport {
  std::string capture;
  std::string link_type;
  uint64_t packets = 0;
  Timestamp first, last;
  std::array<uint64_t, kPacketKinds> kinds{};
  std::vector<SaReport> sas;
  // Every packet that failed, was discarded, had findings or a note; all
  // packets with CheckOptions::record_all_packets. Of these, the first
  // kPacketsKept per SA, and per packet kind for packets of no SA, are kept;
  // the others are counted (here and per SA in SaReport::notable_not_kept).
  std::vector<PacketResult> notable;
  uint64_t notable_not_kept = 0;
  // The file broke off or is damaged after `packets` records (libpcap's
  // message, with the record's number); what came before is judged.
  std::optional<Error> read_error;
  // IP reassembly: datagrams made whole from fragments (each counted in
  // `kinds` by what it carries, besides its fragments under "fragment"), and
  // datagrams given up (overlap, incomplete, limits) with their fragments.
  uint64_t reassembled = 0;
  std::vector<ProblemSummary> reassembly;

  // IKE: every message judged and tracked per IKE SA (ike_exchanges.h);
  // the CHILD SAs its exchanges made, linked to `sas`; findings not tied to
  // one IKE SA (SPIs no exchange created).
  std::vector<IkeSaReport> ike_sas;
  std::vector<Ikev1SaReport> ikev1_sas;  // IKEv1: listed per ISAKMP SA, not judged as IKEv2
  std::vector<ChildSaReport> child_sas;
  std::vector<IkeFinding> ike_findings;
  uint64_t ike_messages = 0;
  uint64_t ike_untracked_messages = 0;  // of IKE SAs beyond kIkeSasTracked
  // Packets of IKE findings of that severity (errors fail the check).
  uint64_t ike_count(IkeSeverity severity) const;

  uint64_t failed() const;    // ESP/AH packets failed, and IKE errors
  uint64_t findings() const;  // and IKE warnings
};

struct CheckOptions {
  //= rfc4303#section-3.4.3
  //# A receiver supports a window of at least 32 packets, 64 by default, and
  //# may use a larger one.
  //= ipsecref#choice
  //# A capture is judged with a 1024-packet window, wider than the
  //# receiver's is likely to be, so that only true duplicates count as
  //# replays. An SA whose keys state the receiver's window (keys.json) is
  //# judged with that one.
  uint32_t replay_window = 1024;
  // Lists every packet (CheckOptions::record_all_packets): memory grows
  // with the capture, as the user asked for every packet.
  bool record_all_packets = false;
  //= ipsecref#choice
  //# SAs without keys are tracked one by one up to this many; the packets of
  //# further SPIs are counted as one aggregate (SaReport::others), so that a
  //# capture of random SPIs costs bounded memory. SAs with keys are bounded
  //# by the key files.
  size_t sas_without_keys = 1024;
  // Fragments are reassembled before they are judged (RFC 4303 §3.4.1).
  ip::ReassemblyLimits reassembly;
  // CheckCapture calls it after each record (progress on long captures).
  std::function<void(const PcapReader&)> on_record;
};

// Called for each verified packet with what the receiver hands up: the
// inner packet (tunnel mode) or the rebuilt packet (transport mode).
using InnerPacketSink = std::function<void(const PacketResult&, ByteSpan inner)>;

class CaptureChecker {
 public:
  CaptureChecker(const KeyStore& keys, CheckOptions options = {}, InnerPacketSink sink = {});
  ~CaptureChecker();
  CaptureChecker(const CaptureChecker&) = delete;
  CaptureChecker& operator=(const CaptureChecker&) = delete;

  void Process(const CapturedPacket& packet);
  // Sums up the sequence numbers; the checker is spent afterwards.
  CaptureReport Finish(std::string capture_name, std::string link_type);

 private:
  struct SaState;
  struct Located;
  SaState& StateFor(SaProtocol protocol, uint32_t spi, ByteSpan src, ByteSpan dst);
  void Judge(SaState& state, ByteSpan ip, const ip::PacketView& view, PacketResult& result);
  void Record(SaState& state, PacketResult& result, size_t ip_length);
  // Feeds a fragment to the reassembler: the datagram it completes, if any.
  std::optional<ip::Reassembled> Reassemble(const CapturedPacket& packet, PacketResult& result);
  void ReportAbandoned(std::vector<ip::AbandonedDatagram> abandoned, PacketResult* current);
  // Keeps a notable packet if its SA or kind has fewer than kPacketsKept.
  void KeepNotable(PacketResult result);

  const KeyStore& keys_;
  CheckOptions options_;
  InnerPacketSink sink_;
  std::vector<std::unique_ptr<SaState>> states_;
  using StateKey = std::tuple<uint8_t, uint32_t, Bytes>;  // protocol, SPI, destination
  std::map<StateKey, size_t> index_;                      // into states_
  ip::Reassembler reassembler_;
  std::vector<PacketResult> late_;  // findings on fragments already passed
  size_t sas_without_keys_ = 0;
  std::optional<size_t> others_;                      // into states_: SaReport::others
  std::array<uint64_t, kPacketKinds> notable_kept_{};  // of packets of no SA
  CaptureReport report_;
  std::unique_ptr<IkeExchangeTracker> ike_;  // made at the first IKE or ESP/AH packet
};

// Reads the capture at `path` and checks every packet.
Result<CaptureReport> CheckCapture(const std::string& path, const KeyStore& keys,
                                   const CheckOptions& options = {}, InnerPacketSink sink = {});

}  // namespace ipsecref::io
