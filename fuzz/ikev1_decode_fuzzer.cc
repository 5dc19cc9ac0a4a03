// Fuzz target: the IKEv1 (ISAKMP) message codec (RFC 2408 §3, RFC 2407
// §4.6, RFC 3947, Mode Config), reference/ikev1/, under libFuzzer's byte
// mutation. The whole input is one ISAKMP message (a UDP payload on port
// 500; on 4500 after the non-ESP marker).
//
// Checks: an error points into the input (or nowhere) and names a
// requirement; whatever decodes is validated and described, and Encode
// writes a message that decodes back equal; when Decode noted nothing
// (RESERVED zero, no unknown payload, version 1.0), Encode gives the input
// back byte for byte.
#include <cstddef>
#include <cstdint>

#include "fuzz/check.h"
#include "reference/ikev1/describe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ipsecref::fuzz::Check;
  namespace v1 = ipsecref::ikev1;
  const ipsecref::ByteSpan input(data, size);
  auto m = v1::Decode(input);
  if (!m) {
    const ipsecref::Error& e = m.error();
    Check(e.offset == ipsecref::kNoOffset || e.offset <= size);
    Check(!e.requirement.empty());
    return 0;
  }
  (void)v1::Validate(*m);
  (void)v1::DescribeMessage(*m);
  auto wire = v1::Encode(*m);
  Check(wire.ok());
  auto back = v1::Decode(*wire);
  Check(back.ok() && *back == *m);
  if (m->notes.empty()) Check(ipsecref::ByteSpan(*wire).size() == size && std::equal(wire->begin(), wire->end(), data));
  return 0;
}
