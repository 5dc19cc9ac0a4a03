#include "tools/ipsecref/junit.h"

#include <fmt/format.h>

#include "tools/ipsecref/cli.h"

namespace ipsecref::tool {
namespace {

// One <testcase> before it is written: what went wrong, if anything.
struct Problem {
  std::string element;  // "failure" or "error"
  std::string type;     // the Code's name
  std::string message;
  std::string text;
};

struct TestCase {
  std::string name;
  std::vector<Problem> problems;
  std::string skipped;  // why it was not judged; empty if it was
  std::string out;      // <system-out>
};

struct Counts {
  size_t tests = 0, failures = 0, errors = 0, skipped = 0;

  void Add(const TestCase& t) {
    ++tests;
    bool failure = false, error = false;
    for (const Problem& p : t.problems) (p.element == "error" ? error : failure) = true;
    failures += failure;
    errors += error;
    skipped += !t.skipped.empty();
  }
  void Add(const Counts& c) {
    tests += c.tests;
    failures += c.failures;
    errors += c.errors;
    skipped += c.skipped;
  }
  std::string Attributes() const {
    return fmt::format("tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"", tests,
                       failures, errors, skipped);
  }
};

std::string Packets(const std::vector<uint64_t>& packets) {
  std::string out;
  for (uint64_t n : packets) out += fmt::format("{}{}", out.empty() ? "" : ", ", n);
  return out;
}

std::string Packets(const io::PacketNumbers& packets) {
  std::string out = Packets(packets.kept());
  if (packets.not_kept()) out += fmt::format(" and {} more", packets.not_kept());
  return out;
}

Problem FromSummary(const io::ProblemSummary& p, std::string_view element,
                    std::string_view what) {
  const std::string_view name = Describe(p.code).name;
  const std::string requirement =
      p.requirement.empty() ? std::string() : fmt::format(" ({})", p.requirement);
  const std::string at = fmt::format("packet{} {}", p.packets.count() == 1 ? "" : "s",
                                     Packets(p.packets));
  return {std::string(element), std::string(name),
          fmt::format("{}{} at {}", name, requirement, at),
          fmt::format("{}: {}: {}\n{}\nrequirement: {}\ne.g. {}\n", what, name,
                      Describe(p.code).description, at,
                      p.requirement.empty() ? "none cited" : p.requirement, p.example)};
}

Problem FromError(const Error& e, std::string_view element) {
  return {std::string(element), std::string(Describe(e.code).name), e.ToString(),
          e.ToString() + "\n"};
}

TestCase SaCase(const io::SaReport& sa, const io::CaptureReport& r, bool strict) {
  TestCase t;
  t.name = sa.others ? std::string("ESP/AH SPIs without keys beyond those tracked one by one")
                     : fmt::format("{} SPI {:#010x} {} -> {}", io::ProtocolName(sa.protocol),
                                   sa.spi, io::FormatAddress(sa.src), io::FormatAddress(sa.dst));
  if (!sa.keys_known) t.skipped = "no keys for this SA: its packets were not judged";
  if (sa.sa_error) t.problems.push_back(FromError(*sa.sa_error, "error"));
  for (const io::ProblemSummary& p : sa.failures)
    t.problems.push_back(FromSummary(p, "failure", "dropped by the receiver"));
  if (strict)
    for (const io::ProblemSummary& p : sa.findings)
      t.problems.push_back(FromSummary(p, "failure", "finding (--strict)"));
  if (!sa.description.empty()) t.out += sa.description + "\n";
  t.out += fmt::format("{} packets ({} ok, {} discarded, {} failed), {} bytes, {:.6f} .. {:.6f} s\n",
                       sa.packets, sa.ok, sa.discarded, sa.failed, sa.bytes,
                       sa.first.SecondsSince(r.first), sa.last.SecondsSince(r.first));
  if (sa.lowest_seq)
    t.out += fmt::format("sequence numbers {}..{}, {} missing ({} gaps), {} out of order, "
                         "replays at packets [{}]\n",
                         *sa.lowest_seq, *sa.highest_seq, sa.missing, sa.gap_count,
                         sa.out_of_order, Packets(sa.replays));
  if (!strict)
    for (const io::ProblemSummary& p : sa.findings)
      t.out += FromSummary(p, "", "finding").text;
  return t;
}

// An IKE finding: errors fail; warnings fail under --strict, as the exit
// code has it; the rest goes to <system-out>.
void AddIkeFinding(TestCase& t, const io::IkeFinding& f, bool strict) {
  const io::IkeFindingInfo& info = io::Info(f.kind);
  const std::string type(f.code ? Describe(*f.code).name : info.key);
  const std::string requirement =
      f.requirement.empty() ? std::string() : fmt::format(" ({})", f.requirement);
  const std::string at = fmt::format("packet{} {}", f.packets.count() == 1 ? "" : "s",
                                     Packets(f.packets));
  const std::string text =
      fmt::format("{}: {}\n{}\nrequirement: {}\ne.g. {}\n", info.name, type, at,
                  f.requirement.empty() ? "none cited" : f.requirement, f.example);
  const bool fails = f.severity == io::IkeSeverity::kError ||
                     (strict && f.severity == io::IkeSeverity::kWarning);
  if (fails)
    t.problems.push_back({"failure", type, fmt::format("{}{} at {}", type, requirement, at), text});
  else
    t.out += text;
}

TestCase IkeCase(const io::IkeSaReport& sa, bool strict) {
  TestCase t;
  t.name = fmt::format("IKE SA {:016x}_i {:016x}_r {}[{}] <-> {}[{}]", sa.spi_i, sa.spi_r,
                       io::FormatAddress(sa.initiator), sa.initiator_port,
                       io::FormatAddress(sa.responder), sa.responder_port);
  t.out = fmt::format("{} packets, {} bytes, {} exchanges{}\n", sa.packets, sa.bytes,
                      sa.exchanges.size(),
                      sa.keys_known ? "" : "; no keys: encrypted contents unseen");
  for (const io::IkeFinding& f : sa.findings) AddIkeFinding(t, f, strict);
  return t;
}

// An ISAKMP SA (IKEv1): its findings (a message that does not decode or
// decrypt, a payload rule broken) as IKEv2's are.
TestCase Ikev1Case(const io::Ikev1SaReport& sa, bool strict) {
  TestCase t;
  t.name = fmt::format("IKEv1 ISAKMP SA {:016x}_i {:016x}_r {}[{}] <-> {}[{}]", sa.cookie_i, sa.cookie_r,
                       io::FormatAddress(sa.initiator), sa.initiator_port, io::FormatAddress(sa.responder),
                       sa.responder_port);
  t.out = fmt::format("{} packets, {} bytes, {} exchanges{}\n", sa.packets, sa.bytes, sa.exchanges.size(),
                      sa.keys_known ? "" : "; no keys: encrypted contents unseen");
  for (const io::IkeFinding& f : sa.findings) AddIkeFinding(t, f, strict);
  return t;
}

TestCase ReadCase(const io::CaptureReport& r) {
  TestCase t;
  t.name = "capture read to its end";
  if (r.read_error) t.problems.push_back(FromError(*r.read_error, "error"));
  t.out = fmt::format("{} packets, link type {}\n", r.packets, r.link_type);
  if (r.notable_not_kept)
    t.out += fmt::format("{} notable packets beyond the first {} per SA or kind not listed\n",
                         r.notable_not_kept, io::kPacketsKept);
  return t;
}

TestCase InnerCase(const io::InnerComparison& inner) {
  TestCase t;
  t.name = fmt::format("inner packets match {}", inner.expected_file);
  const std::string counts =
      fmt::format("{} decrypted, {} expected, {} matched; missing (expected packets): [{}]; "
                  "unexpected (capture packets): [{}]\n",
                  inner.decrypted, inner.expected, inner.matched, Packets(inner.missing),
                  Packets(inner.unexpected));
  if (!inner.ok())
    t.problems.push_back({"failure", "InnerPacketsDiffer",
                          fmt::format("{} expected packets missing, {} decrypted packets not "
                                      "expected",
                                      inner.missing.size(), inner.unexpected.size()),
                          counts});
  t.out = counts;
  return t;
}

void WriteCase(std::string& out, const std::string& classname, const TestCase& t) {
  out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n",
                     XmlEscape(classname), XmlEscape(t.name));
  if (!t.skipped.empty())
    out += fmt::format("      <skipped message=\"{}\"/>\n", XmlEscape(t.skipped));
  for (const Problem& p : t.problems)
    out += fmt::format("      <{0} message=\"{1}\" type=\"{2}\">{3}</{0}>\n", p.element,
                       XmlEscape(p.message), XmlEscape(p.type), XmlEscape(p.text, false));
  if (!t.out.empty())
    out += fmt::format("      <system-out>{}</system-out>\n", XmlEscape(t.out, false));
  out += "    </testcase>\n";
}

// The length of the UTF-8 sequence at the start of `s` that XML 1.0 may
// carry (https://www.w3.org/TR/xml/#charsets), or 0.
size_t XmlCharLength(std::string_view s) {
  const size_t n = Utf8CharLength(s);
  const auto c = static_cast<uint8_t>(s[0]);
  if (n == 1) return c >= 0x20 || c == '\t' || c == '\n' || c == '\r' ? 1 : 0;
  // U+FFFE and U+FFFF are UTF-8 but not XML characters.
  if (n == 3 && c == 0xef && static_cast<uint8_t>(s[1]) == 0xbf && static_cast<uint8_t>(s[2]) >= 0xbe) return 0;
  return n;
}

}  // namespace

