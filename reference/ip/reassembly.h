// Reassembly of IP datagrams from their fragments: IPv4 (RFC 791 §3.2,
// with RFC 815's hole descriptors) and IPv6 (RFC 8200 §4.5, the Fragment
// header). Overlapping fragments discard their whole datagram (RFC 5722 for
// IPv6; for IPv4 the same, as RFC 1858 and RFC 3128's overlap attacks
// warrant); exact duplicates are dropped on their own (RFC 5722 §4).
// Memory and time are bounded: datagrams still open, bytes buffered, and a
// reassembly timeout measured in the caller's (e.g. a capture's) time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"

namespace ipsecref::ip {

//= rfc791#section-3.2
//# The reassembly timer's upper bound is on the order of a TTL.
//= rfc8200#section-4.5
//# Reassembly is abandoned 60 seconds after the first-arriving fragment.
//= ipsecref#choice
//# IPv4 datagrams get IPv6's 60 seconds too: one timeout for both.
inline constexpr int64_t kReassemblyTimeoutNs = 60'000'000'000;

struct ReassemblyLimits {
  size_t max_datagrams = 1024;              // open at once
  size_t max_buffered_bytes = 8 << 20;      // headers and data of open datagrams
  int64_t timeout_ns = kReassemblyTimeoutNs;
};

// A datagram whose fragments all arrived: the whole IP packet, its header
// rewritten as if it had never been fragmented, and the numbers the caller
// gave its fragments, in arrival order (duplicates included).
struct Reassembled {
  Bytes packet;
  std::vector<uint64_t> fragments;
};

// A datagram given up: why (kFragmentOverlap, kReassemblyTimeout,
// kReassemblyLimit), and the numbers of the fragments it had.
struct AbandonedDatagram {
  Error error;
  std::vector<uint64_t> fragments;
  int64_t last_ns = 0;  // when its latest fragment came
};

// What one fragment led to: its datagram completed, or nothing yet; and
// every datagram abandoned on the way (its own on an overlap, others that
// timed out or were evicted to make room).
struct FragmentOutcome {
  std::optional<Reassembled> datagram;
  std::vector<AbandonedDatagram> abandoned;
};

// Whether the headers of `packet` (which may be cut short) say it is a
// fragment: IPv4 with MF or an offset, or IPv6 with a Fragment header
// (atomic fragments included, RFC 6946).
bool IsFragment(ByteSpan packet);

//= rfc791#section-3.2
//# IPv4 fragments belong together when source, destination, protocol and
//# identification agree.
//= rfc8200#section-4.5
//# IPv6 fragments belong together when source, destination and
//# Identification agree.
struct DatagramKey {
  int version = 0;
  Bytes src, dst;
  uint8_t protocol = 0;  // IPv4 only; 0 for IPv6
  uint32_t identification = 0;
  // Spelled out, not `operator<=> = default`: a library without <=> for
  // std::vector (libc++ 14, Debian 12's) would make the default deleted.
  bool operator==(const DatagramKey&) const = default;
  bool operator<(const DatagramKey& o) const {
    return std::tie(version, src, dst, protocol, identification) <
           std::tie(o.version, o.src, o.dst, o.protocol, o.identification);
  }
};

struct ParsedFragment;  // reassembly.cc

class Reassembler {
 public:
  explicit Reassembler(ReassemblyLimits limits = {});

  // Adds the fragment `packet`, numbered `number` by the caller, seen at
  // `now_ns`. Errors concern this fragment alone, which is dropped: those
  // of Parse (a malformed IP header), kFragment (no fragment at all),
  // kBadLength (no data, data not a multiple of 8 octets before the last
  // fragment, or a datagram longer than its length field could state).
  Result<FragmentOutcome> Add(ByteSpan packet, uint64_t number, int64_t now_ns);

  // Datagrams that timed out by `now_ns`, abandoned.
  std::vector<AbandonedDatagram> Expire(int64_t now_ns);
  // Every datagram still open (the end of a capture), abandoned as timed out.
  std::vector<AbandonedDatagram> Flush();

  size_t open_datagrams() const { return order_.size(); }
  size_t buffered_bytes() const { return buffered_; }

 private:
  using Key = DatagramKey;
  struct Fragment {
    size_t first, last;  // octets of the fragmentable part, inclusive
    Bytes data;
  };
  struct Hole {
    size_t first, last;  // RFC 815 §3: octets still missing, inclusive
  };
  struct Datagram {
    Key key;
    int64_t started_ns = 0;
    bool discarded = false;  // RFC 5722: later fragments are swallowed too
    Bytes header;            // from the first fragment (offset 0), once seen
    size_t next_header_field = 0;  // IPv6: offset in `header` to patch
    uint8_t next_header = 0;       // IPv6: the first fragment's Fragment header's
    std::vector<Hole> holes;
    std::vector<Fragment> fragments;
    std::vector<uint64_t> numbers;
    int64_t last_ns = 0;
    size_t bytes = 0;
  };
  using Position = std::list<Datagram>::iterator;

  Result<FragmentOutcome> AddFragment(const ParsedFragment& f, uint64_t number, int64_t now_ns);
  // Frees a datagram's buffers; forgets it, or keeps it to swallow the
  // fragments still to come (RFC 5722).
  void Release(Position it, bool keep_as_discarded = false);
  AbandonedDatagram Abandon(Position it, Error error);
  AbandonedDatagram AbandonIncomplete(Position it, std::string_view when);
  // Evicts the oldest datagram (a discarded one silently), `keep` only when
  // no other is left; says whether it was `keep`.
  bool EvictOldest(Position keep, const Error& why, std::vector<AbandonedDatagram>& out);
  static Result<Reassembled> Assemble(Datagram& d);

  ReassemblyLimits limits_;
  std::list<Datagram> order_;  // by first arrival: the oldest in front
  std::map<Key, Position> index_;
  size_t buffered_ = 0;
};

}  // namespace ipsecref::ip
