// Keys of the ESP and AH SAs of a capture, as key files give them, and the
// KeyStore that merges them. The file formats live in esp_sa_file.h
// (Wireshark's esp_sa UAT) and keys_csv.h (the raw keys.csv of the peers'
// save-keys plugin, which also carries AH, ESN, mode and UDP encapsulation).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/esp/esp_sa.h"
#include "reference/iana/iana.h"
#include "reference/io/ikev2_table.h"

namespace ipsecref::io {

enum class SaProtocol : uint8_t { kEsp = 50, kAh = 51 };

std::string_view ProtocolName(SaProtocol protocol);  // "ESP", "AH"

struct SaKeys {
  SaProtocol protocol = SaProtocol::kEsp;
  Bytes src, dst;  // 4 or 16 bytes each; empty means any address ("*")
  uint32_t spi = 0;
  iana::Encr encr = iana::Encr::kNull;  // ESP only
  SecureBytes encr_key;                 // the salt or nonce included at its end
  iana::Integ integ = iana::Integ::kNone;
  SecureBytes integ_key;
  // What only some formats state (Wireshark's esp_sa states none of them).
  std::optional<bool> esn;
  std::optional<esp::Mode> mode;  // kTransport or kTunnel
  std::optional<bool> udp_encapsulation;
  std::optional<uint32_t> replay_window;  // the receiver's, as keys.json may state it
  // Every file line that gave this SA: "pcaps/x/esp_sa:1".
  std::vector<std::string> origins;

  // "ESP SPI 0x30855da0 192.0.2.1 -> 192.0.2.2"
  std::string Describe() const;
};

// "192.0.2.1", "2001:db8::1", or "*" for an empty (any) address.
std::string FormatAddress(ByteSpan address);
// The inverse; "*" gives an empty address. Errors: kInvalidArgument.
Result<Bytes> ParseAddress(std::string_view text);

// Whether the reference can use `keys`: transforms it implements, key
// sizes they take, a combination ESP/AH allows. Errors name `keys.origins`.
Status ValidateSaKeys(const SaKeys& keys);

// Reads a key file whole. Errors: kIoError (cannot open or read), kBadFile
// (over 16 MiB: no key file is that large). Both name the file.
Result<std::string> ReadKeyFile(const std::string& path);

// The SAs of one capture: ESP and AH SAs keyed by (protocol, SPI,
// destination address), IKE SAs by their SPI pair.
class KeyStore {
 public:
  // `path` is a directory, from which these are read when present: esp_sa,
  // ikev2_decryption_table, keys.csv, keys.csv.a, keys.csv.b (at least one
  // must be; keys.csv gives its "esp" and its "ike" records); or one file,
  // read as keys.csv when its first record starts with "esp," or "ike,", as
  // ikev2_decryption_table when it is named so or its first record starts
  // with a hex digit, and as esp_sa otherwise. Errors: kIoError, kBadFile,
  // kUnknownTransform, kBadKeyLength, kBadTransformCombination, each naming
  // file:line.
  // keys.json (keys_json.h) is read too: the file of that name in a
  // directory, and a file given alone whose name ends in ".json" or whose
  // first character is '{'; its errors name file and JSON pointer.
  static Result<KeyStore> Load(const std::string& path);

  // Adds an SA, merging it into one with the same protocol, SPI and
  // destination: what one source leaves open the other may state; where
  // both state something they must agree (kBadFile naming both origins).
  Status Add(SaKeys keys);

  // The SA for a packet: an exact destination first, then a wildcard one.
  const SaKeys* Find(SaProtocol protocol, uint32_t spi, ByteSpan dst) const;

  const std::vector<SaKeys>& sas() const { return sas_; }
  const std::vector<std::string>& files() const { return files_; }

  // Adds the keys of an IKE SA. The same SPI pair again (the table and
  // keys.csv of one capture, keys.csv.a and .b of its two peers) merges
  // when transforms and keys agree and is refused (kBadFile naming both
  // origins) when they differ. `origin` is "file:line" or empty.
  Status AddIke(Ikev2Keys keys, std::string origin = {});
  // The IKE SA with these SPIs, or nullptr.
  const Ikev2Keys* FindIke(uint64_t spi_i, uint64_t spi_r) const;
  const std::vector<Ikev2Keys>& ike_sas() const { return ike_sas_; }
  // Where each of ike_sas() came from, in the same order ("file" or
  // "file:line"; several when merged).
  const std::vector<std::vector<std::string>>& ike_origins() const { return ike_origins_; }

 private:
  std::vector<SaKeys> sas_;
  std::vector<std::string> files_;
  std::vector<Ikev2Keys> ike_sas_;
  std::vector<std::vector<std::string>> ike_origins_;  // parallel to ike_sas_
};

}  // namespace ipsecref::io