std::string XmlEscape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t n = XmlCharLength(text);
    if (n == 0) {
      out += fmt::format("\\x{:02x}", static_cast<uint8_t>(text[0]));
      text.remove_prefix(1);
      continue;
    }
    if (!attribute && (text[0] == '\n' || text[0] == '\t')) {
      out += text[0];
      text.remove_prefix(1);
      continue;
    }
    switch (text[0]) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      // Attribute values would normalise raw CR and LF to spaces.
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += "&#9;"; break;
      default: out.append(text.substr(0, n));
    }
    text.remove_prefix(n);
  }
  return out;
}

std::string JunitXml(std::span<const JunitCapture> captures) {
  std::string suites;
  Counts all;
  double seconds = 0;
  for (const JunitCapture& c : captures) {
    const io::CaptureReport& r = *c.report;
    std::vector<TestCase> cases{ReadCase(r)};
    for (const io::SaReport& sa : r.sas) cases.push_back(SaCase(sa, r, c.strict));
    for (const io::IkeSaReport& sa : r.ike_sas) cases.push_back(IkeCase(sa, c.strict));
    for (const io::Ikev1SaReport& sa : r.ikev1_sas) cases.push_back(Ikev1Case(sa, c.strict));
    if (!r.ike_findings.empty()) {
      TestCase t;
      t.name = "IKE messages of no IKE SA the capture shows";
      for (const io::IkeFinding& f : r.ike_findings) AddIkeFinding(t, f, c.strict);
      cases.push_back(std::move(t));
    }
    if (c.inner != nullptr) cases.push_back(InnerCase(*c.inner));
    Counts counts;
    for (const TestCase& t : cases) counts.Add(t);
    all.Add(counts);
    seconds += c.seconds;
    suites += fmt::format("  <testsuite name=\"{}\" {} time=\"{:.3f}\">\n",
                          XmlEscape(r.capture), counts.Attributes(), c.seconds);
    suites += "    <properties>\n";
    for (const std::string& file : c.key_files)
      suites += fmt::format("      <property name=\"keys\" value=\"{}\"/>\n", XmlEscape(file));
    suites += fmt::format("      <property name=\"packets\" value=\"{}\"/>\n", r.packets);
    suites += "    </properties>\n";
    for (const TestCase& t : cases) WriteCase(suites, r.capture, t);
    suites += "  </testsuite>\n";
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ipsecref check\" {} "
      "time=\"{:.3f}\">\n{}</testsuites>\n",
      all.Attributes(), seconds, suites);
}

}  // namespace ipsecref::tool
