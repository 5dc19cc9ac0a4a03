// An AH security association (RFC 4302): outbound and inbound processing of
// whole IP packets, transport and tunnel mode, IPv4 and IPv6, with 32-bit or
// extended sequence numbers.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Next Header   |  Payload Len  |          RESERVED             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                 Security Parameters Index (SPI)               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Sequence Number Field                      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                Integrity Check Value-ICV (variable)           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/crypto/primitives.h"
#include "reference/iana/iana.h"
#include "reference/antireplay/replay_window.h"

namespace ipsecref::ah {

// Next header, payload length, reserved, SPI, sequence number.
inline constexpr size_t kFixedHeaderSize = 12;

// Length of the AH header for an ICV of `icv_size` bytes: padded to a
// multiple of 4 bytes in IPv4 and 8 bytes in IPv6 (RFC 4302 §2.2, §3.3.3.2.1).
size_t HeaderLength(size_t icv_size, int ip_version);

struct SaConfig {
  enum Mode { kTransport, kTunnel };

  uint32_t spi = 0;
  Mode mode = kTransport;
  iana::Integ integ = iana::Integ::kNone;
  SecureBytes integ_key;
  bool esn = false;
  uint32_t replay_window = 64;   // 0 disables the replay check
  Bytes tunnel_src, tunnel_dst;  // tunnel mode: 4 (IPv4) or 16 (IPv6) bytes each
};

// Knobs for the test harness; production callers pass none.
struct ProtectOptions {
  // Sends this sequence number instead of the next one from the counter.
  // Without ESN it must fit in 32 bits.
  std::optional<uint64_t> sequence_number;
  // With sequence_number: the counter continues from it (e.g. to start near
  // the point where it would cycle); otherwise the counter stays as it is.
  bool set_counter = false;
};

// What inbound processing hands up.
struct Verified {
  Bytes packet;              // tunnel: the inner packet; transport: the packet without AH
  uint64_t sequence_number;  // the full (ESN: inferred 64-bit) number
};

class Sa {
 public:
  // Errors: kBadSpi (SPI below 256), kUnknownTransform, kBadKeyLength,
  // kInvalidArgument (tunnel addresses not both 4 or both 16 bytes).
  [[nodiscard]] static Result<std::unique_ptr<Sa>> Create(const SaConfig& config);

  // Only Create can make the key that the constructor asks for.
  class ConstructionKey {
    friend class Sa;
    ConstructionKey() = default;
  };
  Sa(ConstructionKey, const SaConfig& config, std::unique_ptr<crypto::Integrity> integrity);

  Sa(const Sa&) = delete;
  Sa& operator=(const Sa&) = delete;

  // Outbound (RFC 4302 §3.3). Transport mode inserts AH into `ip_packet`;
  // tunnel mode wraps it in a new outer header. Bytes after the packet's
  // stated total length are dropped.
  // Errors: those of ip::Parse; kFragment (transport mode on a fragment);
  // kSequenceOverflow (the counter would cycle); kBadLength (the result
  // would exceed 65535 bytes); kInvalidArgument (bad explicit number).
  [[nodiscard]] Result<Bytes> Protect(ByteSpan ip_packet, const ProtectOptions& options = {});

  // Inbound (RFC 4302 §3.4), in the RFC's order, cheap checks first:
  // kFragment, kBadNextHeader (no AH after the IP headers), kTruncated,
  // kNoSa (SPI is not this SA's), kBadLength (AH length does not fit the
  // transform), kReplay / kStale, kIcvMismatch; then, tunnel mode only,
  // kBadNextHeader / kBadInnerPacket for an inner packet that is not IP.
  [[nodiscard]] Result<Verified> Verify(ByteSpan ip_packet);

  uint32_t spi() const { return config_.spi; }
  SaConfig::Mode mode() const { return config_.mode; }
  size_t icv_size() const { return integrity_->icv_size(); }
  // The Sequence Number Counter (RFC 4301 §4.4.2.1): the last sequence
  // number sent; 0 before the first packet.
  uint64_t sequence_number_counter() const { return counter_; }
  const antireplay::ReplayWindow& replay_window() const { return window_; }

  // Harness knob: the receiver behaves as if it had verified `seq` already
  // (a vector or capture that starts mid-stream, where ESN inference needs
  // to know the current subspace). Same as esp::Sa::AssumeReceived.
  void AssumeReceived(uint64_t seq) { window_.Update(seq); }
  // Harness knob: the sender continues after `seq`. Same as
  // esp::Sa::AssumeSent.
  void AssumeSent(uint64_t seq) { counter_ = seq; }
  bool esn() const { return config_.esn; }

 private:
  Result<uint64_t> NextSequenceNumber(const ProtectOptions& options) const;
  Result<Bytes> Encapsulate(ByteSpan ip_packet, uint64_t seq);
  Result<Bytes> Insert(ByteSpan ip_packet, uint64_t seq);
  void WriteHeader(ByteWriter& w, uint8_t next_header, size_t length, uint64_t seq) const;
  // Computes the ICV over `packet`, whose AH header starts at `ah_offset`,
  // and writes it into the AH header.
  Status WriteIcv(MutableByteSpan packet, size_t ah_offset, uint64_t seq);
  static std::array<uint8_t, 4> SequenceHigh(uint64_t seq);

  SaConfig config_;  // integ_key emptied: the key lives in integrity_
  std::unique_ptr<crypto::Integrity> integrity_;
  uint64_t counter_ = 0;
  antireplay::ReplayWindow window_;
};

}  // namespace ipsecref::ah
