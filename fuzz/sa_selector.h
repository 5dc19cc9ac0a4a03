// The first bytes of every ESP fuzz input choose the SA it is processed
// under: transforms by their IANA IDs, keys from fixed tables. Keys never come
// from the input (a fuzzer gains nothing by mutating them), but published keys
// are in the table so that the seeds can be real packets from RFCs, drafts and
// captures, and mutations of them get past the ICV.
//
// Selector layout (3 bytes):
//   byte 0  ENCR transform ID (IKEv2 Transform Type 1): 3 3DES, 11 NULL,
//           12 AES-CBC, 13 AES-CTR, 14/15/16 AES-CCM-8/12/16,
//           18/19/20 AES-GCM-8/12/16, 21 NULL_AUTH_AES_GMAC,
//           28 ChaCha20-Poly1305. Any other value: the input is skipped.
//   byte 1  INTEG transform ID (Transform Type 3): 2 HMAC-SHA1-96,
//           5 AES-XCBC-96, 8 AES-CMAC-96, 12/13/14 HMAC-SHA2-256/384/512.
//           Ignored with an AEAD; any other value means no integrity
//           (confidentiality-only ESP, allowed explicitly).
//   byte 2  bits 0-1: key length, an index into the transform's allowed
//           lengths (modulo their number: AES 128/192/256 bits);
//           bits 2-7: keying material: 0 = the pattern keys below,
//           n = kPublishedKeys[n - 1] (its length then decides, and a
//           published entry without an integrity key uses the pattern one).
//
// Pattern keys: encryption keying material (salt included) is 01 02 03 ...,
// the integrity key is 80 81 82 ....
// tools/fuzz/make_seeds.py reads kPublishedKeys from this file to find the
// index of each seed's key: keep one entry per line, in this shape.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "reference/bytes/bytes.h"
#include "reference/crypto/transforms.h"
#include "reference/esp/esp_sa.h"

