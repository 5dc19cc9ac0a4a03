#include "reference/crypto/der.h"

#include <fmt/format.h>

#include <string_view>

namespace ipsecref::crypto {
namespace {

// Definite, minimal length octets (X.690 §10.1); EcdsaSigValueFromRs keeps
// n below 65536.
void PutDerLength(ByteWriter& w, size_t n) {
  if (n < 0x80) {
    w.U8(static_cast<uint8_t>(n));
  } else if (n <= 0xff) {
    w.U8(0x81).U8(static_cast<uint8_t>(n));
  } else {
    w.U8(0x82).U16(static_cast<uint16_t>(n));
  }
}

void PutDerInteger(ByteWriter& w, ByteSpan be) {
  size_t skip = 0;
  while (skip + 1 < be.size() && be[skip] == 0) ++skip;
  const ByteSpan v = be.subspan(skip);
  if (v.empty()) {  // no octets: the INTEGER 0
    w.U8(0x02).U8(1).U8(0);
    return;
  }
  const bool pad = (v[0] & 0x80) != 0;  // keep the INTEGER positive
  w.U8(0x02);
  PutDerLength(w, v.size() + (pad ? 1 : 0));
  if (pad) w.U8(0);
  w.Append(v);
}

constexpr std::string_view kSigValueRule = "rfc3279#section-2.2.3";

//= rfc7427#section-3
//# The ECDSA signature in method 14 is DER: definite, minimal lengths.
Result<size_t> ReadDerLength(ByteReader& r) {
  const size_t at = r.offset();
  uint8_t first = 0;
  ENSURE(r.ReadU8(first), kBadSignature, at, kSigValueRule, "length missing");
  if (first < 0x80) return size_t{first};
  const size_t octets = first & 0x7f;
  ENSURE(octets >= 1 && octets <= 2, kBadSignature, at, kSigValueRule,
         fmt::format("length form 0x{:02x} is not DER for a signature", first));
  size_t value = 0;
  for (size_t i = 0; i < octets; ++i) {
    uint8_t b = 0;
    ENSURE(r.ReadU8(b), kBadSignature, at, kSigValueRule, "length cut short");
    ENSURE(i > 0 || b != 0, kBadSignature, at, kSigValueRule, "length has a leading zero octet");
    value = value << 8 | b;
  }
  ENSURE(value >= 0x80, kBadSignature, at, kSigValueRule, "long-form length below 128");
  return value;
}

// One positive INTEGER in minimal form, left-padded to `size` octets.
Status ReadDerUnsigned(ByteReader& r, size_t size, Bytes& out, std::string_view name) {
  const size_t at = r.offset();
  uint8_t tag = 0;
  ENSURE(r.ReadU8(tag) && tag == 0x02, kBadSignature, at, kSigValueRule,
         fmt::format("{} is not an INTEGER", name));
  TRY_ASSIGN(const size_t length, ReadDerLength(r));
  ByteSpan v;
  ENSURE(length > 0 && r.ReadBytes(length, v), kBadSignature, at, kSigValueRule,
         fmt::format("{} is empty or runs past the SEQUENCE", name));
  ENSURE((v[0] & 0x80) == 0, kBadSignature, at, kSigValueRule, fmt::format("{} is negative", name));
  if (v.size() > 1 && v[0] == 0) {
    ENSURE((v[1] & 0x80) != 0, kBadSignature, at, kSigValueRule,
           fmt::format("{} has a superfluous leading zero", name));
    v = v.subspan(1);
  }
  ENSURE(v.size() <= size, kBadSignature, at, kSigValueRule,
         fmt::format("{} is longer than the group order ({} octets)", name, size));
  out.insert(out.end(), size - v.size(), 0);
  out.insert(out.end(), v.begin(), v.end());
  return OkStatus();
}

}  // namespace

Bytes EcdsaSigValueFromRs(ByteSpan rs) {
  const size_t half = rs.size() / 2;
  ByteWriter body;
  PutDerInteger(body, rs.first(half));
  PutDerInteger(body, rs.subspan(half));
  ByteWriter out;
  out.U8(0x30);
  PutDerLength(out, body.size());
  out.Append(body.bytes());
  return std::move(out).Take();
}

Result<Bytes> RsFromEcdsaSigValue(ByteSpan der, size_t order_size) {
  ByteReader r(der);
  uint8_t tag = 0;
  ENSURE(r.ReadU8(tag) && tag == 0x30, kBadSignature, 0, kSigValueRule, "not a SEQUENCE");
  TRY_ASSIGN(const size_t length, ReadDerLength(r));
  ENSURE(length == r.remaining(), kBadSignature, 1, kSigValueRule,
         fmt::format("SEQUENCE length {} but {} octets follow", length, r.remaining()));
  Bytes rs;
  TRY(ReadDerUnsigned(r, order_size, rs, "r"));
  TRY(ReadDerUnsigned(r, order_size, rs, "s"));
  ENSURE(r.empty(), kBadSignature, r.offset(), kSigValueRule, "octets after s");
  return rs;
}

}  // namespace ipsecref::crypto
