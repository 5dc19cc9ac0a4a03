// Watching a run from the wire: the SK keys an IKE SA protects its messages
// with, and every datagram decoded (and, with those keys, decrypted) into
// one line or one structured record. The deviation tests and the
// conformance judge both read runs this way; neither looks inside a peer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/ike/sa/hooks.h"
#include "reference/ike/wire/message.h"
#include "reference/ike/wire/protection.h"

namespace ipsecref::deviations {

// Collects the SK keys of every IKE SA a peer protects messages with.
class KeyCatcher final : public ike::sa::Hooks {
 public:
  void OnEncoded(const ike::sa::IkeSa& sa, const ike::Message& m, std::vector<Bytes>& datagrams) override;
  // The padding bytes each protected message asked for (empty: the default).
  void OnProtect(const ike::sa::IkeSa& sa, const ike::Message& m, ike::SkCrypter::ProtectOptions& o) override;
  std::vector<ike::MessageKeys> keys;
  std::vector<Bytes> paddings;
};

// One IKE message (without non-ESP marker) opened as far as it goes.
struct Opened {
  std::optional<ike::Header> header;  // nullopt: no IKE header
  std::optional<ike::Message> message;  // nullopt: undecodable
  std::string undecodable;              // why, when it is
  bool encrypted = false;               // it carries SK or SKF
  bool fragment = false;                // SKF: the inner payloads are not opened
  bool decrypted = false;               // SK opened with one of the keys: message->inner holds its payloads
  size_t pad_length = 0;
  bool zero_iv = false;
  // The payloads the sender built: the plain ones of an unencrypted
  // message, the inner ones of a decrypted one (empty otherwise).
  const std::vector<ike::Payload>& Built() const;
};
Opened Open(ByteSpan message, const std::vector<ike::MessageKeys>& keys);

// The message in one line: the header as it stands, then the payloads
// (those inside SK decrypted, with the Pad Length and whether the IV is all
// zeros): "IKE_SA_INIT response v2.0 flags 20 id 0 spi 1a2b/0000 { N(NO_PROPOSAL_CHOSEN) }".
std::string Describe(ByteSpan message, const std::vector<ike::MessageKeys>& keys);
// The payloads in the notation of Describe: "SA[...] KE(31,32) Nonce(32) N(NAT_DETECTION_SOURCE_IP)".
std::string DescribePayloads(const std::vector<ike::Payload>& payloads);

}  // namespace ipsecref::deviations
