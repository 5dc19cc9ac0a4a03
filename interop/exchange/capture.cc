#include "interop/exchange/capture.h"

#include "reference/bytes/bytes.h"
#include "reference/ip/packet.h"
#include "reference/io/esp_sa_file.h"
#include "reference/io/ikev2_table.h"
#include "reference/io/keys_json.h"

namespace ipsecref::exchange {

// One datagram as an IPv4/UDP packet: IP header with its checksum and the
// datagram's number as Identification, UDP header with its checksum.
Bytes FrameOf(const CapturedDatagram& d) {
  Bytes packet;
  ip::PacketView no_inner{};
  ip::AppendTunnelHeader(packet, d.datagram.source.address, d.datagram.destination.address,
                         static_cast<uint8_t>(iana::IpProtocol::kUdp), static_cast<uint16_t>(d.number), no_inner, {});
  const size_t udp = packet.size();
  packet.resize(udp + 8);
  StoreU16(&packet[udp], d.datagram.source.port);
  StoreU16(&packet[udp + 2], d.datagram.destination.port);
  StoreU16(&packet[udp + 4], static_cast<uint16_t>(8 + d.datagram.data.size()));
  packet.insert(packet.end(), d.datagram.data.begin(), d.datagram.data.end());
  ip::FixLengths(packet, d.datagram.source.address.size() == 16 ? 6 : 4);
  StoreU16(&packet[udp + 6], ip::UdpChecksum(d.datagram.source.address, d.datagram.destination.address,
                                             ByteSpan(packet).subspan(udp)));
  return packet;
}

io::Timestamp TimestampOf(const CapturedDatagram& d) {
  // The fake clock reads milliseconds since the Unix epoch (from
  // 2026-01-01T00:00:00Z): the capture's times are its readings.
  return {static_cast<int64_t>(d.at / 1000), static_cast<uint32_t>(d.at % 1000) * 1'000'000u};
}

// The key files of the run, as texts; SAs Wireshark has no name for go to
// keys.json alone.

Result<KeyFiles> KeyFilesOf(const Session& s) {
  KeyFiles out;
  std::vector<io::Ikev2Keys> ike, table;
  for (const auto& [id, r] : s.ike_sas()) {
    ike.push_back(r.keys);
    if (io::Ikev2EncrNameFor(r.keys.encr, r.keys.encr_key_bits) && io::Ikev2IntegNameFor(r.keys.integ))
      table.push_back(r.keys);
  }
  std::vector<io::SaKeys> sas, named;
  for (const auto& [id, k] : s.child_sas()) {
    sas.push_back(k);
    if (k.protocol == io::SaProtocol::kEsp && io::WiresharkEncrName(k.encr) && io::WiresharkIntegName(k.integ))
      named.push_back(k);
  }
  TRY_ASSIGN(out.ikev2_table, io::WriteIkev2Table(table));
  TRY_ASSIGN(out.esp_sa, io::WriteEspSaFile(named));
  TRY_ASSIGN(out.keys_json, io::WriteKeysJson(sas, ike));
  out.ike_in_table = table.size();
  out.esp_in_file = named.size();
  return out;
}

}  // namespace ipsecref::exchange
