// signature_test_schema_v1: verification of one published signature with the
// group's public key, as the AUTH payload's signature methods use it.
#include <fmt/format.h>

#include "reference/crypto/signature.h"
#include "vectors/handler.h"

namespace ipsecref::vectors {

//= vectors/README.md signature_test_schema_v1
//# Reads a test group of this schema: its fields and their meaning are the
//# ones vectors/README.md gives.
Verdict RunSignature(const json& g, const json& t) {
  const std::string name = Get<std::string>(g, "scheme");
  const crypto::SignatureAlgorithm* algorithm = crypto::FindSignatureAlgorithm(name);
  if (algorithm == nullptr) throw BadField{fmt::format("unknown signature scheme '{}'", name)};
  crypto::SignatureEncoding encoding = crypto::SignatureEncoding::kDer;
  if (g.contains("encoding")) {
    const std::string e = Get<std::string>(g, "encoding");
    if (e == "ike") {
      encoding = crypto::SignatureEncoding::kConcatenatedRS;
    } else if (e != "der") {
      throw BadField{fmt::format("encoding '{}' is neither 'ike' nor 'der'", e)};
    }
  }
  const Bytes key = Hex(g, "publicKeyDer"), msg = Hex(t, "msg"), sig = Hex(t, "sig");
  const Status verified = crypto::Verify(algorithm->scheme, key, msg, sig, encoding);
  if (!verified) return Reject(verified.error().ToString());
  return Accept();
}

}  // namespace ipsecref::vectors
