// Fuzz target: SkCrypter::Unprotect (the IKEv2 Encrypted payload body, RFC
// 7296 §3.14) under every transform IKE may use, and Protect on what it
// yields.
//
// Input layout:
//   byte 0  suite: kPublishedSuites[n] for n below its size (published keys,
//           so that seeds made from published messages get past the ICV),
//           then one suite per transform, key length and integrity transform
//           of the registry under pattern keys (01 02 03 ... / 80 81 82 ...);
//           taken modulo the number of suites.
//   byte 1  options:
//             bit 0  fuzzing_ignore_icv: an ICV mismatch is ignored, so that
//                    mutated bodies reach decryption and the Pad Length check
//             bit 1  SKF layout: the associated data is 36 bytes (IKE header,
//                    SKF payload header, Fragment Number, Total Fragments)
//                    instead of 32 (IKE header, SK payload header)
//             bit 2  the IKE header's Length is set to the input's size, so
//                    that mutations are not all stopped by the Length check
//   rest    the IKE message: associated data, then the body
//           (IV | ciphertext | ICV)
//
// Checked beyond "no crash": every rejection carries one of the codes
// Unprotect documents and an offset inside the body; an accepted body
// accounts for every byte (IV, inner payloads, padding, Pad Length, ICV);
// the inner payloads protect again, with the same IV and pad length, to a
// body of the same size that unprotects (ICV checked) to the same bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "fuzz/check.h"
#include "reference/crypto/transforms.h"
#include "reference/ike/wire/sk.h"

