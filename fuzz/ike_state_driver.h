// The driver of the stateful IKEv2 fuzz targets (ike_responder_fuzzer.cc,
// ike_initiator_fuzzer.cc) and of their seed generator
// (make_ike_state_seeds.cc): two reference peers in the exchange harness
// (reference/testing/exchange.h), one of them the target, the other the
// fuzzer's accomplice, whose keys the fuzzer borrows to encrypt what it writes,
// so that its bytes reach the target's code after decryption.
//
// Input (multi-byte numbers big-endian):
//
//   setup(1) | { type(1) | length(2) | body(length) }*      (at most 64 records;
//                                                           a short last body is what is left)
//   setup: bits 0-1 stage reached by the real peers before the records:
//            0 nothing (the initiator target has sent IKE_SA_INIT, in flight),
//            1 IKE_SA_INIT done (the initiator's IKE_AUTH request in flight),
//            2 established with the first CHILD SA,
//            3 established, then a second CHILD SA created;
//          bits 2-3 configuration: 0 PSK + Curve25519 (testing::PskInitiatorConfig),
//            1 the responder asks for a COOKIE always, 2 the initiator proposes
//            Curve25519 then ECP-256 and the responder takes ECP-256 only
//            (INVALID_KE_PAYLOAD), 3 a window of 4, liveness checks after 20 s
//            idle, IKE SA rekeying after 1 h and CHILD SA rekeying after 30 min.
//   type & 7:
//     0 raw datagram to the target's port 500 from the accomplice's address;
//     1 the same to port 4500 (the body includes any non-ESP marker);
//       with type bit 3, the body's first 16 bytes (where present) are
//       overwritten with the SPIs of the target's first IKE SA (SPIr only
//       where known);
//     2 an encrypted request, 3 an encrypted response:
//       sel(1) | exchange type(1) | [Message ID(4) if sel bit 2] | first inner payload type(1) | inner payloads
//       sel bits 0-1: the accomplice's keyed IKE SA (modulo their number; none: the
//       record is skipped), whose SPIs, direction keys (SK_ei/SK_ai as original
//       initiator, else SK_er/SK_ar) and endpoints are used; bit 3 flips the R
//       flag, bit 4 the I flag, bit 5 sets minor version 1, bit 6 the SK
//       payload's critical bit. Without bit 2 a request takes the Message ID
//       after the highest request the target received on that IKE SA, a
//       response the ID of the target's latest request on it;
//     4 time passes: the body (up to 4 bytes) is a number of milliseconds;
//     5 an operation: who-op(1) | IKE SA index(1) | CHILD SA index(1):
//       who-op bit 0 the target (else the accomplice), bits 1-3 Initiate,
//       CreateChild, RekeyChild, RekeyIke, DeleteChild, DeleteIke,
//       CheckLiveness (7: Initiate too); indexes modulo the SAs there are;
//     6 deliver the next n datagrams in flight, to either peer (body[0] = n, 0 or none: all,
//       at most 256);
//     7 drop the next n datagrams in flight (body[0] = n, 0 or none: all).
//   After every record both peers Tick() and the invariants are checked:
//   the target's IKE SAs have distinct non-zero local SPIs and distinct SPI
//   pairs, keys once past IKE_SA_INIT, distinct non-zero CHILD SA inbound SPIs
//   within an IKE SA; their numbers grow at most linearly with the records;
//   the target sends at most 64 KiB + 16 x what it received in the record.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/ike/sa/peer.h"
#include "reference/ike/wire/sk.h"
#include "reference/testing/exchange.h"

