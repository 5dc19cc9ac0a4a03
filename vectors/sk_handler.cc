// Handler of ike_sk_test_schema_v1 (vectors/README.md): IKEv2 Encrypted
// payload bodies (RFC 7296 §3.14) under the keys of one direction.
#include "reference/ike/wire/sk.h"
#include "vectors/handler.h"

namespace ipsecref::vectors {

//= vectors/README.md ike_sk_test_schema_v1
//# Reads a test group of this schema: its fields and their meaning are the
//# ones vectors/README.md gives.
Verdict RunIkeSk(const json& g, const json& t) {
  ike::SkKeys keys;
  keys.encr = EncrNamed(Get<std::string>(g, "encr"));
  keys.encr_key_bits = Get<size_t>(g, "encrKeySize");
  keys.integ = IntegNamed(Get<std::string>(g, "integ"));
  keys.encr_key = ToSecure(Hex(t, "encrKey"));
  keys.integ_key = ToSecure(Hex(t, "integKey"));
  const Bytes ad = Hex(t, "associatedData"), iv = Hex(t, "iv"), plaintext = Hex(t, "plaintext"),
              body = Hex(t, "body");
  const int pad = Get<int>(t, "padLength");
  if (pad < 0 || pad > 255) throw BadField{"padLength must be 0..255"};
  const Bytes padding = t.contains("padding") ? Hex(t, "padding") : Bytes(static_cast<size_t>(pad), 0);
  if (padding.size() != static_cast<size_t>(pad)) throw BadField{"padding disagrees with padLength"};
  const std::string expected_error = t.value("error", "");

  auto receiver = ike::SkCrypter::Create(keys, nullptr);
  if (!receiver) return Reject(receiver.error().ToString());
  auto got = (*receiver)->Unprotect(ad, body);
  if (!got) {
    // An invalid test names the error it must be rejected with; rejected
    // for another reason counts as not rejected (the runner then reports the
    // test as accepted).
    const std::string_view code = Describe(got.error().code).name;
    if (!expected_error.empty() && code != expected_error)
      return {true, fmt::format("rejected with {} instead of {}: {}", code, expected_error,
                                got.error().ToString())};
    return Reject(got.error().ToString());
  }
  const Bytes clear(got->plaintext.begin(), got->plaintext.end());
  if (clear != plaintext) return Mismatch("plaintext", clear, plaintext);
  if (got->pad_length != pad) return Reject(fmt::format("pad length {}, expected {}", got->pad_length, pad));
  if (!std::equal(got->iv.begin(), got->iv.end(), iv.begin(), iv.end())) return Mismatch("IV", got->iv, iv);

  // The same inner payloads, IV and padding protect to the same body.
  auto sender = ike::SkCrypter::Create(keys, nullptr);
  if (!sender) return Reject(sender.error().ToString());
  if ((*sender)->EncryptedBodySize(plaintext.size(), static_cast<uint8_t>(pad)) != body.size())
    return Reject("EncryptedBodySize disagrees with the body");
  ike::SkCrypter::ProtectOptions options;
  options.iv = iv;
  options.pad_length = static_cast<uint8_t>(pad);
  options.padding_bytes = padding;
  auto sealed = (*sender)->Protect(ad, plaintext, options);
  if (!sealed) return Reject(sealed.error().ToString());
  if (*sealed != body) return Mismatch("body", *sealed, body);
  return Accept();
}

}  // namespace ipsecref::vectors
