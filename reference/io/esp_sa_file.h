// Wireshark's esp_sa file (the ESP "Security Associations" UAT): one SA per
// line, eight quoted comma-separated fields
//   "Protocol","Src IP","Dest IP","SPI","Encryption","Encryption Key",
//   "Authentication","Authentication Key"
// with the algorithms named as Wireshark names them. Two dialects exist:
// Wireshark's own ("AES-GCM with 16 octet ICV [RFC4106]" with "NULL"
// authentication) and strongSwan's save-keys ("AES-GCM [RFC4106]" with
// "ANY 128 bit authentication [no checking]", which states the ICV size).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reference/io/keys.h"

namespace ipsecref::io {

// Parses the file's text; `name` stands for the file in messages. Blank
// lines and lines starting with '#' are skipped. Errors (kBadFile,
// kUnknownTransform, kBadKeyLength, kBadTransformCombination) name
// name:line. Every SA is checked with ValidateSaKeys.
Result<std::vector<SaKeys>> ParseEspSaFile(std::string_view text, std::string_view name);

// Writes `sas` in Wireshark's own dialect, which Wireshark 4.0 and later
// read. Errors (kUnsupported): AH SAs, wildcard-free fields aside, and
// transforms Wireshark has no name for (CCM, GMAC, ChaCha20-Poly1305,
// AES-XCBC, AES-CMAC).
Result<std::string> WriteEspSaFile(std::span<const SaKeys> sas);

// Wireshark's names for a transform, as written; nullopt if it has none.
std::optional<std::string_view> WiresharkEncrName(iana::Encr id);
std::optional<std::string_view> WiresharkIntegName(iana::Integ id);

}  // namespace ipsecref::io
