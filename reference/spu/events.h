// The tunnel-map event file: gateways, dynamic peers, manual tunnels and
// IPsec tunnels in their order of arrival and removal, from which
// `ipsecref tunnel-map` builds the map the anchoring rules give. A line may
// end with the SPU a device under test reported (`at SPU2`): the placement is
// then checked against the rules instead of chosen.
//
//   # comment (from any #, to the end of the line); blank lines are ignored
//   spus 3                          the number of SPUs (before any event)
//   gateway IKE-1                   a site-to-site IKE gateway arrives
//   dynamic DIAL-1                  a dynamic (dial-up) IKE peer arrives
//   manual M-1                      a manual (static-key) tunnel is installed
//   tunnel IPsec-1 over IKE-1       an IPsec tunnel negotiated over IKE-1
//   rekey IPsec-1 IPsec-1b          IPsec-1 is rekeyed; IPsec-1b replaces it
//   remove IKE-1                    gone, with the tunnels negotiated over it
//   gateway IKE-2 at SPU1           as reported by a device: checked
//
// Names are 1 to 64 letters, digits or - _ . : / @, unique among what
// exists at the time.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/spu/anchoring.h"

namespace ipsecref::spu {

struct Event {
  enum class Op : uint8_t { kAdd, kRekey, kRemove };
  size_t line = 0;  // 1-based
  Op op = Op::kAdd;
  Kind kind = Kind::kGateway;  // kAdd
  std::string name;            // added, rekeyed (the old name) or removed
  std::string other;           // kAdd of a tunnel: its IKE SA; kRekey: the new name
  std::optional<SpuIndex> at;  // the SPU a device reported
};

struct EventFile {
  std::optional<size_t> spus;  // from a `spus` line
  std::vector<Event> events;
};

// The largest event file read (lines beyond are refused, not truncated).
inline constexpr size_t kMaxEvents = 1'000'000;

// Errors (kBadFile) name the line, the byte offset of the offending word,
// and what the line should have been.
Result<EventFile> ParseEvents(std::string_view text);

// Writes events back in the file's syntax (a parse of the output gives the
// same events).
std::string FormatEvents(const EventFile& file);

// Applies the events in order to a fresh Anchoring of `spus` SPUs. An event
// the state refuses, or a reported SPU the rules do not allow, stops the
// replay with an error that names the line.
Result<Anchoring> ApplyEvents(const EventFile& file, size_t spus);

}  // namespace ipsecref::spu
