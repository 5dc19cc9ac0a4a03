#include "interop/check/inner_packets.h"

#include <fmt/format.h>

#include <deque>
#include <map>

#include "reference/ip/packet.h"

namespace ipsecref::io {

Result<IpPackets> ReadIpPackets(const std::string& path) {
  TRY_ASSIGN(std::unique_ptr<PcapReader> reader, PcapReader::Open(path));
  IpPackets out;
  for (;;) {
    TRY_ASSIGN(std::optional<CapturedPacket> p, reader->Next());
    if (!p) return out;
    ENSURE(p->link.ok(), kBadFile, kNoOffset, "",
           fmt::format("{} packet {}: {}", path, p->number,
                       p->link.ok() ? std::string() : p->link.error().ToString()));
    if (!p->is_ip()) {
      ++out.not_ip;
      continue;
    }
    ENSURE(!p->cut(), kBadFile, kNoOffset, "",
           fmt::format("{} packet {}: the capture holds {} of its {} bytes", path, p->number,
                       p->captured_length, p->original_length));
    ByteSpan ip = p->ip();
    // Compared as the IP header delimits it; what does not parse is compared whole.
    auto view = ip::Parse(ip, /*verify_checksum=*/false);
    if (view.ok()) ip = ip.first(view->total_length);
    out.packets.push_back({p->number, p->timestamp, Bytes(ip.begin(), ip.end())});
  }
}

InnerComparison CompareInnerPackets(std::span<const IpPacketRecord> decrypted,
                                    std::span<const IpPacketRecord> expected) {
  InnerComparison c;
  c.decrypted = decrypted.size();
  c.expected = expected.size();
  std::map<Bytes, std::deque<uint64_t>> pending;
  for (const IpPacketRecord& e : expected) pending[e.packet].push_back(e.number);
  uint64_t last_matched = 0;
  for (const IpPacketRecord& d : decrypted) {
    auto it = pending.find(d.packet);
    if (it == pending.end() || it->second.empty()) {
      c.unexpected.push_back(d.number);
      continue;
    }
    const uint64_t number = it->second.front();
    it->second.pop_front();
    ++c.matched;
    if (number < last_matched) c.same_order = false;
    last_matched = number;
  }
  for (const IpPacketRecord& e : expected) {
    auto it = pending.find(e.packet);
    if (it == pending.end() || it->second.empty() || it->second.front() != e.number) continue;
    it->second.pop_front();
    c.missing.push_back(e.number);
  }
  return c;
}

}  // namespace ipsecref::io
