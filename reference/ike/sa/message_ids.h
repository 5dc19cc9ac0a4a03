// IKE SA bookkeeping (RFC 7296 §2.1, §2.2): how each end numbers its
// requests, which exchange a message belongs to, and what a retransmission
// must repeat. One model, used by the capture observer (interop/check/
// ike_exchanges) and by the state machine that will speak IKEv2: neither
// keeps its own copy of these rules.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/ike/wire/header.h"

namespace ipsecref::ike::sa {

//= rfc7296#section-2.2
//# Each end of an IKE SA numbers the requests it sends itself, from zero
//# and one higher for each new request; a response carries the Message ID
//# of the request it answers. A retransmitted request keeps its ID.
class RequestIds {
 public:
  // What a request's Message ID is against the requests of the same end
  // seen so far.
  enum class Verdict : uint8_t {
    kFirst,      // the end's first request (whether it is 0 is the caller's to judge)
    kNext,       // one above the highest so far
    kSame,       // the highest so far again: a retransmission or a further fragment
    kSkipped,    // more than one above the highest
    kBackwards,  // below the highest
  };

  Verdict Judge(uint32_t id) const;
  // Records a request's ID: the highest becomes the larger of the two.
  void Record(uint32_t id);
  std::optional<uint32_t> highest() const { return highest_; }
  // The Message ID this end's next new request takes.
  uint32_t next() const { return highest_ ? *highest_ + 1 : 0; }

 private:
  std::optional<uint32_t> highest_;
};

//= rfc7296#section-2.3
//# A responder with a window of N takes any request from the lowest
//# Message ID it has not answered up to N-1 above it, in whatever order
//# they arrive; each is answered once (a repeat gets the cached response).
class ResponderWindow {
 public:
  // Whether a request with `id` is new and inside the window.
  bool Accepts(uint32_t id, uint32_t window) const;
  // Records that `id` was answered.
  void Answered(uint32_t id);
  // The lowest Message ID not answered yet.
  uint32_t expected() const { return expected_; }

 private:
  uint32_t expected_ = 0;
  std::vector<uint32_t> answered_above_;  // answered IDs above expected_
};

// Which end's request a message belongs to: the sender's for a request, the
// other end's for a response (§2.2), told apart by the I flag (§3.1: set by
// the original initiator) and the R flag.
inline bool ByOriginalInitiator(const Header& h) {
  return h.response() ? !h.initiator() : h.initiator();
}

// An exchange of an IKE SA: the end that sent its request and the Message ID.
struct ExchangeKey {
  bool by_original_initiator = true;
  uint32_t message_id = 0;
  auto operator<=>(const ExchangeKey&) const = default;
};
inline ExchangeKey KeyOf(const Header& h) { return {ByOriginalInitiator(h), h.message_id}; }

//= rfc7296#section-2.1
//# A retransmission is the message sent again unchanged: the initiator
//# resends its request, the responder the response it already sent, byte
//# for byte (and a fragmented message fragment by fragment, RFC 7383 §2.6).
// The messages of one exchange as first sent, per direction and SKF
// Fragment Number (0 for an unfragmented message).
class SentMessages {
 public:
  enum class Copy : uint8_t {
    kFirst,      // nothing was sent in this direction and fragment before
    kIdentical,  // a retransmission
    kChanged,    // the same direction and fragment again, other bytes
  };

  // Compares `message` with what was first sent in its direction and
  // fragment, and keeps it when it is the first and `keep` (a capture
  // keeps no message it holds only part of).
  Copy Remember(bool response, uint16_t fragment, ByteSpan message, bool keep = true);
  // What was first sent, e.g. the response a responder resends; nullptr if nothing.
  const Bytes* First(bool response, uint16_t fragment) const;

 private:
  struct Sent {
    bool response = false;
    uint16_t fragment = 0;
    Bytes bytes;
  };
  std::vector<Sent> sent_;
};

}  // namespace ipsecref::ike::sa
