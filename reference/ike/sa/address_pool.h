// A pool of virtual IP addresses that a responder hands to remote-access
// peers in CFG_REPLY (RFC 7296 §2.19, §3.15): swanctl.conf's
// `pools { NAME { addrs = ... dns = ... } }`, which a connection names in
// `pools = NAME`.
//
// Leases: an address given to a peer's identity is that identity's lease.
// It is online while an IKE SA holds it (Acquire/Release count the holders:
// a reauthenticating peer holds it twice for a moment) and offline after;
// an offline lease stays the identity's, so that a peer that reconnects gets
// its address back, until the pool runs out of never-used addresses and
// hands the longest-offline one to someone else.
//
// Thread-safe: a gateway's SPUs share their pools.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::ike::sa {

//= ipsecref#choice
//# A pool holds at most 2^24 addresses (a /8 of IPv4, a /104 of IPv6):
//# leases are kept per address, and no remote-access deployment needs more.
inline constexpr uint64_t kMaxPoolSize = uint64_t{1} << 24;

class AddressPool {
 public:
  // `addrs` in swanctl.conf's form: a subnet "10.3.0.0/24" (without its
  // first and last address when it has more than two: the network and
  // broadcast addresses, as strongSwan serves a subnet) or a range
  // "10.3.0.1-10.3.0.100" (both ends included). `dns`: the DNS servers
  // handed out with the addresses, 4 or 16 bytes each, any family.
  // Errors (kInvalidArgument) name the pool and what is wrong: not an address,
  // subnet or range; more than kMaxPoolSize addresses; a DNS server that is
  // no address.
  static Result<std::shared_ptr<AddressPool>> Create(std::string name, std::string_view addrs,
                                                     std::vector<Bytes> dns = {});

  const std::string& name() const { return name_; }
  // As configured ("10.3.0.0/24", "10.3.0.1-10.3.0.100").
  const std::string& addrs() const { return addrs_; }
  // 4 (IPv4) or 16 (IPv6).
  size_t family_size() const { return first_.size(); }
  uint64_t size() const { return size_; }
  const std::vector<Bytes>& dns() const { return dns_; }
  bool Contains(ByteSpan address) const;

  // An address for `identity` (the peer's ID as text), held until Release:
  // the identity's own lease if it has one; else `requested` (the address
  // the peer asked for, empty for any) when it is in the pool and no other
  // identity holds it online; else a never-used address; else the
  // longest-offline lease of another identity. nullopt when every address
  // is held online by others.
  std::optional<Bytes> Acquire(std::string_view identity, ByteSpan requested = {});
  // The IKE SA that held `address` for `identity` is gone. Unknown pairs
  // change nothing.
  void Release(std::string_view identity, ByteSpan address);

  struct Lease {
    Bytes address;
    std::string identity;
    unsigned holders = 0;  // 0: offline
  };
  // Every lease, in address order.
  std::vector<Lease> Leases() const;

 private:
  AddressPool(std::string name, std::string addrs, Bytes first, uint64_t size, std::vector<Bytes> dns)
      : name_(std::move(name)), addrs_(std::move(addrs)), first_(std::move(first)), size_(size), dns_(std::move(dns)) {}
  std::optional<uint64_t> IndexOf(ByteSpan address) const;
  Bytes AddressAt(uint64_t index) const;
  // Hands the lease at `index` to `identity`, online (lock held).
  Bytes Take(uint64_t index, std::string_view identity);

  const std::string name_;
  const std::string addrs_;
  const Bytes first_;
  const uint64_t size_;
  const std::vector<Bytes> dns_;

  mutable std::mutex mu_;
  std::map<uint64_t, Lease> leases_;                               // by index into the pool
  std::map<std::string, uint64_t, std::less<>> by_identity_;       // each identity's lease
  std::deque<uint64_t> offline_;                                   // offline leases, longest-offline first
  uint64_t next_unused_ = 0;                                       // addresses from here on were never leased
};

}  // namespace ipsecref::ike::sa
