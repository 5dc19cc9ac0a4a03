#include "reference/esp/esp_packet.h"

#include <fmt/format.h>

namespace ipsecref::esp {

using iana::IpProtocol;

namespace {

constexpr uint8_t kEspProtocol = static_cast<uint8_t>(IpProtocol::kEsp);
constexpr uint8_t kUdpProtocol = static_cast<uint8_t>(IpProtocol::kUdp);
constexpr size_t kUdpHeader = 8;

// Outer header for tunnel mode; lengths are filled in by Finish.
void AppendOuterHeader(const Sa& sa, const ip::PacketView& inner_view, ByteSpan inner, Bytes& out) {
  const SaConfig& c = sa.config();
  //= rfc6864#section-4.1
  //# The outer IPv4 ID only needs to be unique while fragments may be in
  //# flight; the low bits of the next sequence number serve.
  ip::AppendTunnelHeader(out, c.tunnel_src, c.tunnel_dst, c.udp ? kUdpProtocol : kEspProtocol,
                         static_cast<uint16_t>(sa.sequence_number_counter() + 1), inner_view, inner);
}

// Whether the packet that `payload` becomes still fits the IP length field.
Status CheckFits(const Sa& sa, size_t headers, size_t payload, int version) {
  const size_t total = headers + (sa.config().udp ? kUdpHeader : 0) + payload + sa.Overhead(payload);
  ENSURE(ip::FitsLengthField(total, version), kBadLength, kNoOffset, "rfc4303#section-3.3",
         fmt::format("{} bytes with ESP exceed the IPv{} length field", total, version));
  return OkStatus();
}

// UDP header for RFC 3948 encapsulation; length and checksum set by Finish.
void AppendUdpHeader(const UdpEncapsulation& udp, Bytes& out) {
  uint8_t h[kUdpHeader] = {};
  StoreU16(h, udp.src_port);
  StoreU16(h + 2, udp.dst_port);
  out.insert(out.end(), h, h + kUdpHeader);
}

// Sets the IP lengths, and the UDP length and checksum when ESP is in UDP;
// fails when ESP made the packet too long for the IP length field.
Status Finish(Bytes& out, int version, size_t udp_offset, bool udp) {
  const size_t length = version == 4 ? out.size() : out.size() - ip::kIpv6Header;
  ENSURE(length <= 0xffff, kBadLength, kNoOffset, version == 4 ? "rfc791#section-3.1" : "rfc8200#section-3",
         fmt::format("{} bytes with ESP exceed the IPv{} length field", out.size(), version));
  if (udp) {
    MutableByteSpan d(out.data() + udp_offset, out.size() - udp_offset);
    StoreU16(&d[4], static_cast<uint16_t>(d.size()));
    if (version == 4) {
      //= rfc3948#section-2.1
      //# Over IPv4 the UDP checksum of ESP-in-UDP should be sent as zero.
      StoreU16(&d[6], 0);
    } else {
      //= rfc8200#section-8.1
      //# IPv6 UDP checksums are mandatory.
      ByteSpan src(out.data() + 8, 16), dst(out.data() + 24, 16);
      StoreU16(&d[6], 0);
      StoreU16(&d[6], ip::UdpChecksum(src, dst, d));
    }
  }
  ip::FixLengths(out, version);
  return OkStatus();
}

}  // namespace

Status Encapsulate(Sa& sa, ByteSpan ip_packet, Bytes& out, const ProtectOptions& options) {
  const SaConfig& c = sa.config();
  ENSURE(c.mode != Mode::kInferred, kInvalidArgument, kNoOffset, "rfc4301#section-4.1",
         "an SA of inferred mode only receives");
  TRY_ASSIGN(ip::PacketView v, ip::Parse(ip_packet));
  out.clear();
  if (c.mode == Mode::kTunnel) {
    ByteSpan inner = ip_packet.first(v.total_length);
    const int version = c.tunnel_src.size() == 4 ? 4 : 6;
    const size_t padded_size = std::max(inner.size() + options.tfc_padding, c.tfc_pad_to);
    TRY(CheckFits(sa, version == 4 ? ip::kIpv4MinHeader : ip::kIpv6Header, padded_size, version));
    AppendOuterHeader(sa, v, inner, out);
    const size_t udp_offset = out.size();
    if (c.udp) AppendUdpHeader(*c.udp, out);
    const uint8_t next = options.next_header.value_or(
        static_cast<uint8_t>(v.version == 4 ? IpProtocol::kIpv4 : IpProtocol::kIpv6));
    if (padded_size > inner.size()) {
      Bytes padded(inner.begin(), inner.end());
      padded.resize(padded_size, 0);
      TRY(sa.Protect(padded, next, out, options));
    } else {
      TRY(sa.Protect(inner, next, out, options));
    }
    //= rfc6864#section-4.1
    //# The outer IPv4 ID only needs to be unique while fragments may be in
    //# flight; the low bits of the sequence number serve.
    if (version == 4) StoreU16(&out[4], static_cast<uint16_t>(sa.sequence_number_counter()));
    TRY(Finish(out, version, udp_offset, c.udp.has_value()));
    return OkStatus();
  }
  //= rfc4303#section-3.1.1
  //# Transport mode protects whole datagrams only; fragments are made after
  //# ESP is applied.
  ENSURE(!v.fragment, kFragment, 0, "rfc4303#section-3.1.1",
         "transport mode cannot protect a fragment");
  TRY_ASSIGN(ip::InsertionPoint at, ip::TransportInsertionPoint(ip_packet));
  //= rfc4303#section-2.6
  //# Next header 59 marks dummy packets, which receivers discard: a
  //# transport-mode packet with nothing after its headers cannot be sent.
  ENSURE(at.protocol != static_cast<uint8_t>(IpProtocol::kNoNextHeader), kBadNextHeader,
         at.protocol_field, "rfc4303#section-2.6",
         "transport-mode payload with next header 59 would be taken for a dummy packet");
  out.assign(ip_packet.begin(), ip_packet.begin() + static_cast<long>(at.offset));
  out[at.protocol_field] = c.udp ? kUdpProtocol : kEspProtocol;
  const size_t udp_offset = out.size();
  if (c.udp) AppendUdpHeader(*c.udp, out);
  TRY(sa.Protect(ip_packet.subspan(at.offset, v.total_length - at.offset), at.protocol, out, options));
  TRY(Finish(out, v.version, udp_offset, c.udp.has_value()));
  return OkStatus();
}

Status MakeDummy(Sa& sa, size_t size, crypto::Rng& rng, Bytes& out) {
  //= rfc4303#section-2.6
  //# A dummy packet carries next header 59 and random payload; the receiver
  //# must discard it.
  Bytes junk(size);
  rng.Fill(junk);
  out.clear();
  const SaConfig& c = sa.config();
  ENSURE(c.mode == Mode::kTunnel, kUnsupported, kNoOffset, "rfc4303#section-2.6",
         "dummy packets are built for tunnel-mode SAs");
  AppendOuterHeader(sa, ip::PacketView{}, ByteSpan{}, out);
  const int version = c.tunnel_src.size() == 4 ? 4 : 6;
  const size_t udp_offset = out.size();
  if (c.udp) AppendUdpHeader(*c.udp, out);
  TRY(sa.Protect(junk, static_cast<uint8_t>(IpProtocol::kNoNextHeader), out));
  TRY(Finish(out, version, udp_offset, c.udp.has_value()));
  return OkStatus();
}

UdpPayloadKind ClassifyUdpPayload(ByteSpan p) {
  if (p.size() == 1 && p[0] == 0xff) return UdpPayloadKind::kNatKeepalive;
  if (p.size() < 4) return UdpPayloadKind::kTooShort;
  if (LoadU32(p.data()) == 0) return UdpPayloadKind::kIke;
  //= rfc3948#section-2.2
  //# The SPI is never zero, so a non-zero first word is ESP; a packet too
  //# short for an ESP header is not ESP either.
  return p.size() >= kHeaderSize ? UdpPayloadKind::kEsp : UdpPayloadKind::kTooShort;
}

Result<Located> LocateEsp(ByteSpan packet, uint16_t udp_port) {
  Located loc;
  TRY_ASSIGN(loc.ip, ip::Parse(packet));
  const size_t end = loc.ip.total_length;
  if (loc.ip.protocol == kEspProtocol) {
    loc.esp_offset = loc.ip.header_length;
    loc.esp_length = end - loc.esp_offset;
    return loc;
  }
  ENSURE(loc.ip.protocol == kUdpProtocol, kNotIpsec, loc.ip.protocol_field, "rfc4303#section-2",
         fmt::format("protocol {} ({})", loc.ip.protocol,
                     iana::Name(static_cast<IpProtocol>(loc.ip.protocol))));
  loc.udp = true;
  loc.udp_offset = loc.ip.header_length;
  ENSURE(end - loc.udp_offset >= kUdpHeader, kTruncated, end, "rfc768", "UDP header cut short");
  const uint8_t* u = packet.data() + loc.udp_offset;
  const uint16_t sport = LoadU16(u), dport = LoadU16(u + 2), ulen = LoadU16(u + 4);
  ENSURE(sport == udp_port || dport == udp_port, kNotIpsec, loc.udp_offset, "rfc3948#section-2",
         fmt::format("UDP ports {} -> {} are not the ESP-in-UDP port {}", sport, dport, udp_port));
  ENSURE(ulen >= kUdpHeader && ulen <= end - loc.udp_offset, kBadLength, loc.udp_offset + 4, "rfc768",
         fmt::format("UDP length {} disagrees with the {} bytes after the IP header", ulen,
                     end - loc.udp_offset));
  loc.esp_offset = loc.udp_offset + kUdpHeader;
  loc.esp_length = ulen - kUdpHeader;
  ByteSpan payload(packet.data() + loc.esp_offset, loc.esp_length);
  switch (ClassifyUdpPayload(payload)) {
    case UdpPayloadKind::kEsp: return loc;
    case UdpPayloadKind::kIke:
      return MakeError(Code::kNotIpsec, loc.esp_offset, "rfc3948#section-2.2",
                       "non-ESP marker: an IKE message");
    case UdpPayloadKind::kNatKeepalive:
      return MakeError(Code::kNotIpsec, loc.esp_offset, "rfc3948#section-2.3", "NAT-keepalive");
    case UdpPayloadKind::kTooShort: break;
  }
  return MakeError(Code::kTruncated, loc.esp_offset, "rfc3948#section-2.2",
                   fmt::format("{} bytes of UDP payload hold no ESP header", loc.esp_length));
}

Result<DecapsulatedView> DecapsulateInPlace(const SaLookup& lookup, MutableByteSpan packet) {
  TRY_ASSIGN(Located loc, LocateEsp(packet));
  //= rfc4303#section-3.4.1
  //# Fragments are reassembled before ESP processing; a fragment reaching
  //# ESP is dropped.
  ENSURE(!loc.ip.fragment, kFragment, 0, "rfc4303#section-3.4.1", "ESP in a fragment");
  ByteSpan esp_bytes = ByteSpan(packet).subspan(loc.esp_offset, loc.esp_length);
  TRY_ASSIGN(uint32_t spi, PeekSpi(esp_bytes));
  //= rfc4303#section-3.4.2
  //# The SA is found by SPI (and, for multicast, addresses); no SA: drop,
  //# an auditable event.
  Sa* sa = lookup(spi);
  ENSURE(sa != nullptr, kNoSa, loc.esp_offset, "rfc4303#section-3.4.2",
         fmt::format("no SA for SPI {:#010x}", spi));

  DecapsulatedView d;
  MutableByteSpan buffer = packet.first(loc.ip.total_length);
  MutableByteSpan esp = buffer.subspan(loc.esp_offset, loc.esp_length);
  auto unprotected = sa->UnprotectInPlace(esp);
  if (!unprotected) return std::move(unprotected).error().At(loc.esp_offset);
  Unprotected& u = *unprotected;
  d.sequence_number = u.sequence_number;
  d.next_header = u.next_header;
  d.findings = std::move(u.findings);
  for (Finding& f : d.findings) f.offset += loc.esp_offset;
  const size_t payload_at = static_cast<size_t>(u.payload.data() - buffer.data());
  const size_t payload_size = u.payload.size();

  const Mode mode = sa->config().mode;
  const bool ip_in_ip = u.next_header == static_cast<uint8_t>(IpProtocol::kIpv4) ||
                        u.next_header == static_cast<uint8_t>(IpProtocol::kIpv6);
  if (mode == Mode::kTunnel || (mode == Mode::kInferred && ip_in_ip)) {
    //= rfc4303#section-3.4.4.1
    //# In tunnel mode the payload is an IP packet: next header 4 or 41, and
    //# its header must agree.
    const bool v4 = u.next_header == static_cast<uint8_t>(IpProtocol::kIpv4);
    ENSURE(v4 || u.next_header == static_cast<uint8_t>(IpProtocol::kIpv6), kBadNextHeader,
           loc.esp_offset + loc.esp_length - sa->icv_size() - 1, "rfc4303#section-3.4.4.1",
           fmt::format("tunnel-mode next header {} is not IPv4 (4) or IPv6 (41)", u.next_header));
    auto inner = ip::Parse(ByteSpan(buffer.data() + payload_at, payload_size));
    if (!inner) {
      Error e = std::move(inner).error().At(payload_at);
      return MakeError(Code::kBadInnerPacket, e.offset, e.requirement, e.ToString());
    }
    ENSURE(inner->version == (v4 ? 4 : 6), kBadInnerPacket, payload_at, "rfc4303#section-2.6",
           fmt::format("next header {} but the inner packet is IPv{}", u.next_header, inner->version));
    //= rfc4303#section-2.7
    //# Bytes after the inner packet's own length are TFC padding: removed.
    d.packet = buffer.subspan(payload_at, inner->total_length);
    return d;
  }
  // Transport: the headers in front of ESP (without the UDP header), then the
  // payload, with the next-header chain pointing at it again.
  const size_t keep = loc.udp ? loc.udp_offset : loc.esp_offset;
  std::copy(buffer.begin() + static_cast<long>(payload_at),
            buffer.begin() + static_cast<long>(payload_at + payload_size),
            buffer.begin() + static_cast<long>(keep));
  MutableByteSpan rebuilt = buffer.first(keep + payload_size);
  rebuilt[loc.ip.protocol_field] = u.next_header;
  ip::FixLengths(rebuilt, loc.ip.version);
  d.packet = rebuilt;
  return d;
}

Result<Decapsulated> Decapsulate(const SaLookup& lookup, ByteSpan packet) {
  Bytes copy(packet.begin(), packet.end());
  TRY_ASSIGN(DecapsulatedView v, DecapsulateInPlace(lookup, copy));
  Decapsulated d;
  d.sequence_number = v.sequence_number;
  d.next_header = v.next_header;
  d.findings = std::move(v.findings);
  // The view lies inside `copy`: move it to the front and keep the buffer.
  const size_t at = static_cast<size_t>(v.packet.data() - copy.data());
  const size_t size = v.packet.size();
  copy.erase(copy.begin(), copy.begin() + static_cast<long>(at));
  copy.resize(size);
  d.packet = std::move(copy);
  return d;
}

}  // namespace ipsecref::esp