namespace ipsecref::fuzz {

inline constexpr size_t kSelectorSize = 3;

struct PublishedKeys {
  std::string_view source;
  std::string_view encr;   // keying material in hex, salt included
  std::string_view integ;  // integrity key in hex, or empty
};

// clang-format off
inline constexpr PublishedKeys kPublishedKeys[] = {
    {"rfc3602 case 5 and 6", "90d382b410eeba7ad938c46cec1a82bf", ""},
    {"rfc3602 case 7 and 8", "0123456789abcdef0123456789abcdef", ""},
    {"draft-mcgrew-gcm-test-01 case 2", "feffe9928665731c6d6a8f9467308308cafebabe", ""},
    {"draft-mcgrew-gcm-test-01 case 3", "abbccddef00112233445566778899aababbccddef00112233445566778899aab11223344", ""},
    {"draft-mcgrew-gcm-test-01 case 4", "0000000000000000000000000000000000000000", ""},
    {"draft-mcgrew-gcm-test-01 case 12", "7d773d00c144c525ac619d18c84a3f47d9664267", ""},
    {"draft-mcgrew-gcm-test-01 case 7", "feffe9928665731c6d6a8f9467308308feffe9928665731ccafebabe", ""},
    {"draft-mcgrew-gcm-test-01 case 1", "4c80cdefbb5d10da906ac73c3613a6342e443b68", ""},
    {"draft-mcgrew-gcm-test-01 case 5, 6, 10 and 16", "3de09874b388e6491988d0c3607eae1f57690e43", ""},
    {"draft-mcgrew-gcm-test-01 case 8 and 13", "abbccddef00112233445566778899aabdecaf888", ""},
    {"draft-mcgrew-gcm-test-01 case 9 and 11", "abbccddef00112233445566778899aababbccddef00112233445566778899aab73616c74", ""},
    {"draft-mcgrew-gcm-test-01 case 14", "6c6567616c697a656d6172696a75616e61616e64646f69746265666f726569617475726e", ""},
    {"draft-mcgrew-gcm-test-01 case 15 and 17", "4c80cdefbb5d10da906ac73c3613a63422433c64", ""},
    {"rfc7634 appendix A", "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3", ""},
    {"capture strongswan/cbc 192.0.2.1 to .2", "e8d6097c9518d6c2efcfa8a51ecf52e81df8e68ec9da8c63e1b2c3107e54c241", "be7fde1f0bf48481d86bc1a66483dbeec57bb06abce11b2fc8fc38e8116a2b8f"},
    {"capture strongswan/cbc 192.0.2.2 to .1", "5d4abf536f68e1ac7449d0cf3c8390c4809aae1a455121ed7668db6b66973501", "f550f6467b5556e0957fa13bd43d1caa0c3dd32cff9446da5190fc423c7dd5b0"},
    {"capture strongswan/gcm 192.0.2.1 to .2", "e58780413ea67511f11cf840f65f5850a19a865db060840d7c415e3a097d76e39b3f001f", ""},
    {"capture strongswan/gcm 192.0.2.2 to .1", "e7173730ead80ea881a29d8506e3c0d8ca79faa7434210e034b92bd7e5d1da477e2a9948", ""},
    {"capture linux-xfrm/gcm 192.0.2.1 to .2", "9d5b3f29ea09cdf59f187097e6d2d9c9e890ae2cb80e0c33bfcbc3b673c09aedefe35d7f", ""},
    {"capture linux-xfrm/gcm 192.0.2.2 to .1", "42d001ae2e2cdd8693738f78981f4df3b5e761c3e0b6427ba8b18451779ca823e4c99095", ""},
    {"capture linux-xfrm/ah-transport 192.0.2.1 to .2", "", "afa04913d1d41e286c5581c2169722e37dd27571"},
    {"capture linux-xfrm/ah-transport 192.0.2.2 to .1", "", "de5115fb7694c57eae4eadec6d77faf281a249f0"},
};
// clang-format on

inline SecureBytes PatternKey(size_t size, uint8_t first) {
  SecureBytes key(size);
  for (size_t i = 0; i < size; ++i) key[i] = static_cast<uint8_t>(first + i);
  return key;
}

// Hex from the table above, which is known to be well formed.
inline SecureBytes TableKey(std::string_view hex) {
  auto bytes = FromHex(hex);
  return bytes ? ToSecure(*bytes) : SecureBytes{};
}

// Fills the transforms and keys of `config` from the selector bytes; false
// when they name nothing (unknown ENCR ID, table index out of range).
inline bool SelectTransforms(const uint8_t (&selector)[kSelectorSize], esp::SaConfig& config) {
  const crypto::EncrTransform* encr = crypto::FindEncr(static_cast<iana::Encr>(selector[0]));
  if (encr == nullptr) return false;
  const crypto::IntegTransform* integ = nullptr;
  if (!encr->aead) integ = crypto::FindInteg(static_cast<iana::Integ>(selector[1]));

  size_t lengths = 0;
  for (uint16_t bits : encr->key_bits) lengths += bits != 0;
  const size_t key_bits = lengths == 0 ? 0 : encr->key_bits[(selector[2] & 3u) % lengths];
  const size_t table = selector[2] >> 2;
  if (table > std::size(kPublishedKeys)) return false;

  config.encr = encr->id;
  config.encr_key = PatternKey(key_bits / 8 + encr->salt_size, 0x01);
  config.integ = integ != nullptr ? integ->id : iana::Integ::kNone;
  config.integ_key = integ != nullptr ? PatternKey(integ->key_size, 0x80) : SecureBytes{};
  config.allow_no_integrity = integ == nullptr;
  if (table != 0) {
    const PublishedKeys& published = kPublishedKeys[table - 1];
    if (!published.encr.empty()) config.encr_key = TableKey(published.encr);
    if (integ != nullptr && !published.integ.empty()) config.integ_key = TableKey(published.integ);
  }
  return true;
}

// Consumes fuzz input from the front, BoringSSL CBS style: a read succeeds
// whole or not at all.
// The outer (tunnel) addresses of the ESP and AH targets: documentation
// addresses (RFC 5737, RFC 3849).
inline const Bytes kOuter4Src = {192, 0, 2, 1}, kOuter4Dst = {192, 0, 2, 2};
inline const Bytes kOuter6Src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
inline const Bytes kOuter6Dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : rest_(data, size) {}

  template <size_t N>
  bool Read(uint8_t (&out)[N]) {
    if (rest_.size() < N) return false;
    std::copy_n(rest_.begin(), N, out);
    rest_ = rest_.subspan(N);
    return true;
  }
  bool ReadU64(uint64_t& out) {
    uint8_t b[8];
    if (!Read(b)) return false;
    out = LoadU64(b);
    return true;
  }
  ByteSpan rest() const { return rest_; }

 private:
  ByteSpan rest_;
};

}  // namespace ipsecref::fuzz
