#include "reference/ike/sa/address_pool.h"

#include <algorithm>

#include <fmt/format.h>

#include "reference/ike/sa/traffic_selectors.h"

namespace ipsecref::ike::sa {
namespace {

// a - b for big-endian numbers of one size, when it fits in 64 bits.
std::optional<uint64_t> Difference(ByteSpan a, ByteSpan b) {
  Bytes d(a.size());
  int borrow = 0;
  for (size_t i = a.size(); i-- > 0;) {
    int v = int{a[i]} - int{b[i]} - borrow;
    borrow = v < 0;
    d[i] = static_cast<uint8_t>(v + (borrow ? 256 : 0));
  }
  if (borrow) return std::nullopt;  // a < b
  uint64_t value = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i + 8 < d.size()) {
      if (d[i] != 0) return std::nullopt;
      continue;
    }
    value = (value << 8) | d[i];
  }
  return value;
}

}  // namespace

Result<std::shared_ptr<AddressPool>> AddressPool::Create(std::string name, std::string_view addrs,
                                                         std::vector<Bytes> dns) {
  const auto bad = [&name](std::string why) {
    return MakeError(Code::kInvalidArgument, kNoOffset, "", fmt::format("pool {}: {}", name, why));
  };
  Result<std::vector<TrafficSelector>> parsed = ParseTrafficSelectors(addrs);
  if (!parsed) return bad(fmt::format("addrs: {}", parsed.error().detail));
  if (parsed->size() != 1 || parsed->front().ip_protocol_id != 0 || parsed->front().start_port != 0 ||
      parsed->front().end_port != 0xFFFF)
    return bad(fmt::format("addrs \"{}\" is not one subnet or range of addresses", addrs));
  Bytes first = parsed->front().starting_address;
  const Bytes& last = parsed->front().ending_address;
  std::optional<uint64_t> span = Difference(last, first);
  if (!span || *span >= kMaxPoolSize)
    return bad(fmt::format("addrs \"{}\" holds more than {} addresses", addrs, kMaxPoolSize));
  uint64_t size = *span + 1;
  //= ipsecref#choice
  //# A subnet of more than two addresses is served without its first and
  //# last (the network and broadcast addresses), as strongSwan's pools serve
  //# one; a range is served whole.
  if (addrs.find('/') != std::string_view::npos && size > 2) {
    for (size_t i = first.size(); i-- > 0 && ++first[i] == 0;) {
    }
    size -= 2;
  }
  for (const Bytes& server : dns)
    if (server.size() != 4 && server.size() != 16)
      return bad(fmt::format("a DNS server of {} bytes is no IPv4 or IPv6 address", server.size()));
  return std::shared_ptr<AddressPool>(
      new AddressPool(std::move(name), std::string(addrs), std::move(first), size, std::move(dns)));
}

std::optional<uint64_t> AddressPool::IndexOf(ByteSpan address) const {
  if (address.size() != first_.size()) return std::nullopt;
  std::optional<uint64_t> index = Difference(address, first_);
  if (!index || *index >= size_) return std::nullopt;
  return index;
}

bool AddressPool::Contains(ByteSpan address) const { return IndexOf(address).has_value(); }

Bytes AddressPool::AddressAt(uint64_t index) const {
  Bytes a = first_;
  uint64_t carry = index;
  for (size_t i = a.size(); i-- > 0 && carry != 0;) {
    const uint64_t sum = a[i] + (carry & 0xFF);
    a[i] = static_cast<uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return a;
}

Bytes AddressPool::Take(uint64_t index, std::string_view identity) {
  Lease& lease = leases_[index];
  if (lease.holders == 0) std::erase(offline_, index);
  if (lease.identity != identity) {
    if (!lease.identity.empty()) by_identity_.erase(lease.identity);
    lease.identity = std::string(identity);
    by_identity_[lease.identity] = index;
    lease.address = AddressAt(index);
    lease.holders = 0;
  }
  ++lease.holders;
  return lease.address;
}

std::optional<Bytes> AddressPool::Acquire(std::string_view identity, ByteSpan requested) {
  std::lock_guard lock(mu_);
  //= rfc7296#section-2.19
  //# The responder chooses the address it gives; this one gives a peer the
  //# address it had before when it can.
  if (auto own = by_identity_.find(identity); own != by_identity_.end()) return Take(own->second, identity);
  //= rfc7296#section-3.15.1
  //# An INTERNAL_IP4_ADDRESS or INTERNAL_IP6_ADDRESS with a value in a
  //# request names the address the peer would like; the responder may give
  //# another.
  if (std::optional<uint64_t> wanted = IndexOf(requested)) {
    auto held = leases_.find(*wanted);
    if (held == leases_.end() || held->second.holders == 0) return Take(*wanted, identity);
  }
  // Never-used addresses go out in order; one taken out of order on request
  // is skipped here.
  while (next_unused_ < size_) {
    const uint64_t index = next_unused_++;
    if (!leases_.contains(index)) return Take(index, identity);
  }
  if (!offline_.empty()) return Take(offline_.front(), identity);
  return std::nullopt;
}

void AddressPool::Release(std::string_view identity, ByteSpan address) {
  std::lock_guard lock(mu_);
  std::optional<uint64_t> index = IndexOf(address);
  if (!index) return;
  auto it = leases_.find(*index);
  if (it == leases_.end() || it->second.identity != identity || it->second.holders == 0) return;
  if (--it->second.holders == 0) offline_.push_back(*index);
}

std::vector<AddressPool::Lease> AddressPool::Leases() const {
  std::lock_guard lock(mu_);
  std::vector<Lease> out;
  out.reserve(leases_.size());
  for (const auto& [index, lease] : leases_) out.push_back(lease);
  return out;
}

}  // namespace ipsecref::ike::sa
