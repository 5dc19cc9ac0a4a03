#include "reference/gateway/selectors.h"

namespace ipsecref::gateway {

std::vector<spd::Selector> SelectorsOf(const std::vector<ike::TrafficSelector>& local,
                                       const std::vector<ike::TrafficSelector>& remote) {
  std::vector<spd::Selector> out;
  for (const ike::TrafficSelector& l : local)
    for (const ike::TrafficSelector& r : remote) {
      if (!l.address_range() || !r.address_range() || l.starting_address.size() != r.starting_address.size())
        continue;
      if (l.ip_protocol_id != 0 && r.ip_protocol_id != 0 && l.ip_protocol_id != r.ip_protocol_id) continue;
      spd::Selector s;
      s.local = {l.starting_address, l.ending_address};
      s.remote = {r.starting_address, r.ending_address};
      s.protocol = l.ip_protocol_id != 0 ? l.ip_protocol_id : r.ip_protocol_id;
      s.local_ports = {l.start_port, l.end_port};
      s.remote_ports = {r.start_port, r.end_port};
      if (spd::Validate(s)) out.push_back(std::move(s));
    }
  return out;
}

spd::Policy OutboundPolicy(std::string name, const std::vector<ike::TrafficSelector>& local,
                           const std::vector<ike::TrafficSelector>& remote, uint64_t sa_id) {
  spd::Policy p;
  p.name = std::move(name);
  p.selectors = SelectorsOf(local, remote);
  p.action = spd::Action::kProtect;
  p.sa_id = sa_id;
  return p;
}

Status CheckInboundSelectors(const std::vector<spd::Selector>& selectors, ByteSpan inner) {
  TRY_ASSIGN(spd::PacketSelectors packet, spd::ExtractSelectors(inner));
  return spd::CheckInbound(selectors, packet);
}

}  // namespace ipsecref::gateway
