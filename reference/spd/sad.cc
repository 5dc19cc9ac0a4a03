#include "reference/spd/sad.h"

#include <fmt/format.h>

namespace ipsecref::spd {
namespace {

using iana::IpProtocol;

bool IpsecProtocol(IpProtocol protocol) { return protocol == IpProtocol::kEsp || protocol == IpProtocol::kAh; }

//= rfc4303#section-2.1
//# SPI values 1-255 are reserved by IANA and 0 for local use: none names an
//# SA on the wire.
//= rfc4302#section-2.4
//# The same reservation holds for AH's SPI.
constexpr uint32_t kFirstUsableSpi = 256;

}  // namespace

Status Sad::Add(IpProtocol protocol, uint32_t spi, InboundSa sa) {
  ENSURE(IpsecProtocol(protocol), kInvalidArgument, kNoOffset, "rfc4301#section-4.4.2",
         fmt::format("an inbound SA is ESP (50) or AH (51), not protocol {}", static_cast<unsigned>(protocol)));
  ENSURE(spi >= kFirstUsableSpi, kBadSpi, kNoOffset,
         protocol == IpProtocol::kEsp ? "rfc4303#section-2.1" : "rfc4302#section-2.4",
         fmt::format("{} SPI 0x{:08x} is reserved (0-255)", iana::Name(protocol), spi));
  const auto [it, added] = sas_.try_emplace(Key(protocol, spi), std::move(sa));
  ENSURE(added, kInvalidArgument, kNoOffset, "rfc4301#section-4.4.2",
         fmt::format("{} SPI 0x{:08x} is already in the SAD (SA {}, policy \"{}\")", iana::Name(protocol), spi,
                     it->second.sa_id, it->second.policy));
  return OkStatus();
}

Status Sad::Remove(IpProtocol protocol, uint32_t spi) {
  ENSURE(sas_.erase(Key(protocol, spi)) == 1, kNoSa, kNoOffset, "rfc4301#section-4.4.2",
         fmt::format("no {} SA with SPI 0x{:08x} in the SAD", iana::Name(protocol), spi));
  return OkStatus();
}

const InboundSa* Sad::Find(IpProtocol protocol, uint32_t spi) const {
  auto it = sas_.find(Key(protocol, spi));
  return it == sas_.end() ? nullptr : &it->second;
}

Status CheckInbound(const std::vector<Selector>& sa_selectors, const PacketSelectors& inner) {
  for (const Selector& s : sa_selectors)
    if (Matches(s, inner, Direction::kInbound)) return OkStatus();
  std::string selectors;
  for (const Selector& s : sa_selectors) selectors += fmt::format("{}{}", selectors.empty() ? "" : ", ", Describe(s));
  return MakeError(Code::kPolicyMismatch, kNoOffset, "rfc4301#section-5.2",
                   fmt::format("inner packet {} is not one the SA carries: it allows {}", Describe(inner),
                               selectors.empty() ? "nothing (no selectors)" : selectors));
}

}  // namespace ipsecref::spd
