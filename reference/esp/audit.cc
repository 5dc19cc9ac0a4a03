#include "reference/esp/audit.h"

#include "reference/esp/esp_packet.h"

namespace ipsecref::esp {

std::optional<AuditEvent> AuditFor(const Error& error, ByteSpan packet) {
  if (!Describe(error.code).auditable) return std::nullopt;
  //= rfc4303#section-3.4.2
  //# An audit entry should hold the SPI, date/time, source and destination,
  //# the sequence number and, for IPv6, the flow ID (likewise §3.4.3 and
  //# §3.4.4.1; the sender's overflow entry of §3.3.3 has no sequence number).
  AuditEvent e{error.code, error.requirement};
  auto loc = LocateEsp(packet);
  if (!loc) return e;  // auditable but unlocatable: the code alone
  e.src.assign(loc->ip.src.begin(), loc->ip.src.end());
  e.dst.assign(loc->ip.dst.begin(), loc->ip.dst.end());
  if (loc->ip.version == 6) e.flow_id = LoadU32(packet.data()) & 0xfffff;
  ByteReader r(packet.subspan(loc->esp_offset, loc->esp_length));
  uint32_t spi, seq;
  if (r.ReadU32(spi)) e.spi = spi;
  if (error.code != Code::kSequenceOverflow && r.ReadU32(seq)) e.seq = seq;
  return e;
}

}  // namespace ipsecref::esp
