// keys.json: the project's own key file, for what Wireshark's esp_sa and
// ikev2_decryption_table cannot name (ChaCha20-Poly1305, CCM and GMAC in
// ESP, AES-XCBC and AES-CMAC, ESN, AH SAs, the mode, UDP encapsulation).
// Transforms go by their IANA names or numbers, keys in hex:
//
//   {
//     "format": "ipsecref-keys",
//     "version": 1,
//     "esp": [
//       {"src": "192.0.2.1", "dst": "192.0.2.2", "spi": "0xca485a91",
//        "encr": "ENCR_CHACHA20_POLY1305", "encr_key_bits": 256,
//        "encr_key": "7e48...8110", "integ": "NONE",
//        "esn": false, "mode": "tunnel", "udp_encapsulation": true,
//        "replay_window": 64}
//     ],
//     "ah": [
//       {"src": "192.0.2.1", "dst": "192.0.2.2", "spi": 3263098789,
//        "integ": 12, "integ_key": "c6de...0a0e", "mode": "transport"}
//     ],
//     "ike": [
//       {"spi_i": "0xf5d87c98db9884ef", "spi_r": "0x55f212989c849efc",
//        "encr": "ENCR_AES_GCM_16", "encr_key_bits": 256,
//        "sk_ei": "...", "sk_er": "...", "integ": "NONE"}
//     ],
//     "ikev1": [
//       {"cookie_i": "0x9e97d2be7358cd64",
//        "psk": "pf-test-psk-0123456789", "dh_shared_secret": "0b9b...4c79"},
//       {"cookie_i": "0x5fa787d1e7db4d37", "encryption_key": "8669...5367"}
//     ]
//   }
//
// Members (every other member is an error, except "comment" anywhere):
//   esp: src, dst (IPv4/IPv6 address or "*": any), spi, encr, encr_key are
//        required; encr_key_bits, integ (default NONE), integ_key (required
//        with an integrity transform), esn, mode ("tunnel"/"transport"),
//        udp_encapsulation and replay_window are optional;
//   ah:  src, dst, spi, integ, integ_key required; esn, mode,
//        udp_encapsulation (false only: RFC 3948 encapsulates ESP alone),
//        replay_window optional;
//   ike: spi_i, spi_r, encr, sk_ei, sk_er required; encr_key_bits, integ
//        (default NONE), sk_ai, sk_ar (required with an integrity transform);
//   ikev1: cookie_i required, cookie_r optional; then either encryption_key
//        (the ISAKMP SA's key, as ikev1_decryption_table gives it), or, for
//        pre-shared key authentication, psk (text) or psk_hex, and
//        dh_shared_secret (g^xy, hex): RFC 2409 §5 derives the keys from
//        them and the capture's nonces, cookies and Phase 1 SA.
// A transform is its IANA name ("ENCR_AES_CBC", "AUTH_HMAC_SHA2_256_128",
// "NONE") or number (12). An SPI is a string "0x" and hex digits, or a
// number. A key is hex digits (an optional "0x" before them), two per
// octet; the salt of CTR, GCM, CCM, GMAC and ChaCha20-Poly1305 follows the
// key, as RFC 4106 §8.1, RFC 4309 §7.1, RFC 7634 §4 and RFC 5282 §7.1 lay
// out the keying material. encr_key_bits counts the key without its salt.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/io/ikev1_table.h"
#include "reference/io/ikev2_table.h"
#include "reference/io/keys.h"

namespace ipsecref::io {

inline constexpr std::string_view kKeysJsonFormat = "ipsecref-keys";
inline constexpr int kKeysJsonVersion = 1;

struct KeysJson {
  std::vector<SaKeys> sas;  // the "esp" entries, then the "ah" ones
  std::vector<Ikev2Keys> ike_sas;
  std::vector<std::string> ike_origins;  // parallel to ike_sas: "keys.json: /ike/0"
  std::vector<Ikev1Keys> ikev1_sas;      // origins "keys.json: /ikev1/0"
};

// Parses a keys.json text; `name` stands for the file in messages. Every
// error names the file and the JSON pointer of what is wrong
// ("keys.json: /esp/2/encr_key: ..."), or the byte offset of a syntax error
// (also in Error::offset): kBadFile (syntax, a missing or unknown member, a
// wrong type, bad hex, an address, a value out of range, the format or
// version), kUnknownTransform (a name or number the reference does not
// implement), kBadKeyLength, kBadTransformCombination. SAs' origins are
// "name: /esp/N" and "name: /ah/N"; every one passes ValidateSaKeys.
Result<KeysJson> ParseKeysJson(std::string_view text, std::string_view name);

// Writes `sas` (ESP and AH) and `ike_sas` as keys.json, transforms by
// their IANA names, with encr_key_bits. What ParseKeysJson reads back is
// the same SAs. Errors: those of ParseKeysJson's checks for an SA that it
// would refuse (its origin or its Describe() in place of the path).
Result<std::string> WriteKeysJson(const std::vector<SaKeys>& sas,
                                  const std::vector<Ikev2Keys>& ike_sas);

// Whether a key file given alone is keys.json: its name ends in ".json" or
// its first character that is not blank is '{'.
bool LooksLikeKeysJson(std::string_view path, std::string_view text);

}  // namespace ipsecref::io
