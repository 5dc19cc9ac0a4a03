// Keys of the ESP and AH SAs of a capture, as key files give them, and the
// KeyStore that merges them. The file formats live in esp_sa_file.h
// (Wireshark's esp_sa UAT) and keys_csv.h (the raw keys.csv of the peers'
// save-keys plugin, which also carries AH, ESN, mode and UDP encapsulation).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/esp/esp_sa.h"
#include "reference/iana/iana.h"
#include "reference/io/ikev1_table.h"
#include "reference/io/ikev2_table.h"

namespace ipsecref::io {

enum class SaProtocol : uint8_t { kEsp = 50, kAh = 51 };

std::string_view ProtocolName(SaProtocol protocol);  // "ESP", "AH"

// Where one key file places an SA: its addresses and, when the file states
// them, its UDP ports. Through NAT the two ends of a tunnel see different
// addresses (and ports) for the same SA: the initiator writes
// 192.0.2.1 -> 198.18.0.2, the responder behind the NAT
// 198.18.0.1[31134] -> 198.18.0.2.
struct SaView {
  Bytes src, dst;  // 4 or 16 bytes each; empty means any address ("*")
  std::optional<uint16_t> src_port, dst_port;  // keys.csv states them
  std::vector<std::string> origins;            // the file lines that give this view

  // "198.18.0.1[31134] -> 198.18.0.2"
  std::string Describe() const;
};

struct SaKeys {
  SaProtocol protocol = SaProtocol::kEsp;
  Bytes src, dst;  // 4 or 16 bytes each; empty means any address ("*")
  std::optional<uint16_t> src_port, dst_port;  // as keys.csv states them
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
  // The same SA as other key files place it, when their addresses or ports
  // differ from src and dst (a NAT between the ends): KeyStore::Add merges
  // them here.
  std::vector<SaView> other_views;

  // "ESP SPI 0x30855da0 192.0.2.1 -> 192.0.2.2"
  std::string Describe() const;
  // Every view of the SA: src and dst (with the origins no other view
  // has), then other_views.
  std::vector<SaView> Views() const;
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

// The SAs of one capture: ESP and AH SAs found by protocol and SPI (then
// by destination address where one SPI has several SAs), IKE SAs by their
// SPI pair. Both are indexed: loading n SAs takes O(n) lookups.
class KeyStore {
 public:
  // `path` is a directory, from which these are read when present: esp_sa,
  // ikev2_decryption_table, ikev1_decryption_table, keys.csv, keys.csv.a,
  // keys.csv.b (at least one must be; keys.csv gives its "esp" and its "ike"
  // records); or one file, read as keys.csv when its first record starts
  // with "esp," or "ike,", as ikev1_decryption_table when it is named so or
  // its first record is two fields, a 16-digit cookie and a key, as
  // ikev2_decryption_table when it is named so or its first record starts
  // with a hex digit, and as esp_sa otherwise. Errors: kIoError, kBadFile,
  // kUnknownTransform, kBadKeyLength, kBadTransformCombination, each naming
  // file:line.
  // keys.json (keys_json.h) is read too: the file of that name in a
  // directory, and a file given alone whose name ends in ".json" or whose
  // first character is '{'; its errors name file and JSON pointer.
  static Result<KeyStore> Load(const std::string& path);

  // Adds an SA. One with the same protocol, SPI, algorithms and keys is the
  // same SA: the new one merges into it, as another view when its addresses
  // differ (a NAT between the ends; but the reverse direction of a view is
  // the pair's other SA). What one source leaves open the other may state;
  // where both state something they must agree. Refused (kBadFile naming
  // both origins): different algorithms or keys for one protocol, SPI and
  // destination, and disagreeing ESN, mode, UDP encapsulation or window.
  Status Add(SaKeys keys);

  // The SA for a packet: the one with a view to exactly `dst`, then one
  // with a wildcard destination, then the only SA with that SPI.
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

  // Adds the keys of an ISAKMP SA (IKEv1). The same initiator cookie again
  // merges when what both give agrees (a table's key and keys.json's PSK
  // and g^xy are kept side by side) and is refused (kBadFile naming both
  // origins) when the keys or the responder cookies differ.
  Status AddIkev1(Ikev1Keys keys);
  // The ISAKMP SA with this initiator cookie (and, when its entry names one,
  // this responder cookie), or nullptr. The responder cookie 0 (the
  // initiator's first message) matches any.
  const Ikev1Keys* FindIkev1(uint64_t cookie_i, uint64_t cookie_r) const;
  const std::vector<Ikev1Keys>& ikev1_sas() const { return ikev1_sas_; }

 private:
  // (protocol << 32 | SPI) -> indices into sas_, for SAs sharing an SPI.
  static uint64_t SpiKey(SaProtocol protocol, uint32_t spi);

  std::vector<SaKeys> sas_;
  std::unordered_multimap<uint64_t, size_t> by_spi_;
  std::vector<std::string> files_;
  std::vector<Ikev2Keys> ike_sas_;
  std::vector<std::vector<std::string>> ike_origins_;  // parallel to ike_sas_
  std::map<std::pair<uint64_t, uint64_t>, size_t> ike_by_spis_;  // into ike_sas_
  std::vector<Ikev1Keys> ikev1_sas_;
};

}  // namespace ipsecref::io
