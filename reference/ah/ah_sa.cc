#include "reference/ah/ah_sa.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

#include "reference/crypto/transforms.h"
#include "reference/ip/mutable_fields.h"
#include "reference/ip/packet.h"

namespace ipsecref::ah {
namespace {

using iana::IpProtocol;

constexpr uint8_t kAh = static_cast<uint8_t>(IpProtocol::kAh);

// Offset of the field that makes `packet` a fragment, for error reports.
size_t FragmentFieldOffset(ByteSpan packet, const ip::PacketView& view) {
  if (view.version == 4) return 6;
  uint8_t next = packet[6];
  size_t at = ip::kIpv6Header;
  while (at < view.header_length) {  // ip::Parse checked every header's length
    if (next == static_cast<uint8_t>(IpProtocol::kFragment)) return at + 2;
    const size_t length = (packet[at + 1] + 1u) * 8;  // not a Fragment header here
    next = packet[at];
    at += length;
  }
  return kNoOffset;
}

}  // namespace

size_t HeaderLength(size_t icv_size, int ip_version) {
  //= rfc4302#section-2.6
  //# The ICV field is padded so that the AH header is a multiple of 32 bits
  //# in IPv4 and of 64 bits in IPv6.
  const size_t alignment = ip_version == 6 ? 8 : 4;
  return (kFixedHeaderSize + icv_size + alignment - 1) / alignment * alignment;
}

Sa::Sa(ConstructionKey, const SaConfig& config, std::unique_ptr<crypto::Integrity> integrity)
    : config_(config), integrity_(std::move(integrity)), window_(config.replay_window, config.esn) {
  SecureBytes().swap(config_.integ_key);  // the copy's buffer is wiped as it is freed
}

Result<std::unique_ptr<Sa>> Sa::Create(const SaConfig& config) {
  //= rfc4302#section-2.4
  //# SPI values 1 to 255 are reserved by IANA and 0 is for local use only;
  //# none of them names an SA on the wire.
  ENSURE(config.spi >= 256, kBadSpi, kNoOffset, "rfc4302#section-2.4",
         fmt::format("SPI {} is reserved", config.spi));
  TRY_ASSIGN(std::unique_ptr<crypto::Integrity> integrity,
             crypto::MakeIntegrity(config.integ, config.integ_key));
  if (config.mode == SaConfig::kTunnel) {
    const size_t n = config.tunnel_src.size();
    ENSURE((n == 4 || n == 16) && config.tunnel_dst.size() == n, kInvalidArgument, kNoOffset,
           "rfc4301#section-5.1.2",
           fmt::format("tunnel endpoints of {} and {} bytes (want both 4 or both 16)", n,
                       config.tunnel_dst.size()));
  }
  return std::make_unique<Sa>(ConstructionKey{}, config, std::move(integrity));
}

Result<uint64_t> Sa::NextSequenceNumber(const ProtectOptions& options) const {
  if (options.sequence_number) {
    ENSURE(config_.esn || *options.sequence_number <= std::numeric_limits<uint32_t>::max(),
           kInvalidArgument, kNoOffset, "rfc4302#section-2.5",
           fmt::format("sequence number {} needs ESN", *options.sequence_number));
    return *options.sequence_number;
  }
  //= rfc4302#section-3.3.2
  //# The counter starts at 0 and the first packet carries 1. It must never
  //# cycle: once 2^32 - 1 (with ESN 2^64 - 1) has been sent, the SA is done
  //# and a new one is needed.
  const uint64_t last =
      config_.esn ? std::numeric_limits<uint64_t>::max() : std::numeric_limits<uint32_t>::max();
  ENSURE(counter_ < last, kSequenceOverflow, kNoOffset, "rfc4302#section-3.3.2",
         fmt::format("sequence number {} was the last one of SPI {:#010x}", counter_, config_.spi));
  return counter_ + 1;
}

Result<Bytes> Sa::Protect(ByteSpan ip_packet, const ProtectOptions& options) {
  TRY_ASSIGN(uint64_t seq, NextSequenceNumber(options));
  TRY_ASSIGN(Bytes out, config_.mode == SaConfig::kTunnel ? Encapsulate(ip_packet, seq)
                                                          : Insert(ip_packet, seq));
  if (!options.sequence_number || options.set_counter) counter_ = seq;
  return out;
}

void Sa::WriteHeader(ByteWriter& w, uint8_t next_header, size_t length, uint64_t seq) const {
  //= rfc4302#section-2.2
  //# Payload Length is the length of AH in 32-bit words, minus 2.
  //= rfc4302#section-2.3
  //# The reserved field is sent as zero (and covered by the ICV).
  //= rfc4302#section-2.5
  //# The header carries the low 32 bits of the sequence number, also with ESN.
  w.U8(next_header)
      .U8(static_cast<uint8_t>(length / 4 - 2))
      .U16(0)
      .U32(config_.spi)
      .U32(static_cast<uint32_t>(seq))
      .Zeros(length - kFixedHeaderSize);  // ICV (zero while computed) and its padding
}

Result<Bytes> Sa::Insert(ByteSpan ip_packet, uint64_t seq) {
  TRY_ASSIGN(ip::PacketView view, ip::Parse(ip_packet, /*verify_checksum=*/false));
  //= rfc4302#section-3.3.4
  //# Fragmenting happens after AH, so transport mode AH only ever protects
  //# whole datagrams.
  ENSURE(!view.fragment, kFragment, FragmentFieldOffset(ip_packet, view), "rfc4302#section-3.3.4",
         "transport mode AH applies to whole datagrams only");
  //= rfc4302#section-3.1.1
  //# In transport mode AH follows the IPv4 header, or the IPv6 hop-by-hop,
  //# routing and fragment headers (and destination options before a routing
  //# header), and precedes everything else.
  TRY_ASSIGN(ip::InsertionPoint point, ip::TransportInsertionPoint(ip_packet));
  ByteSpan whole = ip_packet.first(view.total_length);
  const size_t ah_length = HeaderLength(icv_size(), view.version);
  ENSURE(ip::FitsLengthField(whole.size() + ah_length, view.version), kBadLength,
         view.version == 4 ? 2 : 4, "rfc4302#section-3.3",
         fmt::format("{} bytes with AH exceed the IP length field", whole.size() + ah_length));
  ByteWriter w(whole.size() + ah_length);
  w.Append(whole.first(point.offset));
  WriteHeader(w, point.protocol, ah_length, seq);
  w.Append(whole.subspan(point.offset));
  Bytes out = std::move(w).Take();
  out[point.protocol_field] = kAh;
  ip::FixLengths(out, view.version);
  TRY(WriteIcv(out, point.offset, seq));
  return out;
}

Result<Bytes> Sa::Encapsulate(ByteSpan ip_packet, uint64_t seq) {
  TRY_ASSIGN(ip::PacketView inner, ip::Parse(ip_packet, /*verify_checksum=*/false));
  ByteSpan whole = ip_packet.first(inner.total_length);
  const int version = config_.tunnel_src.size() == 4 ? 4 : 6;
  const size_t outer_header = version == 4 ? ip::kIpv4MinHeader : ip::kIpv6Header;
  const size_t ah_length = HeaderLength(icv_size(), version);
  const size_t total = outer_header + ah_length + whole.size();
  ENSURE(ip::FitsLengthField(total, version), kBadLength, 0, "rfc4302#section-3.3",
         fmt::format("{} bytes with the outer header and AH exceed the IP length field", total));
  ByteWriter w(total);
  ip::AppendTunnelHeader(w.bytes(), config_.tunnel_src, config_.tunnel_dst, kAh,
                         static_cast<uint16_t>(seq), inner, whole);
  //= rfc4302#section-3.1.2
  //# In tunnel mode AH protects the whole inner packet; its next header is
  //# IPv4 (4) or IPv6 (41).
  const auto next = inner.version == 4 ? IpProtocol::kIpv4 : IpProtocol::kIpv6;
  WriteHeader(w, static_cast<uint8_t>(next), ah_length, seq);
  w.Append(whole);
  Bytes out = std::move(w).Take();
  ip::FixLengths(out, version);
  TRY(WriteIcv(out, outer_header, seq));
  return out;
}

//= rfc4302#section-3.3.3.2.2
//# With ESN the high 32 bits of the sequence number take part in the ICV,
//# placed after the end of the packet, and are never sent. (The transforms
//# here need no implicit padding: they take input of any length.)
std::array<uint8_t, 4> Sa::SequenceHigh(uint64_t seq) {
  std::array<uint8_t, 4> high{};
  StoreU32(high.data(), static_cast<uint32_t>(seq >> 32));
  return high;
}

Status Sa::WriteIcv(MutableByteSpan packet, size_t ah_offset, uint64_t seq) {
  //= rfc4302#section-3.3.3
  //# The ICV covers the IP header fields that are immutable or predictable,
  //# AH with its ICV field zeroed, and everything after AH.
  TRY_ASSIGN(Bytes view, ip::IcvView(packet));
  MutableByteSpan icv = packet.subspan(ah_offset + kFixedHeaderSize, icv_size());
  if (config_.esn) {
    integrity_->Compute({view, SequenceHigh(seq)}, icv);
  } else {
    integrity_->Compute({view}, icv);
  }
  return OkStatus();
}

Result<Verified> Sa::Verify(ByteSpan ip_packet) {
  TRY_ASSIGN(ip::PacketView view, ip::Parse(ip_packet, /*verify_checksum=*/false));
  //= rfc4302#section-3.4.1
  //# A packet that is a fragment (offset nonzero or more-fragments set) is
  //# discarded, an auditable event: reassembly comes before AH.
  ENSURE(!view.fragment, kFragment, FragmentFieldOffset(ip_packet, view), "rfc4302#section-3.4.1",
         "AH packet is a fragment");
  ENSURE(view.protocol == kAh, kBadNextHeader, view.protocol_field, "rfc4302#section-3.4.2",
         fmt::format("protocol {} after the IP headers, not AH", view.protocol));
  ByteSpan whole = ip_packet.first(view.total_length);
  const size_t ah = view.header_length;

  ByteReader r(whole.subspan(ah), ah);
  uint8_t next_header = 0, payload_length = 0;
  uint16_t reserved = 0;
  uint32_t spi = 0, seq_low = 0;
  ENSURE(r.ReadU8(next_header) && r.ReadU8(payload_length) && r.ReadU16(reserved) &&
             r.ReadU32(spi) && r.ReadU32(seq_low),
         kTruncated, ah, "rfc4302#section-2",
         fmt::format("AH header needs {} bytes, {} present", kFixedHeaderSize, whole.size() - ah));

  //= rfc4302#section-3.4.2
  //# The SA is found by the SPI; a packet for which there is none is
  //# discarded, an auditable event.
  ENSURE(spi == config_.spi, kNoSa, ah + 4, "rfc4302#section-3.4.2",
         fmt::format("SPI {:#010x} is not this SA's ({:#010x})", spi, config_.spi));

  //= rfc4302#section-2.2
  //# Payload Length gives the AH length in 32-bit words minus 2; it must
  //# match the ICV size of the SA's transform and the padding of the IP version.
  const size_t ah_length = (payload_length + 2u) * 4;
  const size_t expected = HeaderLength(icv_size(), view.version);
  ENSURE(ah_length == expected, kBadLength, ah + 1, "rfc4302#section-2.2",
         fmt::format("AH length {} bytes, {} expected for a {}-byte ICV in IPv{}", ah_length,
                     expected, icv_size(), view.version));
  ENSURE(r.remaining() >= ah_length - kFixedHeaderSize, kTruncated, ah + 1, "rfc4302#section-2.2",
         fmt::format("AH of {} bytes exceeds the {} bytes present", ah_length, whole.size() - ah));

  //= rfc4302#section-3.4.3
  //# Before the ICV, the receiver drops duplicates and numbers left of the
  //# window; the window moves only after the ICV has verified.
  Result<uint64_t> checked = window_.Check(seq_low);
  if (!checked) {
    Error error = std::move(checked).error();
    error.offset = ah + 8;
    error.requirement = "rfc4302#section-3.4.3";
    return error;
  }
  const uint64_t seq = *checked;

  //= rfc4302#section-3.4.4
  //# The receiver recomputes the ICV over the same bytes as the sender (its
  //# field zeroed, mutable fields as in §3.3.3.1) and compares in constant
  //# time; a mismatch is discarded and auditable.
  TRY_ASSIGN(Bytes icv_view, ip::IcvView(whole));
  const size_t icv_at = ah + kFixedHeaderSize;
  std::fill_n(icv_view.begin() + static_cast<long>(icv_at), icv_size(), uint8_t{0});
  ByteSpan icv = whole.subspan(icv_at, icv_size());
  const bool icv_ok = config_.esn ? integrity_->Verify({icv_view, SequenceHigh(seq)}, icv)
                                  : integrity_->Verify({icv_view}, icv);
  ENSURE(icv_ok, kIcvMismatch, icv_at, "rfc4302#section-3.4.4",
         fmt::format("ICV of sequence number {} does not verify", seq));
  window_.Update(seq);

  const size_t payload = ah + ah_length;
  if (config_.mode == SaConfig::kTunnel) {
    //= rfc4301#section-5.2
    //# After AH, a tunnel SA hands up the inner IP packet.
    ENSURE(next_header == static_cast<uint8_t>(IpProtocol::kIpv4) ||
               next_header == static_cast<uint8_t>(IpProtocol::kIpv6),
           kBadNextHeader, ah, "rfc4301#section-5.2",
           fmt::format("tunnel mode AH carries next header {}, not IPv4 or IPv6", next_header));
    ByteSpan inner = whole.subspan(payload);
    auto inner_view = ip::Parse(inner, /*verify_checksum=*/false);
    ENSURE(inner_view.ok(), kBadInnerPacket, payload, "rfc4301#section-5.2",
           inner_view.ok() ? std::string() : inner_view.error().ToString());
    const int want = next_header == static_cast<uint8_t>(IpProtocol::kIpv4) ? 4 : 6;
    ENSURE(inner_view->version == want, kBadInnerPacket, payload, "rfc4301#section-5.2",
           fmt::format("next header {} but the inner packet is IPv{}", next_header,
                       inner_view->version));
    return Verified{
        Bytes(inner.begin(), inner.begin() + static_cast<long>(inner_view->total_length)), seq};
  }
  //= rfc4302#section-3.1.1
  //# Transport mode: without AH, the header before it names AH's next header.
  ByteWriter w(whole.size() - ah_length);
  w.Append(whole.first(ah)).Append(whole.subspan(payload));
  Bytes out = std::move(w).Take();
  out[view.protocol_field] = next_header;
  ip::FixLengths(out, view.version);
  return Verified{std::move(out), seq};
}

}  // namespace ipsecref::ah
