// Fuzz target: traffic selector lists in swanctl.conf's local_ts/remote_ts
// syntax and narrowing (reference/ike/sa/traffic_selectors.h).
//
// Input: the text of a list ("10.0.0.0/24[tcp/80], dynamic[udp], ::/0").
// Inputs over 16 KiB are ignored (a list holds at most 255 entries; longer
// texts only make longer addresses, which are refused alike).
//
// Checked:
//  - a refused list is kInvalidArgument with an offset inside the text (or
//    just past it, for an empty last entry) and a detail that names the
//    entry ("traffic selector N ...") unless the whole list is empty;
//    ParseTrafficSelectors refuses exactly what ParseConfiguredSelectors
//    refuses, and the lists with a dynamic entry;
//  - whatever ParseConfiguredSelectors accepts, FormatConfiguredSelectors
//    writes and ParseConfiguredSelectors reads back as the same list, and
//    writing that again gives the same text; each named selector holds
//    packets and FormatTrafficSelector of it reads back as itself;
//  - Resolve with 192.0.2.1 and with 2001:db8::1 succeeds, yields selectors
//    that hold packets, at most one per entry, none inside another;
//  - for a resolved list r of at most 32 selectors: Intersect(r, r) is r as
//    a set (each selector intersected with itself, the rest inside those);
//    NarrowForResponder(r, r, r, r) narrows and CheckNarrowed accepts the
//    answer; Intersect(r, r') with the other family's resolution holds only
//    selectors inside one of each.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/check.h"
#include "reference/ike/sa/traffic_selectors.h"

namespace ipsecref::fuzz {
namespace {

using ike::TrafficSelector;
using ike::TsPayload;
using ike::sa::ConfiguredSelector;

constexpr size_t kMaxInput = 16 * 1024;
constexpr size_t kMaxIntersected = 32;

bool Verbose() {
  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;
  return verbose;
}

bool SameSet(const std::vector<TrafficSelector>& a, const std::vector<TrafficSelector>& b) {
  auto within = [](const std::vector<TrafficSelector>& x, const std::vector<TrafficSelector>& y) {
    return std::all_of(x.begin(), x.end(),
                       [&](const TrafficSelector& t) { return std::find(y.begin(), y.end(), t) != y.end(); });
  };
  return a.size() == b.size() && within(a, b) && within(b, a);
}

bool InsideOne(const std::vector<TrafficSelector>& list, const TrafficSelector& ts) {
  return std::any_of(list.begin(), list.end(), [&](const TrafficSelector& o) { return ike::sa::Contains(o, ts); });
}

void CheckRefusal(const Error& e, std::string_view text) {
  Check(e.code == Code::kInvalidArgument);
  Check(e.offset <= text.size());
  Check(e.detail.starts_with("traffic selector ") || e.detail == "the traffic selector list is empty");
}

std::vector<TrafficSelector> CheckResolve(const std::vector<ConfiguredSelector>& list, const Bytes& address) {
  auto resolved = ike::sa::Resolve(list, address);
  Check(resolved.ok());
  Check(resolved->size() <= list.size());
  for (size_t i = 0; i < resolved->size(); ++i) {
    Check(ike::sa::HoldsPackets((*resolved)[i]));
    for (size_t j = 0; j < resolved->size(); ++j) Check(i == j || !ike::sa::Contains((*resolved)[j], (*resolved)[i]));
  }
  return *std::move(resolved);
}

void CheckNarrowing(const std::vector<TrafficSelector>& r, const std::vector<TrafficSelector>& other) {
  if (r.empty() || r.size() > kMaxIntersected || other.size() > kMaxIntersected) return;
  Check(SameSet(ike::sa::Intersect(r, r), r));
  const TsPayload payload{r};
  const auto narrowed = ike::sa::NarrowForResponder(r, r, payload, payload);
  Check(narrowed.has_value());
  Check(ike::sa::CheckNarrowed(payload, TsPayload{narrowed->tsi}).ok());
  Check(ike::sa::CheckNarrowed(payload, TsPayload{narrowed->tsr}).ok());
  for (const TrafficSelector& ts : ike::sa::Intersect(r, other)) Check(InsideOne(r, ts) && InsideOne(other, ts));
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  if (size > kMaxInput) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto list = ike::sa::ParseConfiguredSelectors(text);
  auto named = ike::sa::ParseTrafficSelectors(text);
  if (!list.ok()) {
    if (Verbose()) std::fprintf(stderr, "  refused: %s\n", list.error().ToString().c_str());
    CheckRefusal(list.error(), text);
    Check(!named.ok());
    return 0;
  }
  const bool dynamic = std::any_of(list->begin(), list->end(), [](const ConfiguredSelector& s) { return s.dynamic; });
  Check(named.ok() != dynamic);
  if (!named.ok()) CheckRefusal(named.error(), text);

  const std::string written = ike::sa::FormatConfiguredSelectors(*list);
  if (Verbose()) std::fprintf(stderr, "  accepted: %s\n", written.c_str());
  auto again = ike::sa::ParseConfiguredSelectors(written);
  Check(again.ok());
  Check(*again == *list);
  Check(ike::sa::FormatConfiguredSelectors(*again) == written);
  for (const ConfiguredSelector& entry : *list) {
    if (entry.dynamic) continue;
    Check(ike::sa::HoldsPackets(entry.selector));
    auto one = ike::sa::ParseTrafficSelectors(ike::sa::FormatTrafficSelector(entry.selector));
    Check(one.ok() && one->size() == 1 && one->front() == entry.selector);
  }

  const std::vector<TrafficSelector> v4 = CheckResolve(*list, Bytes{192, 0, 2, 1});
  const std::vector<TrafficSelector> v6 =
      CheckResolve(*list, Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  CheckNarrowing(v4, v6);
  CheckNarrowing(v6, v4);
  return 0;
}
