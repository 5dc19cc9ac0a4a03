#include "reference/ike/wire/skf_reassembly.h"

#include <fmt/format.h>

#include <limits>

namespace ipsecref::ike {
namespace {

constexpr size_t kNextPayloadAt = 0;
constexpr size_t kFragmentNumberAt = 4;
constexpr size_t kTotalFragmentsAt = 6;

}  // namespace

SkfReassembler::SkfReassembler(SkfLimits limits) : limits_(limits) {}

void SkfReassembler::Restart(uint16_t total_fragments) {
  total_ = total_fragments;
  received_ = 0;
  first_payload_ = 0;
  stored_size_ = 0;
  taken_ = false;
  have_.assign(total_fragments, false);
  fragments_.assign(total_fragments, Bytes{});
}

bool SkfReassembler::IsDuplicate(uint16_t fragment_number, uint16_t total_fragments) const {
  if (total_ == 0 || fragment_number == 0 || fragment_number > total_fragments) return false;
  //= rfc7383#section-2.6.1
  //# Fragments of a message already reassembled are retransmissions, whatever
  //# their Total Fragments (a retransmitted request may be fragmented anew).
  if (complete()) return total_fragments >= total_;
  return total_fragments == total_ && have_[fragment_number - 1];
}

Result<SkfReassembler::Outcome> SkfReassembler::Add(uint16_t fragment_number,
                                                     uint16_t total_fragments, uint8_t next_payload,
                                                     ByteSpan plaintext) {
  //= rfc7383#section-2.6
  //# Fragment Number and Total Fragments are both non-zero, and the Fragment
  //# Number is at most Total Fragments; otherwise the fragment is dropped.
  ENSURE(total_fragments != 0, kBadFragment, kTotalFragmentsAt, "rfc7383#section-2.6",
         "Total Fragments is 0");
  ENSURE(fragment_number != 0, kBadFragment, kFragmentNumberAt, "rfc7383#section-2.6",
         "Fragment Number is 0 (numbering starts at 1)");
  ENSURE(fragment_number <= total_fragments, kBadFragment, kFragmentNumberAt, "rfc7383#section-2.6",
         fmt::format("Fragment Number {} exceeds Total Fragments {}", fragment_number, total_fragments));
  //= rfc7383#section-2.5
  //# Only the first fragment names the first inner payload in Next Payload;
  //# every later fragment sends 0 there.
  ENSURE(fragment_number == 1 || next_payload == 0, kBadFragment, kNextPayloadAt, "rfc7383#section-2.5",
         fmt::format("fragment {} has Next Payload {}; only fragment 1 may name a payload",
                     fragment_number, next_payload));
  //= rfc7383#section-5
  //# The RFC leaves the resources spent on one message to the implementation.
  //= ipsecref#choice
  //# Ours are at most max_fragments fragments and max_total_size bytes.
  ENSURE(total_fragments <= limits_.max_fragments, kBadFragment, kTotalFragmentsAt, "rfc7383#section-5",
         fmt::format("Total Fragments {} exceeds our limit of {}", total_fragments,
                     limits_.max_fragments));

  if (total_ != 0 && total_fragments < total_) {
    //= rfc7383#section-2.6
    //# A fragment whose Total Fragments is smaller than that of the fragments
    //# already received is silently discarded.
    return Outcome::kDiscarded;
  }
  if (IsDuplicate(fragment_number, total_fragments)) {
    //= rfc7383#section-2.6
    //# A fragment with the Message ID, Fragment Number and Total Fragments of
    //# one already received is a replay or retransmission, and is discarded.
    return Outcome::kDuplicate;
  }
  //= rfc7383#section-2.6
  //# While reassembly is unfinished, a larger Total Fragments means the peer
  //# fragmented the message anew: everything received so far is dropped and
  //# reassembly starts over with this fragment.
  const bool restart = total_ != 0 && total_fragments > total_;
  const size_t kept = restart ? 0 : stored_size_;
  //= rfc7383#section-5
  //# The bytes kept for one message are bounded; the bound (max_total_size)
  //# is ours, as above.
  ENSURE(plaintext.size() <= limits_.max_total_size - kept, kBadFragment, kNoOffset, "rfc7383#section-5",
         fmt::format("{} more bytes would exceed our limit of {} bytes per message", plaintext.size(),
                     limits_.max_total_size));

  if (total_ == 0 || restart) Restart(total_fragments);
  const size_t index = fragment_number - 1u;
  have_[index] = true;
  fragments_[index].assign(plaintext.begin(), plaintext.end());
  stored_size_ += plaintext.size();
  ++received_;
  //= rfc7383#section-2.6
  //# The reassembled Encrypted payload takes its Next Payload from fragment 1.
  if (fragment_number == 1) first_payload_ = next_payload;
  if (complete()) return Outcome::kComplete;
  return restart ? Outcome::kRestarted : Outcome::kStored;
}

Bytes SkfReassembler::Take() {
  if (!complete() || taken_) return {};
  //= rfc7383#section-2.6
  //# The decrypted contents of all fragments, in Fragment Number order, form
  //# the content of the Encrypted payload.
  Bytes out;
  out.reserve(stored_size_);
  for (Bytes& fragment : fragments_) {
    out.insert(out.end(), fragment.begin(), fragment.end());
    Bytes().swap(fragment);
  }
  stored_size_ = 0;
  taken_ = true;
  return out;
}

std::vector<ByteSpan> SplitForFragments(ByteSpan plaintext, size_t max_plaintext) {
  if (plaintext.empty()) return {plaintext};
  if (max_plaintext == 0) return {};
  const size_t count = (plaintext.size() + max_plaintext - 1) / max_plaintext;
  //= rfc7383#section-2.5
  //# Fragment Number and Total Fragments are 16-bit fields.
  if (count > std::numeric_limits<uint16_t>::max()) return {};
  std::vector<ByteSpan> out;
  out.reserve(count);
  for (size_t at = 0; at < plaintext.size(); at += max_plaintext)
    out.push_back(plaintext.subspan(at, std::min(max_plaintext, plaintext.size() - at)));
  return out;
}

}  // namespace ipsecref::ike
