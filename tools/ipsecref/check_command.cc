// ipsecref check CAPTURE --keys DIR [--expect-inner PCAP] [--json]: judges
// every packet of a capture (interop/check/capture_check.h) and reports per
// SA; optionally compares the decrypted packets with captured cleartext.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "interop/check/capture_check.h"
#include "interop/check/inner_packets.h"
#include "reference/io/keys.h"
#include "tools/ipsecref/check_ike_report.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"
#include "tools/ipsecref/output_file.h"
#include "tools/ipsecref/progress.h"
#include "tools/ipsecref/junit.h"

namespace ipsecref::tool {

namespace {

using nlohmann::json;

struct CheckArgs {
  std::string capture;
  std::string keys;
  std::string expect_inner;
  bool json = false;
  std::string junit;  // --junit FILE
  bool strict = false;
  bool all_packets = false;
  uint32_t replay_window = 1024;
  std::string progress = "auto";
};

std::string Hex32(uint32_t v) { return fmt::format("{:#010x}", v); }

std::string Join(const std::vector<uint64_t>& numbers, size_t limit = 20) {
  std::string out;
  for (size_t i = 0; i < numbers.size() && i < limit; ++i)
    out += fmt::format("{}{}", i ? ", " : "", numbers[i]);
  if (numbers.size() > limit) out += fmt::format(", ... ({} in all)", numbers.size());
  return out;
}

std::string Join(const io::PacketNumbers& numbers, size_t limit = 20) {
  std::string out = Join(numbers.kept(), limit);
  if (numbers.not_kept() && numbers.kept().size() <= limit)
    out += fmt::format(", ... ({} in all)", numbers.count());
  return out;
}

std::string_view VerdictName(io::Verdict v) {
  switch (v) {
    case io::Verdict::kNotJudged: return "not judged";
    case io::Verdict::kOk: return "ok";
    case io::Verdict::kDiscarded: return "discarded";
    case io::Verdict::kFailed: return "failed";
  }
  return "?";
}

// The key files' other views of an SA (a NAT between the ends).
json ViewsJson(const std::vector<io::SaView>& views) {
  json out = json::array();
  for (const io::SaView& v : views) {
    json j = {{"src", io::FormatAddress(v.src)},
              {"dst", io::FormatAddress(v.dst)},
              {"origins", v.origins}};
    if (v.src_port) j["src_port"] = *v.src_port;
    if (v.dst_port) j["dst_port"] = *v.dst_port;
    out.push_back(std::move(j));
  }
  return out;
}

// " (also seen as 198.18.0.1[31134] -> 192.0.2.2 in keys.csv.b:2)", or "".
std::string AlsoSeenAs(const std::vector<io::SaView>& views) {
  std::string out;
  for (const io::SaView& v : views) {
    std::string origins;
    for (const std::string& o : v.origins) origins += (origins.empty() ? "" : ", ") + o;
    out += fmt::format("{}{} in {}", out.empty() ? "" : "; ", v.Describe(), origins);
  }
  return out.empty() ? out : fmt::format(" (also seen as {})", out);
}

json ErrorJson(const Error& e) {
  json j = {{"code", Describe(e.code).name}, {"text", e.ToString()}};
  if (e.offset != kNoOffset) j["offset"] = e.offset;
  if (!e.requirement.empty()) j["requirement"] = e.requirement;
  if (!e.detail.empty()) j["detail"] = e.detail;
  return j;
}

json ProblemsJson(const std::vector<io::ProblemSummary>& list) {
  json out = json::array();
  for (const auto& p : list) {
    json j = {{"code", Describe(p.code).name},
              {"requirement", p.requirement},
              {"example", p.example}};
    AddPacketsJson(j, "packets", p.packets);
    out.push_back(std::move(j));
  }
  return out;
}

json ReportJson(const io::CaptureReport& r, const io::KeyStore& keys,
                const std::optional<io::InnerComparison>& inner, int exit_code) {
  json kinds = json::object();
  for (size_t i = 0; i < io::kPacketKinds; ++i)
    if (r.kinds[i]) kinds[std::string(io::KindKey(static_cast<io::PacketKind>(i)))] = r.kinds[i];
  json sas = json::array();
  for (const io::SaReport& sa : r.sas) {
    json gaps = json::array();
    for (const auto& g : sa.gaps) gaps.push_back({g.first_missing, g.last_missing});
    json j = {{"protocol", io::ProtocolName(sa.protocol)},
              {"others", sa.others},
              {"spi", Hex32(sa.spi)},
              {"src", io::FormatAddress(sa.src)},
              {"dst", io::FormatAddress(sa.dst)},
              {"keys_known", sa.keys_known},
              {"also_seen_as", ViewsJson(sa.also_seen_as)},
              {"packets", sa.packets},
              {"ok", sa.ok},
              {"discarded", sa.discarded},
              {"failed", sa.failed},
              {"bytes", sa.bytes},
              {"first", sa.first.ToString()},
              {"last", sa.last.ToString()},
              {"missing", sa.missing},
              {"gaps", gaps},
              {"out_of_order", sa.out_of_order},
              {"failures", ProblemsJson(sa.failures)},
              {"findings", ProblemsJson(sa.findings)}};
    AddPacketsJson(j, "replays", sa.replays);
    if (sa.gap_count > sa.gaps.size()) j["gap_count"] = sa.gap_count;
    if (sa.below_tracked) j["below_tracked"] = sa.below_tracked;
    if (sa.notable_not_kept) j["notable_not_kept"] = sa.notable_not_kept;
    if (!sa.description.empty()) j["description"] = sa.description;
    if (sa.lowest_seq) j["lowest_seq"] = *sa.lowest_seq;
    if (sa.highest_seq) j["highest_seq"] = *sa.highest_seq;
    if (sa.sa_error) j["sa_error"] = ErrorJson(*sa.sa_error);
    sas.push_back(std::move(j));
  }
  json packets = json::array();
  for (const io::PacketResult& p : r.notable) {
    json j = {{"number", p.number},
              {"timestamp", p.timestamp.ToString()},
              {"kind", io::KindKey(p.kind)},
              {"verdict", VerdictName(p.verdict)}};
    if (p.sa) j["sa"] = *p.sa;
    if (p.seq) j["seq"] = *p.seq;
    if (p.error) j["error"] = ErrorJson(*p.error);
    json findings = json::array();
    for (const esp::Finding& f : p.findings) {
      findings.push_back({{"code", Describe(f.code).name},
                          {"offset", f.offset},
                          {"requirement", f.requirement},
                          {"detail", f.detail}});
      if (f.offset == kNoOffset) findings.back().erase("offset");  // e.g. a reassembly timeout
    }
    if (!findings.empty()) j["findings"] = findings;
    packets.push_back(std::move(j));
  }
  json out = {{"capture", r.capture},
              {"link_type", r.link_type},
              {"packets", r.packets},
              {"first", r.first.ToString()},
              {"last", r.last.ToString()},
              {"keys", keys.files()},
              {"kinds", kinds},
              {"sas", sas},
              {"notable_packets", packets},
              {"notable_not_kept", r.notable_not_kept},
              {"failed", r.failed()},
              {"findings", r.findings()}};
  if (r.read_error) out["read_error"] = ErrorJson(*r.read_error);
  if (r.kinds[static_cast<size_t>(io::PacketKind::kFragment)] || !r.reassembly.empty())
    out["reassembly"] = {{"reassembled", r.reassembled}, {"problems", ProblemsJson(r.reassembly)}};
  AddIkeJson(r, out);
  if (inner) {
    out["inner"] = {{"expected_file", inner->expected_file},
                    {"decrypted", inner->decrypted},
                    {"expected", inner->expected},
                    {"expected_not_ip", inner->expected_not_ip},
                    {"matched", inner->matched},
                    {"missing", inner->missing},
                    {"unexpected", inner->unexpected},
                    {"same_order", inner->same_order},
                    {"ok", inner->ok()}};
  }
  out["result"] = exit_code == kExitOk ? "pass" : exit_code == kExitFailed ? "fail" : "error";
  out["exit_code"] = exit_code;
  return out;
}

void PrintProblems(std::string_view label, const std::vector<io::ProblemSummary>& list) {
  for (const auto& p : list)
    fmt::print("    {} {}{} at packet{} {}\n         e.g. {}\n", label, Describe(p.code).name,
               p.requirement.empty() ? std::string() : fmt::format(" ({})", p.requirement),
               p.packets.count() == 1 ? "" : "s", Join(p.packets), p.example);
}

void PrintReport(const io::CaptureReport& r, const io::KeyStore& keys,
                 const std::optional<io::InnerComparison>& inner, int exit_code) {
  fmt::print("capture  {} ({}): {} packets over {:.6f} s\n", r.capture, r.link_type, r.packets,
             r.last.SecondsSince(r.first));
  std::string files;
  for (const auto& f : keys.files()) files += (files.empty() ? "" : ", ") + f;
  fmt::print("keys     {} ({} SAs)\n", files, keys.sas().size());
  std::string kinds;
  for (size_t i = 0; i < io::kPacketKinds; ++i)
    if (r.kinds[i])
      kinds += fmt::format("{}{}: {}", kinds.empty() ? "" : ", ",
                           io::KindName(static_cast<io::PacketKind>(i)), r.kinds[i]);
  fmt::print("kinds    {}\n", kinds);
  if (r.kinds[static_cast<size_t>(io::PacketKind::kFragment)] || !r.reassembly.empty()) {
    fmt::print("IP reassembly: {} datagrams reassembled from fragments\n", r.reassembled);
    PrintProblems("WARN", r.reassembly);
  }
  for (const io::SaReport& sa : r.sas) {
    if (sa.others)
      fmt::print("SAs without keys beyond the first {}, counted together (no keys: not judged)\n",
                 std::count_if(r.sas.begin(), r.sas.end(),
                               [](const io::SaReport& s) { return !s.keys_known && !s.others; }));
    else
      fmt::print("SA {} SPI {} {} -> {}{}{}\n", io::ProtocolName(sa.protocol), Hex32(sa.spi),
                 io::FormatAddress(sa.src), io::FormatAddress(sa.dst), AlsoSeenAs(sa.also_seen_as),
                 sa.keys_known ? "" : "  (no keys: not judged)");
    if (!sa.description.empty()) fmt::print("    {}\n", sa.description);
    if (sa.sa_error) fmt::print("    cannot make the SA: {}\n", sa.sa_error->ToString());
    fmt::print("    {} packets ({} ok, {} discarded, {} failed), {} bytes, {:.6f} .. {:.6f} s\n",
               sa.packets, sa.ok, sa.discarded, sa.failed, sa.bytes, sa.first.SecondsSince(r.first),
               sa.last.SecondsSince(r.first));
    if (sa.lowest_seq) {
      std::string gaps = "no gaps";
      if (!sa.gaps.empty()) {
        gaps = fmt::format("{} missing:", sa.missing);
        for (size_t i = 0; i < sa.gaps.size() && i < 10; ++i) {
          const auto& g = sa.gaps[i];
          gaps += g.first_missing == g.last_missing
                      ? fmt::format(" {}", g.first_missing)
                      : fmt::format(" {}-{}", g.first_missing, g.last_missing);
        }
        if (sa.gap_count > 10) gaps += fmt::format(" ... ({} gaps)", sa.gap_count);
        if (sa.below_tracked)
          gaps += fmt::format(" ({} numbers arrived more than {} gaps late: not matched "
                              "against those gaps)", sa.below_tracked, io::kOpenSequenceRanges);
      }
      fmt::print("    seq {}..{}, {}, {}, {}\n", *sa.lowest_seq, *sa.highest_seq, gaps,
                 sa.out_of_order ? fmt::format("{} out of order", sa.out_of_order) : "in order",
                 sa.replays.empty() ? std::string("no replays")
                                    : fmt::format("replays at packets {}", Join(sa.replays)));
    }
    PrintProblems("FAIL", sa.failures);
    PrintProblems("WARN", sa.findings);
  }
  PrintIkeReport(r);
  if (inner) {
    fmt::print("inner    {} decrypted, {} expected ({}{}), {} matched, {}\n", inner->decrypted,
               inner->expected, inner->expected_file,
               inner->expected_not_ip
                   ? fmt::format("; {} non-IP frames skipped", inner->expected_not_ip)
                   : std::string(),
               inner->matched, inner->same_order ? "in the same order" : "in a different order");
    if (!inner->missing.empty())
      fmt::print("    missing: expected packets {} were not decrypted\n", Join(inner->missing));
    if (!inner->unexpected.empty())
      fmt::print("    unexpected: packets {} decrypted to packets not expected\n",
                 Join(inner->unexpected));
  }
  bool heading = false;
  for (const io::PacketResult& p : r.notable) {
    if (!p.error && p.findings.empty()) continue;
    if (!heading) fmt::print("packets\n");
    heading = true;
    std::string sa = p.sa ? fmt::format(", SPI {}", Hex32(r.sas[*p.sa].spi)) : std::string();
    std::string seq = p.seq ? fmt::format(" seq {}", *p.seq) : std::string();
    fmt::print("  {:>6} {}{}{}: {}: {}\n", p.number, io::KindName(p.kind), sa, seq,
               VerdictName(p.verdict), p.error ? p.error->ToString() : std::string("findings"));
    for (const esp::Finding& f : p.findings)
      fmt::print("         finding {}{} ({}): {}\n", Describe(f.code).name,
                 f.offset == kNoOffset ? std::string() : fmt::format(" at offset {}", f.offset),
                 f.requirement, f.detail);
  }
  if (r.notable_not_kept)
    fmt::print("  and {} more (the first {} per SA, and per kind of packet, are listed)\n",
               r.notable_not_kept, io::kPacketsKept);
  if (r.read_error) fmt::print("ERROR    {}\n", r.read_error->ToString());
  std::string verdict = exit_code == kExitOk ? "PASS" : exit_code == kExitFailed ? "FAIL" : "ERROR";
  std::string why;
  const uint64_t ike_errors = r.ike_count(io::IkeSeverity::kError);
  if (r.failed() > ike_errors)
    why += fmt::format("; {} ESP/AH packets failed", r.failed() - ike_errors);
  if (ike_errors) why += fmt::format("; {} IKE errors", ike_errors);
  if (r.findings()) why += fmt::format("; {} findings", r.findings());
  if (inner && !inner->ok()) why += "; inner packets differ from the expected ones";
  if (r.read_error) why += "; the capture could not be read to its end";
  fmt::print("result   {}{}\n", verdict, why);
}

int RunCheck(const CheckArgs& o) {
  const auto fail = [&o](const Error& e, std::string_view context = {}) {
    return Fail("check", e, o.json, context);
  };
  if (Status s = CheckInput("", o.capture); !s) return fail(s.error());
  if (Status s = CheckInput("--keys", o.keys, InputKind::kFileOrDirectory); !s) return fail(s.error());
  if (!o.expect_inner.empty())
    if (Status s = CheckInput("--expect-inner", o.expect_inner); !s) return fail(s.error());
  auto keys = io::KeyStore::Load(o.keys);
  if (!keys) return fail(keys.error(), "keys");
  // --junit is refused before the work when it names an input; it is
  // written beside its name and renamed onto it when complete.
  std::optional<OutputFile> junit_file;
  if (!o.junit.empty()) {
    std::vector<std::string> inputs = keys->files();
    inputs.push_back(o.capture);
    inputs.push_back(o.expect_inner);
    auto opened = OutputFile::Open("--junit", o.junit, inputs);
    if (!opened) return fail(opened.error());
    junit_file.emplace(std::move(opened).value());
  }
  std::vector<io::IpPacketRecord> decrypted;
  io::InnerPacketSink sink;
  if (!o.expect_inner.empty()) {
    sink = [&decrypted](const io::PacketResult& p, ByteSpan inner) {
      decrypted.push_back({p.number, p.timestamp, Bytes(inner.begin(), inner.end())});
    };
  }
  io::CheckOptions options;
  options.replay_window = o.replay_window;
  options.record_all_packets = o.all_packets;
  std::error_code size_error;
  const uint64_t size = std::filesystem::file_size(o.capture, size_error);
  Progress progress("check", size_error ? std::nullopt : std::optional<uint64_t>(size), ProgressMode(o.progress));
  options.on_record = [&progress](const io::PcapReader& r) {
    progress.Update(r.packets_read(), [&r] { return r.position(); });
  };
  const auto started = std::chrono::steady_clock::now();
  auto report = io::CheckCapture(o.capture, *keys, options, sink);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  if (report && !report->read_error && !size_error) progress.Finish(report->packets, size);
  progress.Finish();
  if (!report) return fail(report.error());
  std::optional<io::InnerComparison> inner;
  if (!o.expect_inner.empty()) {
    auto expected = io::ReadIpPackets(o.expect_inner);
    if (!expected) return fail(expected.error(), "--expect-inner");
    inner = io::CompareInnerPackets(decrypted, expected->packets);
    inner->expected_file = o.expect_inner;
    inner->expected_not_ip = expected->not_ip;
  }
  int exit_code = kExitOk;
  if (report->failed() > 0 || (inner && !inner->ok()) || (o.strict && report->findings() > 0))
    exit_code = kExitFailed;
  if (report->read_error) exit_code = kExitUsage;
  if (junit_file) {
    const JunitCapture junit{&*report, inner ? &*inner : nullptr, keys->files(), o.strict,
                             took.count()};
    std::ofstream out(junit_file->write_path(), std::ios::binary | std::ios::trunc);
    out << JunitXml(std::span(&junit, 1));
    out.close();
    if (!out)
      return fail(MakeError(Code::kIoError, kNoOffset, "",
                            fmt::format("--junit: cannot write {}: {}", Echo(o.junit), std::strerror(errno))));
    if (Status s = junit_file->Commit(); !s) return fail(s.error());
  }
  if (o.json) {
    PrintJson(ReportJson(*report, *keys, inner, exit_code));
  } else {
    PrintReport(*report, *keys, inner, exit_code);
  }
  return exit_code;
}

}  // namespace

void AddCheckCommand(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Judge every packet of a capture: decrypt and verify each ESP/AH packet with its keys");
  cmd->add_option("capture", opts->capture, "Capture file (pcap or pcapng)")->required();
  cmd->add_option("--keys", opts->keys,
                  "Key directory (esp_sa, keys.csv, keys.csv.a, keys.csv.b) or one key file")
      ->required()
      ->check(NotEmpty());
  cmd->add_option("--expect-inner", opts->expect_inner,
                  "Capture of the cleartext inner packets that the SAs must hand up")
      ->check(NotEmpty());
  //= ipsecref#choice
  //# The receiver keeps at most 2^20 packets of window (kMaxSize of
  //# reference/antireplay/replay_window.h), the bound keys.json's replay_window
  //# has too: a larger one is refused, not silently cut.
  cmd->add_option("--replay-window", opts->replay_window,
                  "Anti-replay window of the receiving SAs (default 1024)")
      ->check(CLI::Range(uint32_t{0}, uint32_t{1} << 20));
  cmd->add_flag("--json", opts->json, "Machine-readable report");
  cmd->add_option("--junit", opts->junit,
                  "Also write the verdicts as JUnit XML for CI systems: one testcase per SA")
      ->check(NotEmpty());
  cmd->add_flag("--strict", opts->strict, "Findings (e.g. non-default padding) fail the check too");
  cmd->add_flag("--all-packets", opts->all_packets, "List every packet, not just the notable ones");
  cmd->add_option("--progress", opts->progress,
                  "Progress on stderr: auto (on a terminal, for captures that take over half a second), always, "
                  "never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->footer(
      "Every packet is classified: IKE (UDP 500), IKE on UDP 4500 (non-ESP marker),\n"
      "NAT-keepalive, ESP, ESP in UDP (RFC 3948), AH, other. ESP/AH packets whose SA\n"
      "(SPI and destination) has keys go through the reference receiver (RFC 4303\n"
      "3.4, RFC 4302 3.4) with a 1024-packet replay window, so duplicates show as\n"
      "replays. Keys from Wireshark's esp_sa do not state the mode: tunnel is then\n"
      "inferred from the next header (4 or 41). Packets that the capture cut\n"
      "(snapshot length) cannot be verified and count as failed. IP fragments are\n"
      "reassembled first (RFC 791, RFC 8200 4.5) and the datagram judged whole under\n"
      "the number of the fragment that completed it; overlapping fragments discard\n"
      "their datagram (RFC 5722), and datagrams still incomplete at the end are\n"
      "reported with their fragments' numbers (findings).\n"
      "\n"
      "--expect-inner compares what the SAs hand up (tunnel: the inner packet;\n"
      "transport: the packet rebuilt without ESP/AH) with the IP packets of the given\n"
      "capture, byte for byte, as multisets: each decrypted packet must match one\n"
      "expected packet and every expected packet must be matched. Order is reported,\n"
      "not required (ground truth merged from two hosts interleaves differently).\n"
      "Frames without IP (ARP, ...) in that capture are ignored.\n"
      "\n"
      "Exit: 0 all good; 1 an ESP/AH packet with known keys failed, the inner\n"
      "packets differ, or (--strict) a finding; 2 usage or input error.");
  cmd->callback([opts, &run] { run = [opts] { return RunCheck(*opts); }; });
}

}  // namespace ipsecref::tool
