// The keys of a running gateway's SAs, in the files Wireshark and
// `ipsecref check` read (Wireshark's ikev2_decryption_table and esp_sa, and
// keys.json), kept up to date as strongSwan's save-keys plugin keeps them:
// any capture of the gateway can then be decrypted and judged.
#pragma once

#include <map>
#include <optional>
#include <vector>
#include <mutex>
#include <string>
#include <utility>

#include "reference/base/result.h"
#include "reference/ike/sa/ike_sa.h"
#include "reference/io/keys.h"

namespace ipsecref::gateway {

// An IKE SA's keys as the key files state them.
io::Ikev2Keys IkeKeysOf(const ike::sa::IkeSa& sa);
// A CHILD SA's inbound SA (the one `sa`'s end receives on) and outbound SA,
// placed between the IKE SA's addresses; `udp` says whether ESP travels in
// UDP (RFC 3948).
io::SaKeys InboundKeysOf(const ike::sa::IkeSa& sa, const ike::sa::ChildSa& child, bool udp);
io::SaKeys OutboundKeysOf(const ike::sa::IkeSa& sa, const ike::sa::ChildSa& child, bool udp);

class KeyExport {
 public:
  // `dir` must exist; files are written whole (a temporary file renamed
  // over the old one), so a reader never sees half of one.
  explicit KeyExport(std::string dir) : dir_(std::move(dir)) {}

  // Adds what is new (SAs are never removed: a capture may still hold
  // their packets) and rewrites the files when anything was. keys.json
  // holds every SA; Wireshark's two files the SAs it has names for (not
  // ChaCha20-Poly1305, for one): for an SA left out of them the result is
  // a note saying so. Thread-safe. Errors: kIoError naming the file.
  Result<std::optional<std::string>> Add(const io::Ikev2Keys& ike);
  Result<std::optional<std::string>> Add(const io::SaKeys& sa);

 private:
  Status WriteLocked();
  std::string dir_;
  std::mutex mu_;
  std::map<std::pair<uint64_t, uint64_t>, io::Ikev2Keys> ike_;
  std::map<std::pair<uint32_t, Bytes>, io::SaKeys> sas_;  // by SPI and destination
  // The subsets Wireshark's files can name.
  std::vector<io::Ikev2Keys> wireshark_ike_;
  std::vector<io::SaKeys> wireshark_sas_;
};

}  // namespace ipsecref::gateway
