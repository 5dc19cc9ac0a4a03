// Named deviations: one reference peer misbehaving on purpose, by name, so
// that the other end's reaction can be tested (and, through `ipsecref
// exchange --deviation`, captured). Each deviation works only through the
// hook points the reference exposes (reference/ike/sa/hooks.h: a built
// message, its SK protection, its encoded datagrams, its retransmission)
// and through the harness network (reference/testing/exchange.h): nothing
// here branches the reference's normal path (DESIGN.md, "Deviations are
// first-class").
//
// The table below is the one place a deviation is defined: its name, kind,
// what it does, its argument, the messages it changes, the test that shows
// it, and the factory that makes its hooks and network filter.
// interop/deviations/README.md is generated from it (and checked by ctest).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/ike/sa/hooks.h"
#include "reference/testing/exchange.h"

namespace ipsecref::deviations {

enum class Kind : uint8_t {
  kFlow,     // what goes on the wire when: drops, copies, delays, retransmissions
  kContent,  // what a message says
};
std::string_view Name(Kind kind);

// What a network filter decides for one datagram sent by either peer.
struct FlowVerdict {
  bool deliver = true;  // false: the datagram is lost
  struct Later {
    ike::sa::Datagram datagram;
    bool copy = false;  // a copy the network made (captured as sent again), not a held-back original
  };
  std::vector<Later> then;  // put in flight after it (or in its place when it is lost)
};
using FlowFilter = std::function<void(const testing::Sent&, FlowVerdict&)>;

// What one deviation installs: hooks on the target peer, a filter on the
// network, or both.
struct Installed {
  std::unique_ptr<ike::sa::Hooks> hooks;
  FlowFilter filter;
};

// What a factory knows of the run it joins.
struct Target {
  testing::Exchange& exchange;
  ike::sa::Peer& peer;
  // Whether a datagram was sent by (to) the target, seen from the network
  // (through a NAT when there is one).
  bool From(const ike::sa::Datagram& d) const;
  bool To(const ike::sa::Datagram& d) const;
};

struct Argument {
  std::string_view name;  // "N", "GROUP", "OCTETS"; empty: the deviation takes none
  uint64_t fallback = 0;  // when the spec gives none
  uint64_t min = 0;
  uint64_t max = 0;
};

struct Deviation {
  std::string_view name;
  Kind kind;
  std::string_view description;
  Argument argument;
  // The messages it changes: "IKE_SA_INIT (the target's)", "the Nth
  // datagram the target sends", "every encrypted message"...
  std::string_view applies_to;
  // The test in interop/deviations/deviations_test.cc that shows it.
  std::string_view test;
  std::function<Result<Installed>(const Target&, uint64_t argument)> make;
};

// Every deviation, in the order the README lists them.
std::span<const Deviation> Deviations();
// The table's deviations, then those a harness registered.
const Deviation* FindDeviation(std::string_view name);

// A deviation a harness defines beyond the table (the network fuzzer's
// `mutate`, interop/netfuzz/), found by name after the table's, so that
// this module need not depend on the harness. Not in the README's table.
// kInvalidArgument when the name is taken.
Status RegisterDeviation(Deviation d);

// Parses "NAME" or "NAME=ARG" (ARG a decimal number); errors name the
// deviation and what was wrong with the argument, or list the known names.
// "NAME[=ARG]@EXCHANGE" makes a content deviation change the first message
// of that exchange (IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL)
// instead of the one its row names.
struct Spec {
  const Deviation* deviation = nullptr;
  uint64_t argument = 0;
  std::optional<iana::ExchangeType> exchange;
};
Result<Spec> ParseSpec(std::string_view spec);

// Makes `target` (one of the exchange's peers) misbehave as `specs` say,
// in the order given. Every spec is parsed before anything is installed.
// The hooks chain after any the target already had; the network filter
// wraps the one in place and owns the hooks, so they live as long as the
// exchange's network keeps that filter.
Status ApplyDeviations(testing::Exchange& exchange, ike::sa::Peer& target, const std::vector<std::string>& specs);

// The table as interop/deviations/README.md shows it (Markdown).
std::string DeviationTableMarkdown();

}  // namespace ipsecref::deviations
