// ike_bench's inputs from the strongSwan captures (pcaps/strongswan-gcm and
// pcaps/strongswan-cbc) and the runners that time the receive path on their
// IKE messages, whole and stage by stage.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/ike/wire/protection.h"
#include "reference/io/ikev2_table.h"
#include "tools/bench/harness.h"

namespace ipsecref::bench {

// One IKE message of a capture, with what it takes to decrypt it.
struct CapturedMessage {
  std::string name;  // "frame3-IKE_AUTH-request"
  Bytes datagram;
  ike::MessageProtection* protection = nullptr;  // null: plaintext (IKE_SA_INIT)
  // The SK payload's associated data ends (and its body starts) here.
  size_t body_at = 0;
  bool initiator = false;  // sent by the original initiator (SK_ei/SK_ai)
};

struct Capture {
  std::string name;  // "gcm"
  std::vector<io::Ikev2Keys> table;
  std::vector<std::unique_ptr<ike::MessageProtection>> protections;
  std::vector<CapturedMessage> messages;
};

// Reads <source_dir>/pcaps/strongswan-<name>/{capture.pcap,
// ikev2_decryption_table}; an error if a message does not decode or an
// encrypted one has no keys in the table.
Result<Capture> LoadCapture(const std::string& source_dir, const std::string& name);

// What one runner does with one message.
enum class Stage {
  kReceive,    // Decode + (MessageProtection::Decrypt) + Validate: the whole receive path
  kDecode,     // ike::Decode alone (the outer layer; SK stays opaque)
  kDecrypt,    // Decode + MessageProtection::Decrypt (which decodes the inner payloads)
  kValidate,   // ike::Validate alone, on the message decoded and decrypted beforehand
  kUnprotect,  // SkCrypter::Unprotect alone on the SK body (encrypted messages only)
};

// A runner of `stage` on message `m` of capture `c` (both must outlive it).
std::unique_ptr<Runner> MessageRunner(Stage stage, const Capture& c, const CapturedMessage& m);

// Every message of `c` through the whole receive path in turn: one
// operation is the whole capture, its items the messages.
std::unique_ptr<Runner> CaptureRunner(const Capture& c);

}  // namespace ipsecref::bench
