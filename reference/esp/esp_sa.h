// An ESP security association (RFC 4303): protects payloads into ESP packets
// and unprotects them, in the order the RFC prescribes. This file works on the
// ESP layer (SPI through ICV); esp_packet.h puts it into IP packets.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/crypto/primitives.h"
#include "reference/crypto/transforms.h"
#include "reference/iana/iana.h"
#include "reference/antireplay/replay_window.h"

namespace ipsecref::esp {

inline constexpr size_t kHeaderSize = 8;   // SPI + sequence number
inline constexpr size_t kTrailerSize = 2;  // pad length + next header

enum class Mode : uint8_t {
  kTransport = 1,
  kTunnel = 2,
  // Receive only, for captures whose keys do not state the mode (Wireshark's
  // esp_sa): tunnel when the next header is IPv4/IPv6, transport otherwise.
  kInferred = 3,
};

//= rfc3948#section-2.1
//# ESP in UDP: both ends normally use port 4500.
struct UdpEncapsulation {
  uint16_t src_port = 4500;
  uint16_t dst_port = 4500;
};

struct SaConfig {
  uint32_t spi = 0;
  Mode mode = Mode::kTunnel;
  iana::Encr encr = iana::Encr::kAesGcm16;
  SecureBytes encr_key;  // keying material, the salt/nonce included at its end
  iana::Integ integ = iana::Integ::kNone;
  SecureBytes integ_key;
  bool esn = false;
  uint32_t replay_window = 64;  // 0 disables anti-replay
  //= rfc4303#section-3.2
  //# Confidentiality and integrity are each optional, but not both NULL:
  //# confidentiality without integrity is allowed.
  //= ipsecref#choice
  //# It weakens confidentiality against active attackers (RFC 4303 §1), so
  //# an SA uses it only when its configuration asks for it explicitly.
  bool allow_no_integrity = false;
  std::optional<UdpEncapsulation> udp;
  Bytes tunnel_src, tunnel_dst;  // outer addresses (4 or 16 bytes), tunnel mode
  //= rfc4303#section-2.7
  //# TFC padding: tunnel-mode payloads are padded with zeros to this size
  //# (0 = off); the receiver finds the end from the inner IP length.
  size_t tfc_pad_to = 0;
  // Drop packets whose padding is not 1, 2, 3, ... (otherwise: a finding).
  bool strict_padding = false;
  crypto::Rng* rng = nullptr;  // for CBC IVs; the system RNG if null
  // Harness knob: accept a reserved SPI (published vectors use SPI 0).
  bool allow_reserved_spi = false;
  // Fuzzing knob: an ICV mismatch is ignored, so that fuzzed input reaches
  // decryption, padding and next-header checks. Never for real traffic.
  bool fuzzing_ignore_icv = false;
};

// Something non-conformant that does not make the packet undeliverable.
struct Finding {
  Code code;
  size_t offset;
  std::string_view requirement;
  std::string detail;
};

// Harness-only controls for building exact or deliberately odd packets.
struct ProtectOptions {
  std::optional<Bytes> iv;           // use this IV instead of the SA's own
  std::optional<uint64_t> sequence_number;  // use this Sequence Number, counter untouched
  std::optional<size_t> pad_length;  // exact padding (must keep the alignment)
  // These Padding bytes instead of 1, 2, 3, ... (their count is the pad
  // length: it must keep the alignment).
  std::optional<Bytes> padding;
  // Encapsulate, tunnel mode: this Next Header instead of the inner
  // packet's version (4 or 41), and this many zero bytes of TFC padding
  // after the inner packet (RFC 4303 §2.7).
  std::optional<uint8_t> next_header;
  size_t tfc_padding = 0;
};

// A view into the buffer that UnprotectInPlace decrypted.
struct Unprotected {
  uint64_t sequence_number = 0;  // full 64-bit number (ESN inferred)
  uint8_t next_header = 0;
  ByteSpan payload;       // Payload Data (TFC padding still included)
  size_t pad_length = 0;
  std::vector<Finding> findings;
};

class Sa {
 public:
  static Result<std::unique_ptr<Sa>> Create(const SaConfig& config);
  ~Sa();

  const SaConfig& config() const { return config_; }
  const crypto::EncrTransform& encr() const { return *encr_; }
  uint32_t spi() const { return config_.spi; }
  size_t iv_size() const { return encr_->iv_size; }
  size_t icv_size() const { return icv_size_; }
  // Ciphertext is padded to a multiple of this (at least 4, RFC 4303 §2.4).
  size_t alignment() const { return alignment_; }
  // The default (minimal) padding for a payload of `payload_size` bytes.
  size_t PadLength(size_t payload_size) const;
  // Bytes ESP adds around a payload of `payload_size` bytes (minimal padding).
  size_t Overhead(size_t payload_size) const;

  // Sender: appends the ESP packet (SPI .. ICV) for `payload` to `out`.
  // Fails with kSequenceOverflow when the counter would cycle.
  [[nodiscard]] Status Protect(ByteSpan payload, uint8_t next_header, Bytes& out,
                               const ProtectOptions& options = {});

  // Receiver: checks and decrypts `esp` (SPI .. ICV) in place, in the order
  // of RFC 4303 §3.4. On success the window has advanced.
  [[nodiscard]] Result<Unprotected> UnprotectInPlace(MutableByteSpan esp);

  // The Sequence Number Counter (RFC 4301 §4.4.2.1): the last sequence
  // number sent; 0 before the first packet.
  uint64_t sequence_number_counter() const { return sent_seq_; }

  // Harness knob: the receiver behaves as if it had authenticated `seq`
  // already (a test vector or capture that starts mid-stream, where ESN
  // inference needs to know the current subspace).
  void AssumeReceived(uint64_t seq) { window_.Update(seq); }
  // Harness knob: the sender continues after `seq` (to reach the counter's end).
  void AssumeSent(uint64_t seq) { sent_seq_ = seq; }
  const antireplay::ReplayWindow& replay_window() const { return window_; }

 private:
  struct Key {};  // only Create constructs an Sa

 public:
  Sa(Key, const SaConfig& config, const crypto::EncrTransform& encr);

 private:
  static constexpr size_t kMaxAad = 12 + 8;
  void MakeIv(uint64_t seq, MutableByteSpan iv);
  ByteSpan MakeAad(uint64_t seq, ByteSpan iv, uint8_t (&aad)[kMaxAad]) const;

  SaConfig config_;
  const crypto::EncrTransform* encr_;
  std::unique_ptr<crypto::Aead> aead_;
  std::unique_ptr<crypto::Cipher> cipher_;
  std::unique_ptr<crypto::Integrity> integrity_;
  std::unique_ptr<crypto::Rng> own_rng_;
  crypto::Rng* rng_;
  size_t icv_size_ = 0;
  size_t alignment_ = 4;
  uint64_t sent_seq_ = 0;  // last sequence number sent
  antireplay::ReplayWindow window_;
};

// The SPI of an ESP packet, or an error if it is too short to have one.
Result<uint32_t> PeekSpi(ByteSpan esp);

}  // namespace ipsecref::esp