namespace ipsecref::fuzz {

enum RecordType : uint8_t {
  kRaw500 = 0,
  kRaw4500 = 1,
  kEncryptedRequest = 2,
  kEncryptedResponse = 3,
  kTimePasses = 4,
  kOperation = 5,
  kDeliver = 6,
  kDrop = 7,
};
inline constexpr uint8_t kRecordTypeMask = 0x07;
inline constexpr uint8_t kPatchSpis = 0x08;

// Bits of an encrypted record's sel octet.
inline constexpr uint8_t kSelSaMask = 0x03;
inline constexpr uint8_t kSelMessageId = 0x04;
inline constexpr uint8_t kSelFlipResponse = 0x08;
inline constexpr uint8_t kSelFlipInitiator = 0x10;
inline constexpr uint8_t kSelMinorVersion = 0x20;
inline constexpr uint8_t kSelCritical = 0x40;

enum class Operation : uint8_t {
  kInitiate = 0,
  kCreateChild,
  kRekeyChild,
  kRekeyIke,
  kDeleteChild,
  kDeleteIke,
  kCheckLiveness,
};

inline constexpr size_t kMaxRecords = 64;

struct Record {
  uint8_t type = 0;
  Bytes body;
  bool operator==(const Record&) const = default;
};

struct Input {
  uint8_t setup = 0;
  std::vector<Record> records;
};

// nullopt for an empty input.
std::optional<Input> ParseInput(ByteSpan data);
Bytes WriteInput(const Input& input);

Record OperationRecord(bool target, Operation op, uint8_t ike_sa = 0, uint8_t child_sa = 0);

// The body of the stateful targets' LLVMFuzzerTestOneInput (ike_responder,
// ike_initiator and the structure-aware ike_responder_structured): the input
// applied record by record to a driver whose target has role `target`;
// IPSECREF_FUZZ_VERBOSE=1 prints each record and what the target built.
int RunStateTarget(ike::sa::Role target, const uint8_t* data, size_t size);

class IkeStateDriver {
 public:
  // `target` is the role of the peer under test; `setup` the input's first octet.
  IkeStateDriver(ike::sa::Role target, uint8_t setup);
  ~IkeStateDriver();

  // Applies one record, ticks both peers and checks the invariants (a broken
  // one traps).
  void Apply(const Record& record);

  // The record that makes the accomplice's datagram `d` (addressed to the
  // target) again: raw, or the decrypted inner payloads as an encrypted
  // request or response; nullopt when it cannot (no keys for it).
  std::optional<Record> RecordFor(const ike::sa::Datagram& d);
  // "ENC CREATE_CHILD_SA request { SA Nonce TSi TSr }", "RAW IKE_SA_INIT
  // request { ... }", "OP target RekeyIke", "TIME 20000 ms", ...
  std::string Describe(const Record& record) const;
  // What the target built since the setup, as ladders.
  std::vector<std::string> TargetLadders() const;

  testing::Exchange& exchange() { return *exchange_; }
  ike::sa::Peer& target() const;
  ike::sa::Peer& accomplice() const;
  testing::Recorder& target_log() const;
  bool is_target(const ike::sa::Datagram& d) const;
  // Delivers one datagram, tracking the Message IDs the target received.
  void Deliver(const ike::sa::Datagram& d);
  // Runs an operation on one peer (indexes as in the record).
  void Operate(bool on_target, Operation op, uint8_t ike_sa, uint8_t child_sa);

 private:
  void SetUp(uint8_t setup);
  void Encrypted(const Record& record, bool response);
  void Raw(const Record& record, uint16_t port);
  void ScanSent();
  void CheckInvariants();
  // The accomplice's IKE SAs with keys, by local SPI.
  std::vector<ike::sa::IkeSa*> KeyedAccompliceSas() const;
  ike::SkCrypter* CrypterFor(const ike::sa::IkeSa& sa);

  const ike::sa::Role target_role_;
  std::unique_ptr<testing::Exchange> exchange_;
  std::unique_ptr<crypto::Rng> rng_;  // IVs of what the fuzzer encrypts
  std::map<std::tuple<uint64_t, uint64_t, bool>, std::unique_ptr<ike::SkCrypter>> crypters_;
  // By the IKE SA's SPIi: the next Message ID of a request to the target,
  // and the ID of the target's latest request.
  std::map<uint64_t, uint32_t> next_request_to_target_;
  std::map<uint64_t, uint32_t> target_latest_request_;
  size_t scanned_ = 0;        // datagrams of the network's capture looked at
  size_t ladders_from_ = 0;   // target_log().built at the end of the setup
  size_t records_ = 0;
  size_t received_bytes_ = 0;  // by the target in the current record
  size_t sent_bytes_ = 0;      // by the target in the current record
};

}  // namespace ipsecref::fuzz
