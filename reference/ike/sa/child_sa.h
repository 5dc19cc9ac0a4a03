// A CHILD SA as the IKE SA that negotiated it keeps it (RFC 7296 §1.3,
// §2.17): one pair of ESP or AH SAs, one per direction, with their SPIs,
// transforms, traffic selectors and keys.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reference/ike/keymat/keymat.h"
#include "reference/ike/sa/environment.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/wire/payloads/ts.h"

namespace ipsecref::ike::sa {

enum class ChildState : uint8_t {
  kInstalled,  // carries traffic
  kRekeying,   // this end sent a rekey request for it
  kRekeyed,    // replaced by a newer CHILD SA; deleted once the rekey completes
  kDeleting,   // this end sent a Delete for it
};

struct ChildSa {
  std::string config_name;
  iana::SecurityProtocol protocol = iana::SecurityProtocol::kEsp;
  //= rfc7296#section-2.17
  //# Each end picks the SPI of the SA it receives on; the peer sends with it.
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  ChildSuite suite;
  bool transport_mode = false;
  std::vector<TrafficSelector> local_ts;
  std::vector<TrafficSelector> remote_ts;
  // Whether this end was the initiator of the exchange that created the SA:
  // the _i keys protect that initiator's outbound traffic.
  bool created_as_initiator = true;
  keymat::ChildSaKeys keys;
  ChildState state = ChildState::kInstalled;
  Time established_at = 0;
  Time rekey_at = 0;   // 0: no rekey on time
  Time expire_at = 0;  // 0: no hard expiry
  // The lowest nonce of the exchange that created it (§2.8.1: a rekey
  // collision keeps the SA whose exchange had the higher lowest nonce).
  Bytes lowest_nonce;
  // The inbound SPI of the CHILD SA the peer's rekey of this one created
  // (0: none). Set while this end's own rekey may still be outstanding: a
  // simultaneous rekey (§2.8.1) is resolved when both exchanges are done.
  uint32_t rekeyed_into = 0;

  // Keys of this end's outbound and inbound SA.
  const SecureBytes& encr_out() const { return created_as_initiator ? keys.encr_i : keys.encr_r; }
  const SecureBytes& integ_out() const { return created_as_initiator ? keys.integ_i : keys.integ_r; }
  const SecureBytes& encr_in() const { return created_as_initiator ? keys.encr_r : keys.encr_i; }
  const SecureBytes& integ_in() const { return created_as_initiator ? keys.integ_r : keys.integ_i; }
};

}  // namespace ipsecref::ike::sa
