// Wireshark's ikev2_decryption_table file (the "IKEv2 Decryption Table" UAT
// of the ISAKMP dissector): the keys of one IKE SA per line, eight
// comma-separated fields
//   SPIi,SPIr,SK_ei,SK_er,"Encryption algorithm",SK_ai,SK_ar,"Integrity algorithm"
// The SPIs and keys are bare hex (two digits per octet, empty for no key);
// the algorithm names are double-quoted and spelled as Wireshark names them
// ("AES-CBC-256 [RFC3602]", "HMAC_SHA2_256_128 [RFC4868]"). This is how
// Wireshark 4.0 saves the table and how strongSwan's save-keys plugin
// writes it, e.g.
//   80ea419260b5b6ec,2c239fb98b89226d,c1d8...7f0b,218d...232c,
//   "AES-GCM-256 with 16 octet ICV [RFC5282]",,,"NONE [RFC4306]"
// (one line). SK_e of a counter-mode or combined-mode cipher (CTR, GCM, CCM)
// is the key followed by its salt (4 octets; 3 for CCM), as RFC 5930 §2 and
// RFC 5282 §7.1 derive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/iana/iana.h"

namespace ipsecref::io {

// The keys of one IKE SA (RFC 7296 §2.14): SK_ei/SK_ai protect what the
// original initiator sends, SK_er/SK_ar what the original responder sends.
struct Ikev2Keys {
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  iana::Encr encr = iana::Encr::kNull;
  // Key length without salt, as the Key Length attribute states it; 0 for
  // transforms with one fixed length (3DES) and for ENCR_NULL.
  size_t encr_key_bits = 0;
  iana::Integ integ = iana::Integ::kNone;
  SecureBytes sk_ei, sk_er;  // key | salt where the cipher has a salt
  SecureBytes sk_ai, sk_ar;  // empty with a combined-mode cipher
};

// One name of Wireshark's table and what the reference makes of it.
struct Ikev2EncrName {
  std::string_view name;
  iana::Encr id;
  size_t key_bits;  // 0: fixed or no key
  size_t sk_e_size; // octets of SK_e Wireshark requires (key and salt)
};
struct Ikev2IntegName {
  std::string_view name;
  std::optional<iana::Integ> id;  // nullopt: no IANA transform the reference has
  size_t sk_a_size;               // octets of SK_a Wireshark requires
};

// The names Wireshark 4.0 accepts; nullptr for any other.
const Ikev2EncrName* FindIkev2EncrName(std::string_view name);
const Ikev2IntegName* FindIkev2IntegName(std::string_view name);
// The name for a transform; nullopt if Wireshark has none (ChaCha20-Poly1305,
// AES-XCBC, AES-CMAC, ...) or none for that key length.
std::optional<std::string_view> Ikev2EncrNameFor(iana::Encr id, size_t key_bits);
std::optional<std::string_view> Ikev2IntegNameFor(iana::Integ id);

// Parses the file's text; `name` stands for the file in messages. Blank
// lines and lines starting with '#' are skipped. Every error names
// name:line: kBadFile (quoting, hex, field count, SPI size, an algorithm
// name Wireshark does not know), kBadKeyLength (a key whose length the
// algorithm does not take), kBadTransformCombination (a combined-mode
// cipher with an integrity algorithm other than NONE), kUnknownTransform
// (a name Wireshark knows but the reference cannot represent: the
// "ANY n-bits ... [No Checking]" entries, HMAC_MD5_128, HMAC_SHA1_160 and
// the pre-RFC HMAC_SHA2_256_96).
Result<std::vector<Ikev2Keys>> ParseIkev2Table(std::string_view text, std::string_view name);

// Reads and parses the file at `path`. Errors: kIoError, and those of
// ParseIkev2Table naming the path.
Result<std::vector<Ikev2Keys>> ReadIkev2Table(const std::string& path);

// Writes one line per IKE SA, as strongSwan's save-keys plugin does (no
// comment header). Errors: kUnsupported for a transform Wireshark has no
// name for; kBadKeyLength for keys of the wrong size for their transform.
Result<std::string> WriteIkev2Table(const std::vector<Ikev2Keys>& keys);

// The keys of the IKE SA with these SPIs, or nullptr.
const Ikev2Keys* Find(const std::vector<Ikev2Keys>& keys, uint64_t spi_i, uint64_t spi_r);

}  // namespace ipsecref::io
