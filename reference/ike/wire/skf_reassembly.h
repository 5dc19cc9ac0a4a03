// Reassembly of one IKE message from its Encrypted Fragment payloads
// (SKF, RFC 7383 §2.6), after each fragment's ICV has been verified and its
// body decrypted (SkCrypter::Unprotect). The caller keeps one reassembler
// per message: keyed by Message ID and direction.
//
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |        Fragment Number        |        Total Fragments        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Initialization Vector ...  (as in SK)      |
//
// Offsets in errors count from the start of the SKF payload (Next Payload
// at 0, Fragment Number at 4, Total Fragments at 6); the caller shifts them
// with Error::At.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::ike {

// How much one message may take. RFC 7383 leaves these to the
// implementation (a peer could otherwise make us hold any number of
// fragments); the defaults are ours.
struct SkfLimits {
  uint16_t max_fragments = 64;
  size_t max_total_size = 64 * 1024;  // bytes of reassembled inner payloads
};

class SkfReassembler {
 public:
  explicit SkfReassembler(SkfLimits limits = {});

  enum class Outcome {
    kStored,     // a new fragment, kept; more are missing
    kDuplicate,  // already received, or the message is already complete: ignored
    kRestarted,  // a larger Total Fragments: what was kept is dropped, this one kept
    kComplete,   // this fragment completed the message: Take() it
    kDiscarded,  // a smaller Total Fragments than the fragments kept: ignored
  };

  // `plaintext`: the fragment's decrypted content. `next_payload`: the SKF
  // header's Next Payload field. Errors: a Fragment Number or Total
  // Fragments out of range, a Next Payload in a fragment other than the
  // first, or a message beyond the limits (kBadFragment); nothing is
  // changed then.
  [[nodiscard]] Result<Outcome> Add(uint16_t fragment_number, uint16_t total_fragments,
                                    uint8_t next_payload, ByteSpan plaintext);

  // Cheap pre-check before decrypting a fragment: true when Add would call
  // it a duplicate (RFC 7383 §2.6 checks for replays before the ICV).
  bool IsDuplicate(uint16_t fragment_number, uint16_t total_fragments) const;

  bool complete() const { return total_ != 0 && received_ == total_; }
  // The Next Payload of fragment 1: the first inner payload's type (0 until
  // fragment 1 has arrived).
  uint8_t first_payload() const { return first_payload_; }
  uint16_t total_fragments() const { return total_; }
  uint16_t received() const { return received_; }
  // Bytes of fragment content currently held.
  size_t stored_size() const { return stored_size_; }
  const SkfLimits& limits() const { return limits_; }

  // The reassembled inner payloads, in Fragment Number order. Only once
  // complete(); empty before, and on a second call (the fragments' memory is
  // released, while later copies are still recognised as duplicates).
  Bytes Take();

 private:
  void Restart(uint16_t total_fragments);

  SkfLimits limits_;
  uint16_t total_ = 0;  // 0: no fragment yet
  uint16_t received_ = 0;
  uint8_t first_payload_ = 0;
  size_t stored_size_ = 0;
  bool taken_ = false;
  std::vector<bool> have_;
  std::vector<Bytes> fragments_;
};

// Splits inner payload bytes into consecutive pieces of at most
// `max_plaintext` bytes, for the sender (RFC 7383 §2.5) and for tests. An
// empty input is one empty piece. Empty result: impossible (`max_plaintext`
// is 0, or more than 65535 pieces would be needed).
std::vector<ByteSpan> SplitForFragments(ByteSpan plaintext, size_t max_plaintext);

}  // namespace ipsecref::ike
