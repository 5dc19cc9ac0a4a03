// Auditable events of RFC 4303 (§3.3.3 sequence overflow, §3.4.2 no SA,
// §3.4.3 replay, §3.4.4.1 ICV failure): which drops are audited and the
// fields each log entry should carry. The caller adds the date/time.
#pragma once

#include <optional>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::esp {

struct AuditEvent {
  Code code;
  std::string_view requirement;
  uint32_t spi = 0;
  std::optional<uint32_t> seq;      // as received (low 32 bits)
  Bytes src, dst;                   // outer addresses
  std::optional<uint32_t> flow_id;  // IPv6 only
};

// The audit entry for a drop of `packet` (an IP packet carrying ESP) with
// `error`, or nothing when the RFC does not call that drop auditable.
std::optional<AuditEvent> AuditFor(const Error& error, ByteSpan packet);

}  // namespace ipsecref::esp
