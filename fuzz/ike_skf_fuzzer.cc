// Fuzz target: SkfReassembler (IKE fragment reassembly, RFC 7383 §2.6)
// driven by a sequence of decrypted fragments of one message.
//
// Input layout:
//   byte 0     max_fragments of the limits
//   bytes 1-2  max_total_size of the limits
//   then records, as long as whole ones remain:
//     bytes 0-1  Fragment Number
//     bytes 2-3  Total Fragments
//     byte 4     Next Payload
//     byte 5     n, the length of the fragment's content
//     n bytes    the content
//
// Checked beyond "no crash", after every record: the limits are never
// exceeded; a refused fragment (error) or an ignored one (kDuplicate,
// kDiscarded) changes nothing; a stored one is then a duplicate; kComplete
// comes exactly when the message becomes complete, and Take() then returns
// the contents last stored for fragments 1..total, in order, with fragment
// 1's Next Payload as first_payload().
#include <cstdint>
#include <vector>

#include "fuzz/check.h"
#include "reference/ike/wire/skf_reassembly.h"

namespace ipsecref::fuzz {
namespace {

struct Snapshot {
  uint16_t total;
  uint16_t received;
  size_t stored;
  bool complete;
  uint8_t first;
  bool operator==(const Snapshot&) const = default;
};

Snapshot Snap(const ike::SkfReassembler& r) {
  return {r.total_fragments(), r.received(), r.stored_size(), r.complete(), r.first_payload()};
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using Outcome = ike::SkfReassembler::Outcome;
  if (size < 3) return 0;
  const ike::SkfLimits limits{data[0], LoadU16(data + 1)};
  ike::SkfReassembler r(limits);
  // What the fuzzer stored for each fragment since reassembly last started.
  std::vector<Bytes> model;
  std::vector<uint8_t> model_np;
  bool taken = false;

  ByteReader in(ByteSpan(data, size).subspan(3));
  uint16_t number, total;
  uint8_t next_payload, length;
  ByteSpan content;
  while (in.ReadU16(number) && in.ReadU16(total) && in.ReadU8(next_payload) && in.ReadU8(length) &&
         in.ReadBytes(length, content)) {
    const fuzz::Snapshot before = fuzz::Snap(r);
    auto got = r.Add(number, total, next_payload, content);
    const fuzz::Snapshot after = fuzz::Snap(r);
    fuzz::Check(r.total_fragments() <= limits.max_fragments);
    fuzz::Check(r.received() <= r.total_fragments());
    fuzz::Check(r.stored_size() <= limits.max_total_size);
    if (!got) {
      fuzz::Check(got.error().code == Code::kBadFragment);
      fuzz::Check(after == before);
      continue;
    }
    switch (*got) {
      case Outcome::kDuplicate:
      case Outcome::kDiscarded:
        fuzz::Check(after == before);
        continue;
      case Outcome::kRestarted:
        fuzz::Check(before.total != 0 && total > before.total && !before.complete);
        fuzz::Check(after.received == 1);
        model.assign(total, Bytes{});
        model_np.assign(total, 0);
        taken = false;
        break;
      case Outcome::kStored:
      case Outcome::kComplete:
        fuzz::Check(after.received == before.received + 1 || (before.total == 0 && after.received == 1));
        if (before.total == 0) {
          model.assign(total, Bytes{});
          model_np.assign(total, 0);
        }
        break;
    }
    fuzz::Check(r.IsDuplicate(number, total));
    fuzz::Check(model.size() == total && number >= 1 && number <= total);
    model[number - 1].assign(content.begin(), content.end());
    model_np[number - 1] = next_payload;
    fuzz::Check((*got == Outcome::kComplete) == (after.complete && !before.complete));
    if (*got == Outcome::kComplete) {
      fuzz::Check(!taken);
      Bytes want;
      for (const Bytes& piece : model) want.insert(want.end(), piece.begin(), piece.end());
      fuzz::Check(r.first_payload() == model_np[0]);
      fuzz::Check(want.size() == r.stored_size());
      fuzz::Check(r.Take() == want);
      fuzz::Check(r.Take().empty() && r.complete());
      taken = true;
    }
  }
  return 0;
}
