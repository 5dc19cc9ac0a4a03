// The IKE exchanges of a capture, tracked per IKE SA (RFC 7296 §1, §2.1,
// §2.2): who initiated, every exchange with its message ID, request and
// response packets and retransmissions, each side's message ID sequence,
// IKE SA rekeying (§1.3.2, §2.8) and deletion (§1.4.1), IKE_SA_INIT retried
// after COOKIE or INVALID_KE_PAYLOAD (§2.6, §1.2), and the CHILD SAs the
// exchanges create, rekey and delete, linked to the ESP/AH SPIs seen on the
// wire. Every message is judged with JudgeIkeMessage (ike_judge.h); where
// keys are missing, what the headers allow is tracked (IDs, pairing,
// retransmissions) and the contents are said to be unseen.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/iana/ike.h"
#include "reference/classify/classify.h"
#include "interop/check/ike_judge.h"
#include "reference/io/keys.h"
#include "interop/check/packet_numbers.h"
#include "reference/io/pcap_reader.h"

namespace ipsecref::io {

enum class IkeSeverity : uint8_t {
  kNote,     // worth knowing, nobody broke anything (the capture may start late)
  kWarning,  // suspicious, or explained by packets the capture missed
  kError,    // a requirement broken: the check fails
};
std::string_view SeverityName(IkeSeverity severity);  // "note", "warning", "error"

enum class IkeFindingKind : uint8_t {
  kMalformed,               // the message does not decode
  kCutByCapture,            // the capture holds only part of the datagram
  kDecryptionFailed,        // SK/SKF does not verify or decrypt with the SA's keys
  kRuleViolation,           // payload or exchange rules broken
  kChangedRetransmission,   // same message ID and direction, different bytes
  kResponseWithoutRequest,  // no request with that message ID was seen
  kUnansweredRequest,       // no response was seen
  kMessageIdSkipped,        // a side's new request is more than one past its last
  kMessageIdBackwards,      // a side's new request is below one it already used
  kWrongInitiatorFlag,      // I flag against who originally initiated
  kContentsNotSeen,         // encrypted, and no keys for the IKE SA
  kEspAfterDelete,          // ESP/AH on an SPI whose deletion was answered
  kSpiNotCreated,           // ESP/AH SPI that no exchange in the capture created
};
inline constexpr size_t kIkeFindingKinds = 13;

// What a kind of finding is, as one table row.
struct IkeFindingInfo {
  IkeFindingKind kind;
  std::string_view key;          // "changed_retransmission", for JSON
  std::string_view name;         // "changed retransmission"
  IkeSeverity severity;
  std::string_view requirement;  // where none comes with the error itself
};
const IkeFindingInfo& Info(IkeFindingKind kind);

// One kind of finding (and, for decode, decryption and rule errors, one
// Code) with the packets that showed it.
struct IkeFinding {
  IkeFindingKind kind;
  IkeSeverity severity;
  std::optional<Code> code;  // the error's, when the finding is an Error
  std::string_view requirement;
  PacketNumbers packets;
  std::string example;  // the detail of the first one
};

struct IkeExchange {
  iana::ExchangeType type = iana::ExchangeType::kIkeSaInit;
  uint32_t message_id = 0;
  bool by_original_initiator = true;  // who sent the request
  PacketNumbers requests;  // packet numbers: every fragment and retransmission
  PacketNumbers responses;
  uint64_t request_retransmissions = 0, response_retransmissions = 0;
  bool contents_seen = false;  // some message of it decoded and decrypted
  std::string request_payloads, response_payloads;  // "SA KE Ni N(NAT_DETECTION_SOURCE_IP)"
  std::string outcome;  // "CHILD SA ESP 0xc0c9e5fa/0xc6076244 created", "COOKIE", ...
  bool retry_asked = false;  // IKE_SA_INIT answered with COOKIE or INVALID_KE_PAYLOAD
};

struct IkeSaReport {
  uint64_t spi_i = 0, spi_r = 0;  // spi_r 0 until the IKE_SA_INIT response
  // The original initiator and responder (§2.2), as the packets show them.
  Bytes initiator, responder;
  uint16_t initiator_port = 0, responder_port = 0;
  bool seen_from_start = false;  // its IKE_SA_INIT or the rekey that made it was seen
  bool keys_known = false;
  uint64_t packets = 0, bytes = 0;  // bytes: IP packet lengths
  Timestamp first, last;
  std::vector<IkeExchange> exchanges;
  // Each side's requests' message IDs in the order they were first seen.
  std::vector<uint32_t> initiator_ids, responder_ids;
  std::optional<size_t> rekeyed_from, rekeyed_to;  // into CaptureReport::ike_sas
  std::optional<uint64_t> rekeyed_at;              // packet of the rekey response
  std::optional<uint64_t> delete_requested, delete_answered;  // packets
  std::vector<IkeFinding> findings;
};

// One side of a CHILD SA: the SPI it chose, on which it receives (§2.17).
struct ChildSaSide {
  std::optional<uint32_t> spi;
  Bytes address;            // of the side that chose the SPI: the SA's destination
  std::optional<size_t> sa;  // its ESP/AH SA in CaptureReport::sas, if seen
};

struct ChildSaReport {
  SaProtocol protocol = SaProtocol::kEsp;
  size_t ike_sa = 0;  // the IKE SA whose exchange created it
  // IKEv1: the ISAKMP SA (into IkeReport::ikev1_sas) whose Quick Mode
  // created it; then ike_sa and created_by mean nothing.
  std::optional<size_t> ikev1_sa;
  iana::ExchangeType created_by = iana::ExchangeType::kIkeAuth;
  uint32_t created_message_id = 0;
  uint64_t created_at = 0;  // packet of the response
  // The exchange's initiator and responder (not necessarily the IKE SA's).
  ChildSaSide at_initiator, at_responder;
  std::optional<size_t> rekey_of;       // the CHILD SA it replaced (REKEY_SA)
  std::optional<size_t> rekeyed_by;     // the CHILD SA that replaced it
  std::optional<uint64_t> rekeyed_at;   // packet of that response
  std::optional<uint64_t> delete_requested, delete_answered;  // packets
  Timestamp delete_answered_time;
};

// An IKEv1 exchange (RFC 2408 §4, RFC 2409 §5): its messages share the
// cookies, the exchange type and the Message ID (0 for Phase 1). IKEv1 has
// no Response flag: the messages are listed in order, with who sent each.
struct Ikev1Exchange {
  uint8_t type = 0;  // ikev1::ExchangeType
  uint32_t message_id = 0;
  PacketNumbers messages;
  // Of each message, " | " between messages; "(encrypted)" when it was not
  // decrypted.
  std::string payloads;
  bool encrypted = false;  // some message of it had the E flag
  bool contents_seen = false;  // every message of it decoded, and decrypted where encrypted
  // "ESP SA 0xc0c9e5fa/0xc6076244 created", "Delete ISAKMP SA", "DPD R-U-THERE"
  std::string outcome;
};

// An ISAKMP SA (IKEv1), named by its cookies: listed with its exchanges,
// decrypted where its keys are known (an ikev1_decryption_table row, or
// keys.json's pre-shared key and g^xy), judged by the payloads' own rules
// (not IKEv2's). Quick Mode's SAs become CHILD SAs (IkeReport::child_sas,
// ikev1_sa set), linked to the ESP/AH SAs on the wire.
struct Ikev1SaReport {
  uint64_t cookie_i = 0, cookie_r = 0;  // cookie_r 0 until the responder's first message
  Bytes initiator, responder;           // the first message's source and destination
  uint16_t initiator_port = 0, responder_port = 0;
  bool keys_known = false;
  std::optional<uint64_t> deleted_at;  // packet of a Delete of the ISAKMP SA
  uint64_t packets = 0, bytes = 0;
  Timestamp first, last;
  std::vector<Ikev1Exchange> exchanges;
  std::vector<IkeFinding> findings;
};

//= ipsecref#choice
//# IKE SAs are tracked one by one up to this many; messages of further IKE
//# SAs (a flood of IKE_SA_INIT requests from random SPIs) are only counted
//# (IkeReport::untracked_messages) and judged each on its own (findings tied
//# to no IKE SA), so that memory stays bounded. IKE SAs made
//# by rekeying a tracked one are always tracked.
inline constexpr size_t kIkeSasTracked = 1024;

struct IkeReport {
  std::vector<IkeSaReport> sas;
  std::vector<Ikev1SaReport> ikev1_sas;  // at most kIkeSasTracked
  uint64_t untracked_messages = 0;  // of IKE SAs beyond kIkeSasTracked
  std::vector<ChildSaReport> child_sas;
  std::vector<IkeFinding> findings;  // not tied to one IKE SA
  uint64_t messages = 0;
};

// One IKE datagram as the capture shows it.
struct IkeDatagram {
  uint64_t number = 0;
  Timestamp timestamp;
  ByteSpan src, dst;  // IP addresses
  uint16_t sport = 0, dport = 0;
  ByteSpan message;   // from the IKE header on (non-ESP marker removed)
  bool cut = false;   // the capture holds less than the datagram
  size_t ip_length = 0;
};

//= rfc7296#section-1.4.1
//# Once the Delete is answered both SAs of the pair are closed; the RFC sets
//# no time periods, leaving how long to wait to each endpoint.
//= ipsecref#choice
//# ESP/AH already in flight when the Delete is answered is normal: we allow
//# it 1 second; traffic on the SPI later than that is a finding.
inline constexpr int64_t kDeleteGraceNanoseconds = 1'000'000'000;

class IkeExchangeTracker {
 public:
  explicit IkeExchangeTracker(const KeyStore& keys);
  ~IkeExchangeTracker();
  IkeExchangeTracker(const IkeExchangeTracker&) = delete;
  IkeExchangeTracker& operator=(const IkeExchangeTracker&) = delete;

  void Observe(const IkeDatagram& d);
  // An ESP/AH packet: judged against the CHILD SAs' deletions.
  void ObserveIpsec(SaProtocol protocol, uint32_t spi, ByteSpan dst, uint64_t number,
                    Timestamp timestamp);

  // Unanswered requests, CHILD SAs linked to `sas` (the ESP/AH SAs seen:
  // protocol, SPI, destination) and SPIs that no exchange created.
  struct SeenSa {
    SaProtocol protocol;
    uint32_t spi;
    ByteSpan dst;
    uint64_t first_packet;
  };
  IkeReport Finish(const std::vector<SeenSa>& sas);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The UDP payload that Classify found IKE in: ports and message, bounded by
// the UDP length and what the capture holds. Errors: the UDP header is not
// whole.
Result<IkeDatagram> IkeDatagramOf(ByteSpan ip, size_t captured, const Classified& c);

}  // namespace ipsecref::io
