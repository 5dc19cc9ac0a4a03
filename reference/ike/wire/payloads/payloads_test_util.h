// What the IKEv2 payload tests share (ike_payloads_test): hand-written
// messages and the exact-error matchers. Offsets count from the start of the
// IKE message: the header is bytes 0..27, the first payload's generic header
// 28..31, its body from 32.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "reference/ike/wire/message.h"

namespace ipsecref::ike {

using PT = iana::PayloadType;

inline Bytes Hex(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

inline Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A generic payload header (RFC 7296 §3.2) with the right Payload Length.
inline Bytes Gp(uint8_t next, uint8_t flags, const Bytes& body) {
  Bytes p = {next, flags, 0, 0};
  StoreU16(&p[2], static_cast<uint16_t>(4 + body.size()));
  p.insert(p.end(), body.begin(), body.end());
  return p;
}

// An IKE_SA_INIT request header (RFC 7296 §3.1) with `version` as the
// MjVer|MnVer octet, then `payloads`; Length states the whole message.
inline Bytes Msg(uint8_t first, const Bytes& payloads, uint8_t version = 0x20) {
  Bytes m =
      Hex("0102030405060708" "0000000000000000");
  m.insert(m.end(), {first, version, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 0});
  StoreU32(&m[24], static_cast<uint32_t>(28 + payloads.size()));
  m.insert(m.end(), payloads.begin(), payloads.end());
  return m;
}

// A message of one payload of type `type` with body `body`.
inline Bytes One(PT type, const Bytes& body, uint8_t flags = 0) { return Msg(static_cast<uint8_t>(type), Gp(0, flags, body)); }

inline ::testing::AssertionResult IsError(const Error& e, Code code, size_t offset, std::string_view requirement,
                                   std::string_view detail_part) {
  if (e.code == code && e.offset == offset && e.requirement == requirement &&
      e.detail.find(detail_part) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got: " << e.ToString() << "; wanted " << Describe(code).name << " at offset "
                                       << offset << " (" << requirement << ") with \"" << detail_part << "\"";
}

template <typename T>
inline ::testing::AssertionResult Fails(const Result<T>& r, Code code, size_t offset, std::string_view requirement,
                                 std::string_view detail_part = {}) {
  if (r.ok()) return ::testing::AssertionFailure() << "accepted";
  return IsError(r.error(), code, offset, requirement, detail_part);
}

inline ::testing::AssertionResult Fails(const Status& s, Code code, size_t offset, std::string_view requirement,
                                 std::string_view detail_part = {}) {
  if (s.ok()) return ::testing::AssertionFailure() << "accepted";
  return IsError(s.error(), code, offset, requirement, detail_part);
}

inline Message Decoded(const Bytes& wire) {
  auto m = Decode(wire);
  EXPECT_TRUE(m.ok()) << m.error().ToString();
  return m.ok() ? *m : Message{};
}

inline bool HasNote(const Message& m, size_t offset, std::string_view requirement) {
  return std::any_of(m.notes.begin(), m.notes.end(),
                     [&](const Error& e) { return e.offset == offset && e.requirement == requirement; });
}

// Encoding limits: a length or count that does not fit its field is an error,
// never a wrapped value.
inline bool RefusedAsTooLong(const Status& s, std::string_view requirement, std::string_view detail_part) {
  return !s.ok() && s.error().code == Code::kLengthOverflow && s.error().requirement == requirement &&
         s.error().detail.find(detail_part) != std::string::npos;
}

inline Message WithPayloads(std::vector<Payload> payloads) {
  Message m;
  m.header.exchange_type = iana::ExchangeType::kIkeSaInit;
  m.payloads = std::move(payloads);
  return m;
}

}  // namespace ipsecref::ike
