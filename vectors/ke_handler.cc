// ke_test_schema_v1: one party of an IKEv2 key exchange (Transform Type 4)
// from a known private value, checked against a published public value and
// shared secret, or refused for a peer public value its group forbids.
#include <fmt/format.h>

#include "reference/crypto/ke.h"
#include "reference/iana/ike.h"
#include "vectors/handler.h"

namespace ipsecref::vectors {

//= vectors/README.md ke_test_schema_v1
//# Reads a test group of this schema: its fields and their meaning are the
//# ones vectors/README.md gives.
Verdict RunKe(const json& g, const json& t) {
  const std::string name = Get<std::string>(g, "group");
  const auto group = iana::KeGroupFromName(name);
  if (!group) throw BadField{fmt::format("unknown key exchange method '{}'", name)};
  if (crypto::FindKeGroup(*group) == nullptr) return Reject(fmt::format("{} is not implemented", name));
  const Bytes private_value = Hex(t, "private"), ours = Hex(t, "public"), peer = Hex(t, "peerPublic"),
              want = Hex(t, "shared");

  auto party = crypto::MakeKeyExchangeFromPrivate(*group, private_value);
  if (!party) return Reject(party.error().ToString());
  const ByteSpan got_public = (*party)->public_value();
  if (!ours.empty() && !std::equal(got_public.begin(), got_public.end(), ours.begin(), ours.end()))
    return Mismatch("public value", got_public, ours);

  auto shared = (*party)->SharedSecret(peer);
  if (!shared) return Reject(shared.error().ToString());
  if (!std::equal(shared->begin(), shared->end(), want.begin(), want.end()))
    return Mismatch("shared secret", *shared, want);
  return Accept();
}

}  // namespace ipsecref::vectors
