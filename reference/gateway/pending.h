// The key under which the gateway remembers an IKE_SA_INIT request on its
// way to becoming an IKE SA (internal to reference/gateway/).
#pragma once

#include <cstdint>
#include <utility>

#include "reference/bytes/bytes.h"
#include "reference/ike/sa/environment.h"

namespace ipsecref::gateway {

// Its SPIi and where it came from (address and port).
using PendingKey = std::pair<uint64_t, Bytes>;
inline PendingKey PendingKeyOf(uint64_t spi_i, const ike::sa::Endpoint& source) {
  Bytes k = source.address;
  k.push_back(static_cast<uint8_t>(source.port >> 8));
  k.push_back(static_cast<uint8_t>(source.port));
  return {spi_i, std::move(k)};
}

}  // namespace ipsecref::gateway