namespace ipsecref::fuzz {
namespace {

using iana::Encr;
using iana::Integ;

struct PublishedSuite {
  std::string_view source;
  Encr encr;
  size_t key_bits;
  Integ integ;
  std::string_view encr_key;  // hex, salt included
  std::string_view integ_key;
};

// tools/vectors/capture_sk.py finds the suite of each seed here by its
// encryption key: keep one entry per line, in this shape.
// clang-format off
constexpr PublishedSuite kPublishedSuites[] = {
    {"rfc7634 appendix B", Encr::kChaCha20Poly1305, 256, Integ::kNone, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3", ""},
    {"capture strongswan/gcm SK_ei", Encr::kAesGcm16, 256, Integ::kNone, "c1d88aa2f260ee4654d99114a0bbe6e960689c5e6f3fc1b51fbf646e79187238f3697f0b", ""},
    {"capture strongswan/gcm SK_er", Encr::kAesGcm16, 256, Integ::kNone, "218df37e8318fafb7d7bf8572263e16c789e3a84c2aeede36883e6b3c1cf927d9be7232c", ""},
    {"capture strongswan/cbc SK_ei", Encr::kAesCbc, 256, Integ::kHmacSha2_256_128, "ebfae43e8e76870ade0327034a2e0960793d39b7709046b492fdea4a63d6c2b1", "24b45ac31fb96f60a3b523c508de01741669edd8d9bf8cfdc90e989ba0c68581"},
    {"capture strongswan/cbc SK_er", Encr::kAesCbc, 256, Integ::kHmacSha2_256_128, "3ec712a964d31699eabcb7de5dba9435a493f95a19b0caeb938cfdf03f8b5fe0", "67664ba7c03d2ef03182c0500965285de6c5e07c97be5309bafe63ae5d42a318"},
};
// clang-format on

SecureBytes Pattern(size_t size, uint8_t first) {
  SecureBytes key(size);
  for (size_t i = 0; i < size; ++i) key[i] = static_cast<uint8_t>(first + i);
  return key;
}

SecureBytes TableKey(std::string_view hex) {
  auto bytes = FromHex(hex);
  return bytes ? ToSecure(*bytes) : SecureBytes{};
}

std::vector<ike::SkKeys> MakeSuites() {
  std::vector<ike::SkKeys> suites;
  for (const PublishedSuite& p : kPublishedSuites)
    suites.push_back({p.encr, p.key_bits, p.integ, TableKey(p.encr_key), TableKey(p.integ_key)});
  for (const crypto::EncrTransform& e : crypto::EncrTransforms()) {
    if (!e.confidentiality) continue;
    for (uint16_t bits : e.key_bits) {
      if (bits == 0) continue;
      SecureBytes key = Pattern(bits / 8 + e.salt_size, 0x01);
      if (e.aead) {
        suites.push_back({e.id, bits, Integ::kNone, key, {}});
        continue;
      }
      for (const crypto::IntegTransform& i : crypto::IntegTransforms())
        suites.push_back({e.id, bits, i.id, key, Pattern(i.key_size, 0x80)});
    }
  }
  return suites;
}

const std::vector<ike::SkKeys>& Suites() {
  static const std::vector<ike::SkKeys> suites = MakeSuites();
  return suites;
}

constexpr uint8_t kIgnoreIcv = 1 << 0;
constexpr uint8_t kSkfLayout = 1 << 1;
constexpr uint8_t kFixLength = 1 << 2;

void Report(const Error* error) {
  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;
  if (!verbose) return;
  std::fprintf(stderr, "  Unprotect: %s\n", error == nullptr ? "accepted" : error->ToString().c_str());
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  if (size < 2) return 0;
  const auto& suites = fuzz::Suites();
  const ike::SkKeys& keys = suites[data[0] % suites.size()];
  const uint8_t options = data[1];
  Bytes message(data + 2, data + size);
  const size_t ad_size = (options & fuzz::kSkfLayout) != 0 ? 36 : 32;
  if (message.size() < ad_size) return 0;
  if ((options & fuzz::kFixLength) != 0) StoreU32(message.data() + 24, static_cast<uint32_t>(message.size()));
  const ByteSpan ad = ByteSpan(message).first(ad_size);
  const ByteSpan body = ByteSpan(message).subspan(ad_size);

  auto receiver = ike::SkCrypter::Create(keys, nullptr);
  fuzz::Check(receiver.ok());
  (*receiver)->fuzzing_ignore_icv = (options & fuzz::kIgnoreIcv) != 0;
  auto got = (*receiver)->Unprotect(ad, body);
  fuzz::Report(got.ok() ? nullptr : &got.error());
  if (!got) {
    const Error& e = got.error();
    fuzz::Check(e.code == Code::kTruncated || e.code == Code::kBadAlignment || e.code == Code::kBadLength ||
                e.code == Code::kIcvMismatch || e.code == Code::kBadPadLength);
    fuzz::Check(e.offset == kNoOffset || e.offset <= body.size());
    return 0;
  }
  const ike::SkCrypter& c = **receiver;
  fuzz::Check(got->iv.data() == body.data() && got->iv.size() == c.iv_size());
  fuzz::Check(c.iv_size() + got->plaintext.size() + got->pad_length + 1 + c.icv_size() == body.size());
  fuzz::Check(c.EncryptedBodySize(got->plaintext.size(), got->pad_length) == body.size());

  // Protect the inner payloads again with the same IV and pad length.
  auto rng = crypto::MakeDeterministicRng(1);
  auto sender = ike::SkCrypter::Create(keys, rng.get());
  fuzz::Check(sender.ok());
  ike::SkCrypter::ProtectOptions again;
  again.iv = Bytes(got->iv.begin(), got->iv.end());
  again.pad_length = got->pad_length;
  auto sealed = (*sender)->Protect(ad, got->plaintext, again);
  fuzz::Check(sealed.ok());
  fuzz::Check(sealed->size() == body.size());
  auto checker = ike::SkCrypter::Create(keys, nullptr);
  fuzz::Check(checker.ok());
  auto back = (*checker)->Unprotect(ad, *sealed);
  fuzz::Check(back.ok());
  fuzz::Check(back->plaintext == got->plaintext && back->pad_length == got->pad_length);
  return 0;
}
