// Structure-aware mutation of IKEv2 messages (ike_mutator.h): choosing
// operators from the table (operators.cc), encoding with the lengths fixed
// or one left wrong on purpose, and libFuzzer's custom mutator.
#include "interop/mutate/ike_mutator.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include <fmt/format.h>

#include "interop/mutate/operators.h"
#include "reference/base/splitmix64.h"

namespace ipsecref::mutate {

using detail::Operator;
using detail::OperatorTable;
using detail::Did;
using detail::Target;

// splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): one 64-bit state, the same sequence everywhere.
Chooser::Chooser(uint64_t seed) : state_(seed) {}

uint64_t Chooser::Next() { return SplitMix64Next(state_); }

uint64_t Chooser::Below(uint64_t n) {
  if (n == 0) return 0;
  // Uniform: draws below 2^64 mod n are rejected (as OpenBSD's
  // arc4random_uniform), so that every remainder is equally likely.
  const uint64_t reject_below = (0 - n) % n;
  uint64_t x = Next();
  while (x < reject_below) x = Next();
  return x % n;
}

bool Chooser::OneIn(uint64_t n) { return Below(n) == 0; }

namespace {

//= ipsecref#choice
//# An operator that does not apply (no SA to add a proposal to, no payload
//# to remove) gives way to another chosen by weight; after 32 refusals in a
//# row the step is given up (an empty message with no header accepts few).
constexpr int kAttempts = 32;

const Operator& ChooseOperator(Chooser& c) {
  const auto table = OperatorTable();
  const uint64_t total =
      std::accumulate(table.begin(), table.end(), uint64_t{0}, [](uint64_t s, const Operator& o) { return s + o.weight; });
  uint64_t r = c.Below(total);
  for (const Operator& o : table) {
    if (r < o.weight) return o;
    r -= o.weight;
  }
  return table.back();
}

std::vector<Applied> Mutate(Target t, Chooser& c, int operations) {
  std::vector<Applied> applied;
  for (int i = 0; i < operations; ++i)
    for (int attempt = 0; attempt < kAttempts; ++attempt)
      if (const Operator& o = ChooseOperator(c); auto a = o.apply(t, c)) {
        a->op = o.name;
        applied.push_back(std::move(*a));
        break;
      }
  return applied;
}

Target TargetOf(ike::Message& m) { return Target{&m.header, m.decrypted ? &m.inner : &m.payloads}; }

// ---------------------------------------------------------------------------
// Length fields of an encoding, located by walking it as the encoder wrote it.

struct LengthField {
  size_t offset;
  size_t width;  // 2 or 4 bytes
  std::string name;
};

uint16_t U16At(ByteSpan b, size_t at) { return at + 2 <= b.size() ? LoadU16(&b[at]) : 0; }

// SA payload body [at, end): proposals, their transforms, TLV attributes (§3.3).
void SaLengths(ByteSpan b, size_t at, size_t end, const std::string& label, std::vector<LengthField>& out) {
  for (size_t p = 1; at + 8 <= end; ++p) {
    const size_t length = U16At(b, at + 2);
    if (length < 8 || at + length > end) return;
    out.push_back({at + 2, 2, fmt::format("{} proposal {} length", label, p)});
    size_t t_at = at + 8 + b[at + 6];  // after the SPI
    for (size_t t = 1; t_at + 8 <= at + length; ++t) {
      const size_t t_length = U16At(b, t_at + 2);
      if (t_length < 8 || t_at + t_length > at + length) break;
      out.push_back({t_at + 2, 2, fmt::format("{} proposal {} transform {} length", label, p, t)});
      for (size_t a = t_at + 8, n = 1; a + 4 <= t_at + t_length; ++n) {
        if ((b[a] & 0x80) != 0) {  // TV: no length
          a += 4;
          continue;
        }
        out.push_back({a + 2, 2, fmt::format("{} proposal {} transform {} attribute {} length", label, p, t, n)});
        a += 4 + U16At(b, a + 2);
      }
      t_at += t_length;
    }
    at += length;
  }
}

// TS payload body: each selector's Selector Length (§3.13.1).
void TsLengths(ByteSpan b, size_t at, size_t end, const std::string& label, std::vector<LengthField>& out) {
  at += 4;  // Number of TSs, RESERVED
  for (size_t n = 1; at + 4 <= end; ++n) {
    const size_t length = U16At(b, at + 2);
    if (length < 4) return;
    out.push_back({at + 2, 2, fmt::format("{} TS {} Selector Length", label, n)});
    at += length;
  }
}

// CP payload body: each attribute's Length (§3.15.1).
void CpLengths(ByteSpan b, size_t at, size_t end, const std::string& label, std::vector<LengthField>& out) {
  at += 4;  // CFG Type, RESERVED
  for (size_t n = 1; at + 4 <= end; ++n) {
    out.push_back({at + 2, 2, fmt::format("{} attribute {} Length", label, n)});
    at += 4 + U16At(b, at + 2);
  }
}

using BodyLengths = void (*)(ByteSpan, size_t, size_t, const std::string&, std::vector<LengthField>&);
struct Substructure {
  iana::PayloadType type;
  BodyLengths lengths;
};
constexpr std::array<Substructure, 4> kSubstructures = {{{iana::PayloadType::kSa, SaLengths},
                                                         {iana::PayloadType::kTsi, TsLengths},
                                                         {iana::PayloadType::kTsr, TsLengths},
                                                         {iana::PayloadType::kCp, CpLengths}}};

// The chain from `at` to `end` whose first payload is `type`; an SK payload's
// body is walked as a chain too when it holds plaintext (`plain_sk`).
void ChainLengths(ByteSpan b, size_t at, size_t end, iana::PayloadType type, bool plain_sk, const std::string& prefix,
                  std::vector<LengthField>& out) {
  for (size_t i = 1; type != iana::PayloadType::kNone && at + 4 <= end; ++i) {
    const auto next = static_cast<iana::PayloadType>(b[at]);
    const size_t length = U16At(b, at + 2);
    if (length < 4 || at + length > end) return;
    const std::string label = fmt::format("{}payload {} ({})", prefix, i, ike::PayloadTypeLabel(type));
    out.push_back({at + 2, 2, label + " length"});
    for (const Substructure& s : kSubstructures)
      if (s.type == type) s.lengths(b, at + 4, at + length, label, out);
    if (type == iana::PayloadType::kSk) {
      if (plain_sk) ChainLengths(b, at + 4, at + length, next, false, "SK ", out);
      return;
    }
    type = next;
    at += length;
  }
}

std::vector<LengthField> LengthFields(ByteSpan b, bool plain_sk) {
  std::vector<LengthField> out = {{24, 4, "header length"}};
  if (b.size() >= ike::kHeaderSize)
    ChainLengths(b, ike::kHeaderSize, b.size(), static_cast<iana::PayloadType>(b[16]), plain_sk, "", out);
  return out;
}

// Leaves one length field wrong: off by a little, zero, all ones or random.
Applied LeaveLengthWrong(Bytes& b, bool plain_sk, Chooser& c) {
  const auto fields = LengthFields(b, plain_sk);
  const LengthField& f = fields[c.Below(fields.size())];
  const uint64_t max = f.width == 4 ? 0xffffffffULL : 0xffff;
  const uint64_t was = f.width == 4 ? LoadU32(&b[f.offset]) : LoadU16(&b[f.offset]);
  static constexpr std::array<int64_t, 6> kDeltas = {1, -1, 4, -4, 7, -7};
  uint64_t now = 0;
  std::string how;
  switch (c.Below(4)) {
    case 0: {
      const int64_t d = kDeltas[c.Below(kDeltas.size())];
      now = (was + static_cast<uint64_t>(d)) & max;
      how = fmt::format("{:+d}", d);
      break;
    }
    case 1: now = 0, how = "0"; break;
    case 2: now = max, how = "max"; break;
    default: now = c.Next() & max, how = fmt::format("random {}", now); break;
  }
  if (now == was) now = (was + 1) & max, how = "+1";
  if (f.width == 4)
    StoreU32(&b[f.offset], static_cast<uint32_t>(now));
  else
    StoreU16(&b[f.offset], static_cast<uint16_t>(now));
  return Did(fmt::format("{} {} (left wrong)", f.name, how), true, "wrong_length");
}

// Sets RESERVED bits of one generic payload header (§3.2: a receiver ignores
// them; Decode notes them): the model has no place for them.
std::optional<Applied> SetPayloadReserved(Bytes& b, bool plain_sk, Chooser& c) {
  std::vector<LengthField> payloads;
  for (const LengthField& f : LengthFields(b, plain_sk))
    if (f.name.ends_with(") length")) payloads.push_back(f);
  if (payloads.empty()) return std::nullopt;
  const LengthField& f = payloads[c.Below(payloads.size())];
  const uint8_t bits = static_cast<uint8_t>(1 + c.Below(0x7f));
  b[f.offset - 1] |= bits;
  return Did(fmt::format("{} RESERVED bits {:#04x} set", f.name.substr(0, f.name.size() - 7), bits), false,
                 "payload_reserved");
}

// A small byte mutator for callers without libFuzzer's (MutateDatagram with
// a null fallback): one bit flip, byte set, insertion or erasure.
size_t BuiltinByteMutation(uint8_t* data, size_t size, size_t max_size, Chooser& c) {
  switch (size == 0 ? 2 : c.Below(4)) {
    case 0: data[c.Below(size)] ^= static_cast<uint8_t>(1u << c.Below(8)); return size;
    case 1: data[c.Below(size)] = static_cast<uint8_t>(c.Next()); return size;
    case 2: {
      if (size >= max_size) return size;
      const size_t at = c.Below(size + 1);
      std::memmove(data + at + 1, data + at, size - at);
      data[at] = static_cast<uint8_t>(c.Next());
      return size + 1;
    }
    default: {
      const size_t at = c.Below(size);
      std::memmove(data + at, data + at + 1, size - at - 1);
      return size - 1;
    }
  }
}

}  // namespace

std::vector<Applied> MutateMessage(ike::Message& m, Chooser& c, int operations) {
  return Mutate(TargetOf(m), c, operations);
}

std::vector<Applied> MutatePayloads(std::vector<ike::Payload>& payloads, Chooser& c, int operations) {
  return Mutate(Target{nullptr, &payloads}, c, operations);
}

Result<Bytes> EncodeMutated(ike::Message& m, Chooser& c, std::vector<Applied>& applied) {
  // A decrypted message is written with its inner payloads, encoded, in
  // place of the SK payload's ciphertext (the layout the ike_decode target
  // reads back with DecodeInner); the caller that holds keys encrypts.
  ike::Message out = m;
  const bool plain_sk = m.decrypted && !out.payloads.empty() && out.payloads.back().type == iana::PayloadType::kSk;
  if (plain_sk) {
    ByteWriter inner;
    TRY(ike::EncodePayloads(m.inner, inner));
    auto& sk = std::get<ike::SkPayload>(out.payloads.back().body);
    sk.first_inner = m.inner.empty() ? iana::PayloadType::kNone : m.inner.front().type;
    sk.encrypted = std::move(inner).Take();
  }
  TRY(ike::Finalize(out));
  m.header = out.header;
  auto encoded = ike::Encode(out);
  if (!encoded) return encoded;
  Bytes b = std::move(*encoded);
  if (c.OneIn(16))
    if (auto a = SetPayloadReserved(b, plain_sk, c)) applied.push_back(std::move(*a));
  if (c.OneIn(8)) applied.push_back(LeaveLengthWrong(b, plain_sk, c));
  return b;
}

size_t MutateDatagram(uint8_t* data, size_t size, size_t max_size, unsigned int seed, ByteMutator fallback) {
  Chooser c(seed);
  const auto bytes = [&] {
    size = std::min(size, max_size);
    return fallback != nullptr ? fallback(data, size, max_size) : BuiltinByteMutation(data, size, max_size, c);
  };
  if (c.OneIn(4)) return bytes();
  auto decoded = ike::Decode(ByteSpan(data, size));
  if (!decoded) return bytes();
  ike::Message& m = *decoded;
  // Half the time the SK payload's body is taken as if it were plaintext
  // (as the ike_decode target does), so that the inner payloads mutate too.
  if (const ike::Payload* enc = m.Encrypted(); enc != nullptr && c.OneIn(2))
    if (const auto* sk = enc->as<ike::SkPayload>()) {
      ike::Message inner = m;
      if (ike::DecodeInner(inner, sk->first_inner, sk->encrypted, enc->offset + ike::kGenericPayloadHeaderSize))
        m = std::move(inner);
    }
  std::vector<Applied> applied = MutateMessage(m, c, 1 + static_cast<int>(c.Below(3)));
  auto encoded = EncodeMutated(m, c, applied);
  if (!encoded || encoded->size() > max_size || applied.empty()) return bytes();
  std::memcpy(data, encoded->data(), encoded->size());
  return encoded->size();
}

std::vector<OperatorInfo> Operators() {
  std::vector<OperatorInfo> out;
  for (const Operator& o : OperatorTable()) out.push_back({o.name, o.weight});
  return out;
}

std::vector<Applied> ApplyOperator(ike::Message& m, Chooser& c, const std::string& name) {
  for (const Operator& o : OperatorTable()) {
    if (name != o.name) continue;
    Target t = TargetOf(m);
    if (auto a = o.apply(t, c)) {
      a->op = o.name;
      return {std::move(*a)};
    }
    return {};
  }
  return {};
}

}  // namespace ipsecref::mutate
