#include "reference/spu/events.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace ipsecref::spu {
namespace {

// One line's grammar: VERB FIRST [JOINER] [SECOND] [at SPUn].
struct Verb {
  std::string_view word;
  Event::Op op;
  Kind kind;
  std::string_view joiner;  // a word between the two names ("over"), or empty
  bool second;              // takes a second name
  bool at;                  // may end with `at SPUn`
  std::string_view usage;
};
constexpr std::array<Verb, 6> kVerbs{{
    {"gateway", Event::Op::kAdd, Kind::kGateway, "", false, true, "gateway NAME [at SPUn]"},
    {"dynamic", Event::Op::kAdd, Kind::kDynamic, "", false, true, "dynamic NAME [at SPUn]"},
    {"manual", Event::Op::kAdd, Kind::kManual, "", false, true, "manual NAME [at SPUn]"},
    {"tunnel", Event::Op::kAdd, Kind::kTunnel, "over", true, true, "tunnel NAME over IKE-NAME [at SPUn]"},
    {"rekey", Event::Op::kRekey, Kind::kTunnel, "", true, true, "rekey OLD-NAME NEW-NAME [at SPUn]"},
    {"remove", Event::Op::kRemove, Kind::kTunnel, "", false, false, "remove NAME"},
}};

struct Word {
  std::string_view text;
  size_t offset;  // in the file
};

std::vector<Word> Split(std::string_view line, size_t base) {
  std::vector<Word> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i >= line.size() || line[i] == '#') break;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '#') ++i;
    words.push_back({line.substr(start, i - start), base + start});
  }
  return words;
}

std::optional<size_t> Number(std::string_view s) {
  size_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

Error LineError(size_t line, size_t offset, std::string detail) {
  return MakeError(Code::kBadFile, offset, {}, fmt::format("line {}: {}", line, detail));
}

}  // namespace

Result<EventFile> ParseEvents(std::string_view text) {
  EventFile file;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    const size_t base = pos;
    pos = end + 1;
    ++line_no;
    const std::vector<Word> w = Split(line, base);
    if (w.empty()) continue;
    if (w[0].text == "spus") {
      if (w.size() != 2)
        return LineError(line_no, w[std::min<size_t>(w.size() - 1, 2)].offset, "expected 'spus N'");
      if (file.spus) return LineError(line_no, w[0].offset, "the number of SPUs is given twice");
      if (!file.events.empty())
        return LineError(line_no, w[0].offset, "the number of SPUs must come before any event");
      const auto n = Number(w[1].text);
      if (!n || *n < 1 || *n > kMaxSpus)
        return LineError(line_no, w[1].offset,
                         fmt::format("'{}' is not a number of SPUs from 1 to {}", w[1].text, kMaxSpus));
      file.spus = *n;
      continue;
    }
    const Verb* verb = nullptr;
    for (const Verb& v : kVerbs)
      if (v.word == w[0].text) verb = &v;
    if (verb == nullptr)
      return LineError(line_no, w[0].offset,
                       fmt::format("unknown event '{}': expected spus, gateway, dynamic, manual, "
                                   "tunnel, rekey or remove", w[0].text));
    if (file.events.size() >= kMaxEvents)
      return LineError(line_no, w[0].offset, fmt::format("more than {} events", kMaxEvents));
    Event e;
    e.line = line_no;
    e.op = verb->op;
    e.kind = verb->kind;
    const std::string usage = fmt::format("expected '{}'", verb->usage);
    size_t i = 1;
    if (i >= w.size()) return LineError(line_no, w[0].offset, usage);
    e.name = std::string(w[i++].text);
    if (!verb->joiner.empty()) {
      if (i >= w.size() || w[i].text != verb->joiner)
        return LineError(line_no, i < w.size() ? w[i].offset : w[i - 1].offset, usage);
      ++i;
    }
    if (verb->second) {
      if (i >= w.size()) return LineError(line_no, w[i - 1].offset, usage);
      e.other = std::string(w[i++].text);
    }
    if (verb->at && i < w.size() && w[i].text == "at") {
      if (i + 1 >= w.size()) return LineError(line_no, w[i].offset, "expected 'at SPUn' or 'at n'");
      std::string_view spu = w[i + 1].text;
      if (spu.starts_with("SPU")) spu.remove_prefix(3);
      const auto n = Number(spu);
      if (!n || *n >= kMaxSpus)
        return LineError(line_no, w[i + 1].offset,
                         fmt::format("'{}' is not an SPU (SPU0 to SPU{})", w[i + 1].text, kMaxSpus - 1));
      e.at = static_cast<SpuIndex>(*n);
      i += 2;
    }
    if (i < w.size())
      return LineError(line_no, w[i].offset, fmt::format("unexpected '{}': {}", w[i].text, usage));
    file.events.push_back(std::move(e));
  }
  return file;
}

std::string FormatEvents(const EventFile& file) {
  std::string out;
  if (file.spus) out += fmt::format("spus {}\n", *file.spus);
  for (const Event& e : file.events) {
    switch (e.op) {
      case Event::Op::kAdd:
        out += e.kind == Kind::kTunnel ? fmt::format("tunnel {} over {}", e.name, e.other)
                                       : fmt::format("{} {}", KindName(e.kind), e.name);
        break;
      case Event::Op::kRekey: out += fmt::format("rekey {} {}", e.name, e.other); break;
      case Event::Op::kRemove: out += fmt::format("remove {}", e.name); break;
    }
    if (e.at) out += fmt::format(" at SPU{}", *e.at);
    out += '\n';
  }
  return out;
}

Result<Anchoring> ApplyEvents(const EventFile& file, size_t spus) {
  TRY_ASSIGN(Anchoring anchoring, Anchoring::Create(spus));
  for (const Event& e : file.events) {
    Status status;
    switch (e.op) {
      case Event::Op::kAdd: {
        auto r = anchoring.Add(e.kind, e.name, e.other, e.at);
        if (!r) status = std::move(r).error();
        break;
      }
      case Event::Op::kRekey: {
        auto r = anchoring.Rekey(e.name, e.other, e.at);
        if (!r) status = std::move(r).error();
        break;
      }
      case Event::Op::kRemove: {
        auto r = anchoring.Remove(e.name);
        if (!r) status = std::move(r).error();
        break;
      }
    }
    if (!status) {
      Error err = std::move(status).error();
      err.detail = fmt::format("line {}: {}", e.line, err.detail);
      return err;
    }
  }
  return anchoring;
}

}  // namespace ipsecref::spu
