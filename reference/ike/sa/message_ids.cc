#include "reference/ike/sa/message_ids.h"

#include <algorithm>

namespace ipsecref::ike::sa {

RequestIds::Verdict RequestIds::Judge(uint32_t id) const {
  if (!highest_) return Verdict::kFirst;
  if (id == *highest_) return Verdict::kSame;
  if (id < *highest_) return Verdict::kBackwards;
  return id == *highest_ + 1 ? Verdict::kNext : Verdict::kSkipped;
}

void RequestIds::Record(uint32_t id) {
  if (!highest_ || id > *highest_) highest_ = id;
}

SentMessages::Copy SentMessages::Remember(bool response, uint16_t fragment, ByteSpan message,
                                          bool keep) {
  for (const Sent& s : sent_) {
    if (s.response != response || s.fragment != fragment) continue;
    return std::equal(s.bytes.begin(), s.bytes.end(), message.begin(), message.end())
               ? Copy::kIdentical
               : Copy::kChanged;
  }
  if (keep) sent_.push_back({response, fragment, Bytes(message.begin(), message.end())});
  return Copy::kFirst;
}

const Bytes* SentMessages::First(bool response, uint16_t fragment) const {
  for (const Sent& s : sent_)
    if (s.response == response && s.fragment == fragment) return &s.bytes;
  return nullptr;
}

bool ResponderWindow::Accepts(uint32_t id, uint32_t window) const {
  if (id < expected_ || id - expected_ >= window) return false;
  return std::find(answered_above_.begin(), answered_above_.end(), id) == answered_above_.end();
}

void ResponderWindow::Answered(uint32_t id) {
  if (id < expected_) return;
  answered_above_.push_back(id);
  for (auto it = std::find(answered_above_.begin(), answered_above_.end(), expected_); it != answered_above_.end();
       it = std::find(answered_above_.begin(), answered_above_.end(), expected_)) {
    answered_above_.erase(it);
    ++expected_;
  }
}

}  // namespace ipsecref::ike::sa
