// Fuzz target: the tunnel-map event file (spu::ParseEvents, FormatEvents,
// ApplyEvents) and the anchoring state it drives (spu::Anchoring).
//
// Input: the text of an event file (reference/spu/events.h). Inputs over
// 16 KiB are ignored: a replay is quadratic in the worst case (removing an
// IKE SA sorts everything anchored to find its tunnels; under ASan 60 KiB of
// gateways and their removals take 4 s, 15 KiB 0.3 s), and longer files
// find nothing that shorter ones do not.
//
// Checked:
//  - a refused file is kBadFile, names its line ("line N: ...") and points
//    at a word of the text;
//  - whatever ParseEvents accepts, FormatEvents writes and ParseEvents reads
//    back as the same events (op, kind, names, reported SPU) and SPU count,
//    and writing that again gives the same text;
//  - ApplyEvents (on the file's SPU count, 3 without one) either stops with
//    an error that names the line of one of the events, or gives an
//    anchoring where: the map has one row per SPU, each holding what is
//    anchored there (IKE SAs in `ike`, the rest in `tunnels`); Load(i) and
//    the row's load are the number of gateways and manual tunnels in row i
//    (spu.least-loaded); every tunnel is on its IKE SA's SPU
//    (spu.follow-ike-sa); the rows together hold Anchors(), each once, in
//    order of arrival; LeastLoaded() is exactly the SPUs of lowest load;
//    the next round-robin turn is an SPU that exists.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/check.h"
#include "reference/spu/anchoring.h"
#include "reference/spu/events.h"

namespace ipsecref::fuzz {
namespace {

constexpr size_t kMaxInput = 16 * 1024;
constexpr size_t kDefaultSpus = 3;

bool SameEvent(const spu::Event& a, const spu::Event& b) {
  return a.op == b.op && a.kind == b.kind && a.name == b.name && a.other == b.other && a.at == b.at;
}

// IPSECREF_FUZZ_VERBOSE=1 prints what became of each input: the parse or
// replay error, or the loads of the map (to see how far the seeds reach).
bool Verbose() {
  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;
  return verbose;
}

void ReportError(const char* what, const Error& e) {
  if (Verbose()) std::fprintf(stderr, "  %s: %s\n", what, e.ToString().c_str());
}

void ReportMap(const spu::Anchoring& anchoring) {
  if (!Verbose()) return;
  std::string rows;
  for (const spu::SpuRow& row : anchoring.Map()) {
    if (row.ike.empty() && row.tunnels.empty()) continue;
    rows += " SPU" + std::to_string(row.spu) + ":" + std::to_string(row.ike.size()) + "/" +
            std::to_string(row.tunnels.size()) + "/" + std::to_string(row.load);
  }
  std::fprintf(stderr, "  applied on %zu SPUs: %zu anchored (IKE SAs/tunnels/load)%s\n",
               anchoring.spus(), anchoring.Anchors().size(), rows.c_str());
}

// The N of an error detail "line N: ...".
std::optional<size_t> LineOf(std::string_view detail) {
  constexpr std::string_view kPrefix = "line ";
  if (!detail.starts_with(kPrefix)) return std::nullopt;
  detail.remove_prefix(kPrefix.size());
  size_t n = 0;
  auto [end, ec] = std::from_chars(detail.data(), detail.data() + detail.size(), n);
  if (ec != std::errc() || end == detail.data() + detail.size() || *end != ':') return std::nullopt;
  return n;
}

void CheckParseError(const Error& e, std::string_view text) {
  Check(e.code == Code::kBadFile);
  const std::optional<size_t> line = LineOf(e.detail);
  Check(line.has_value() && *line >= 1);
  Check(*line <= static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  // The offending word.
  Check(e.offset < text.size());
  const char c = text[e.offset];
  Check(c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '#');
}

void CheckRoundTrip(const spu::EventFile& file) {
  const std::string written = spu::FormatEvents(file);
  auto again = spu::ParseEvents(written);
  Check(again.ok());
  Check(again->spus == file.spus);
  Check(again->events.size() == file.events.size());
  for (size_t i = 0; i < file.events.size(); ++i)
    Check(SameEvent(again->events[i], file.events[i]));
  Check(spu::FormatEvents(*again) == written);
}

void CheckAnchoring(const spu::Anchoring& anchoring, size_t spus) {
  Check(anchoring.spus() == spus);
  const std::vector<const spu::Anchor*> anchors = anchoring.Anchors();
  const spu::TunnelMap map = anchoring.Map();
  Check(map.size() == spus);

  size_t in_rows = 0;
  size_t lowest = SIZE_MAX;
  for (size_t i = 0; i < map.size(); ++i) {
    const spu::SpuRow& row = map[i];
    Check(row.spu == i);
    size_t load = 0;
    for (const spu::Anchor* a : row.ike) {
      Check(a->spu == i && spu::IsIke(a->kind));
      if (spu::CountsAsLoad(a->kind)) ++load;
    }
    for (const spu::Anchor* a : row.tunnels) {
      Check(a->spu == i && !spu::IsIke(a->kind));
      if (spu::CountsAsLoad(a->kind)) ++load;
    }
    Check(anchoring.Load(static_cast<spu::SpuIndex>(i)) == load);
    Check(row.load == load);
    in_rows += row.ike.size() + row.tunnels.size();
    lowest = std::min(lowest, load);
  }
  Check(in_rows == anchors.size());

  for (size_t i = 0; i < anchors.size(); ++i) {
    const spu::Anchor* a = anchors[i];
    Check(anchoring.Find(a->name) == a);
    if (i > 0) Check(anchors[i - 1]->arrival < a->arrival);
    const auto& row = map[a->spu];
    const auto& list = spu::IsIke(a->kind) ? row.ike : row.tunnels;
    Check(std::count(list.begin(), list.end(), a) == 1);
    if (a->kind == spu::Kind::kTunnel) {
      const spu::Anchor* ike = anchoring.Find(a->ike);
      Check(ike != nullptr && spu::IsIke(ike->kind));
      Check(a->spu == ike->spu);
    } else {
      Check(a->ike.empty());
    }
  }

  const std::vector<spu::SpuIndex> least = anchoring.LeastLoaded();
  size_t at_lowest = 0;
  for (const spu::SpuRow& row : map)
    if (row.load == lowest) ++at_lowest;
  Check(least.size() == at_lowest);
  for (spu::SpuIndex s : least) Check(s < spus && map[s].load == lowest);
  Check(anchoring.NextRoundRobin() < spus);
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  if (size > kMaxInput) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto file = spu::ParseEvents(text);
  if (!file.ok()) {
    ReportError("parse", file.error());
    CheckParseError(file.error(), text);
    return 0;
  }
  CheckRoundTrip(*file);

  const size_t spus = file->spus.value_or(kDefaultSpus);
  Check(spus >= 1 && spus <= spu::kMaxSpus);
  auto anchoring = spu::ApplyEvents(*file, spus);
  if (!anchoring.ok()) {
    ReportError("apply", anchoring.error());
    const std::optional<size_t> line = LineOf(anchoring.error().detail);
    Check(line.has_value());
    Check(std::any_of(file->events.begin(), file->events.end(),
                      [&](const spu::Event& e) { return e.line == *line; }));
    return 0;
  }
  ReportMap(*anchoring);
  CheckAnchoring(*anchoring, spus);
  return 0;
}
