// Building blocks of the IKEv2 generators (ike_generators.h): byte strings,
// enum values (registered or not), the payload types that may appear in a
// message's plaintext.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "reference/crypto/transforms.h"
#include "reference/ike/wire/message.h"

namespace ipsecref::testing {

namespace ike_gen_detail {

using ike::Payload;
using PT = iana::PayloadType;

template <typename E>
std::vector<E> RegisteredValues() {
  std::vector<E> values;
  for (const auto& r : iana::Registry<E>()) values.push_back(r.value);
  return values;
}

}  // namespace ike_gen_detail

// ---------------------------------------------------------------------------
// Building blocks

inline rc::Gen<Bytes> GenBytes(size_t min, size_t max) {
  return rc::gen::mapcat(rc::gen::inRange<size_t>(min, max + 1),
                         [](size_t n) { return rc::gen::container<Bytes>(n, rc::gen::arbitrary<uint8_t>()); });
}

inline rc::Gen<Bytes> GenBytesOfSize(size_t n) { return rc::gen::container<Bytes>(n, rc::gen::arbitrary<uint8_t>()); }

// Any value of the enum's underlying type, registered or not.
template <typename E>
rc::Gen<E> GenAnyEnum() {
  return rc::gen::cast<E>(rc::gen::arbitrary<std::underlying_type_t<E>>());
}

// Mostly registered values (so that named paths are exercised), sometimes
// any value of the field.
template <typename E>
rc::Gen<E> GenMostlyRegistered() {
  return rc::gen::weightedOneOf<E>(
      {{3, rc::gen::elementOf(ike_gen_detail::RegisteredValues<E>())}, {1, GenAnyEnum<E>()}});
}

// A payload type the codec has no body type for (decoded as UnknownPayload).
inline rc::Gen<iana::PayloadType> GenUnknownPayloadType() {
  return rc::gen::cast<iana::PayloadType>(rc::gen::suchThat(rc::gen::inRange<int>(1, 256), [](int t) {
    return !ike::IsKnownPayloadType(static_cast<iana::PayloadType>(t));
  }));
}

// Every payload type that has its own body type, SK and SKF excluded.
inline std::vector<iana::PayloadType> PlainPayloadTypes() {
  using PT = iana::PayloadType;
  return {PT::kSa,     PT::kKe,     PT::kIdi,      PT::kIdr, PT::kCert, PT::kCertreq, PT::kAuth, PT::kNonce,
          PT::kNotify, PT::kDelete, PT::kVendorId, PT::kTsi, PT::kTsr,  PT::kCp,      PT::kEap};
}

}  // namespace ipsecref::testing
