// Fuzz target: the IKEv2 state machine as responder, as ike_responder
// (the same input and checks: ike_state_driver.h, RunStateTarget), under
// structure-aware mutation of the inner payloads of its encrypted records.
//
// The custom mutator keeps the record framing (setup | { type | length |
// body }*) and the fields of an encrypted record before its payloads (sel,
// exchange type, Message ID, first payload type); it decodes the inner
// payloads of one encrypted record (type 2 or 3) as a chain inside SK,
// applies interop/mutate's operators (MutatePayloads: the header operators
// do not apply, the harness writes the header), encodes them with the
// lengths fixed (about 1 in 8 one left wrong on purpose), writes the new
// first payload type and the record's new length. Byte mutation
// (LLVMFuzzerMutate) is taken about 1 in 4, and when no encrypted record
// decodes or the result would not fit max_size. See README.md,
// "Structure-aware mutation".
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz/ike_state_driver.h"
#include "interop/mutate/ike_mutator.h"

// libFuzzer's byte mutator; weak so that the regression binary links
// without libFuzzer (see ike_decode_structured_fuzzer.cc).
extern "C" __attribute__((weak)) size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ipsecref::fuzz::RunStateTarget(ipsecref::ike::sa::Role::kResponder, data, size);
}

namespace ipsecref::fuzz {
namespace {

// An encrypted record's body: sel(1) | exchange type(1) | [Message ID(4)] |
// first payload type(1) | inner payloads. The offset of the first payload
// type, or nullopt when the body is too short to hold it.
std::optional<size_t> FirstPayloadAt(const Bytes& body) {
  if (body.empty()) return std::nullopt;
  const size_t at = 2 + ((body[0] & kSelMessageId) != 0 ? 4 : 0);
  if (at >= body.size()) return std::nullopt;
  return at;
}

// Mutates the inner payloads of one encrypted record; false when none decodes.
bool MutateOneRecord(Input& input, mutate::Chooser& c) {
  std::vector<size_t> encrypted;
  for (size_t i = 0; i < input.records.size(); ++i) {
    const uint8_t type = input.records[i].type & kRecordTypeMask;
    if ((type == kEncryptedRequest || type == kEncryptedResponse) && FirstPayloadAt(input.records[i].body))
      encrypted.push_back(i);
  }
  // Start at a random encrypted record; take the first whose payloads decode.
  const size_t start = c.Below(encrypted.size());
  for (size_t k = 0; k < encrypted.size(); ++k) {
    Bytes& body = input.records[encrypted[(start + k) % encrypted.size()]].body;
    const size_t first_at = *FirstPayloadAt(body);
    ByteReader in(ByteSpan(body).subspan(first_at + 1));
    ike::Notes notes;
    auto payloads = ike::DecodePayloads(in, static_cast<iana::PayloadType>(body[first_at]), true, notes);
    if (!payloads) continue;
    // Encoded as a message of its own (no SK), whose 28-byte header is then
    // dropped: EncodeMutated fixes the lengths and the chain, and its first
    // payload type is the header's Next Payload. (A header Length it leaves
    // wrong goes with the header: that step then changes no length.)
    std::vector<mutate::Applied> applied = mutate::MutatePayloads(*payloads, c, 1 + static_cast<int>(c.Below(3)));
    ike::Message m;
    m.payloads = std::move(*payloads);
    auto encoded = mutate::EncodeMutated(m, c, applied);
    if (!encoded || applied.empty() || encoded->size() - ike::kHeaderSize + first_at + 1 > 0xffff) return false;
    body.resize(first_at);
    body.push_back(static_cast<uint8_t>(m.header.next_payload));
    body.insert(body.end(), encoded->begin() + ike::kHeaderSize, encoded->end());
    return true;
  }
  return false;
}

size_t MutateRecords(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  mutate::Chooser c(seed);
  const auto bytes = [&] { return LLVMFuzzerMutate != nullptr ? LLVMFuzzerMutate(data, size, max_size) : size; };
  if (c.OneIn(4)) return bytes();
  auto input = ParseInput(ByteSpan(data, size));
  if (!input || !MutateOneRecord(*input, c)) return bytes();
  const Bytes out = WriteInput(*input);
  if (out.size() > max_size) return bytes();
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  return ipsecref::fuzz::MutateRecords(data, size, max_size, seed);
}
