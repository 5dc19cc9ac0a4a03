#include "tools/ipsecref/conformance_report.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "tools/ipsecref/junit.h"

namespace ipsecref::tool {

using conformance::Report;
using conformance::RunResult;
using conformance::Verdict;

namespace {

constexpr Verdict kVerdicts[] = {Verdict::kPass,        Verdict::kFail,         Verdict::kExpectedFail,
                                 Verdict::kUnexpectedPass, Verdict::kUnsupported, Verdict::kInconclusive};

// Counts per key (a group, a level) and verdict.
std::map<std::string, std::map<Verdict, size_t>> Tally(const Report& r, bool by_level) {
  std::map<std::string, std::map<Verdict, size_t>> t;
  for (const RunResult& x : r.results) ++t[by_level ? x.run->c->level : x.run->c->group][x.verdict];
  return t;
}

std::string Observed(const RunResult& r) {
  std::string s;
  for (const auto& c : r.checks)
    if (!c.held) s += (s.empty() ? "" : "; ") + c.check + ": " + c.observed;
  return s.empty() ? r.reason : s;
}

bool Bad(Verdict v) { return v == Verdict::kFail || v == Verdict::kUnexpectedPass || v == Verdict::kInconclusive; }

std::string Html(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RfcLink(const std::string& requirement) {
  // rfc7296#section-2.5 -> https://www.rfc-editor.org/rfc/rfc7296#section-2.5
  return "https://www.rfc-editor.org/rfc/" + requirement;
}

}  // namespace

std::string ConformanceSummaryText(const Report& r) {
  std::string out = fmt::format("{:<28} {:>5} {:>5} {:>6} {:>6} {:>6} {:>6}\n", "group", "pass", "fail", "xfail",
                                "xpass", "unsup", "incon");
  auto row = [&](const std::string& name, const std::map<Verdict, size_t>& v) {
    auto n = [&](Verdict k) { return v.count(k) ? v.at(k) : 0; };
    out += fmt::format("{:<28} {:>5} {:>5} {:>6} {:>6} {:>6} {:>6}\n", name, n(Verdict::kPass), n(Verdict::kFail),
                       n(Verdict::kExpectedFail), n(Verdict::kUnexpectedPass), n(Verdict::kUnsupported),
                       n(Verdict::kInconclusive));
  };
  std::map<Verdict, size_t> all;
  for (const auto& [group, v] : Tally(r, false)) {
    row(group, v);
    for (const auto& [k, n] : v) all[k] += n;
  }
  for (const auto& [level, v] : Tally(r, true)) row("level " + level, v);
  row("all", all);
  return out;
}

std::string ConformanceText(const Report& r, bool verbose) {
  std::string out;
  for (const RunResult& x : r.results) {
    if (!verbose && !Bad(x.verdict)) continue;
    out += fmt::format("{} {}: {}\n  {} ({}, {}; the IUT as {})\n  {}\n", Name(x.verdict), x.run->id, x.run->title,
                       x.run->c->requirement, x.run->c->level, x.run->c->klass, x.run->c->role, x.run->c->says);
    if (!x.reason.empty() && x.checks.empty()) out += "  " + x.reason + "\n";
    for (const auto& c : x.checks)
      out += fmt::format("  [{}] {}{}\n", c.held ? "ok" : "FAILED", c.check, c.held ? "" : "\n         observed: " + c.observed);
    if (Bad(x.verdict) || verbose)
      for (const std::string& line : x.ladder) out += "    " + line + "\n";
    if (!x.expected_failure.empty()) out += "  expected to fail: " + x.expected_failure + "\n";
    if (!x.pcap.empty()) out += "  evidence: " + x.pcap + (x.recheck.empty() ? "" : "; " + x.recheck) + "\n";
    out += "\n";
  }
  return out + ConformanceSummaryText(r);
}

std::string ConformanceJson(const Report& r) {
  nlohmann::json j;
  j["target"] = r.target;
  j["cases"] = nlohmann::json::array();
  for (const RunResult& x : r.results) {
    nlohmann::json c;
    c["id"] = x.run->id;
    c["case"] = x.run->c->id;
    c["title"] = x.run->title;
    c["group"] = x.run->c->group;
    c["verdict"] = Name(x.verdict);
    c["requirement"] = x.run->c->requirement;
    c["says"] = x.run->c->says;
    c["level"] = x.run->c->level;
    c["class"] = x.run->c->klass;
    c["role"] = x.run->c->role;
    if (!x.run->c->tahi.empty()) c["tahi"] = x.run->c->tahi;
    c["deviations"] = x.run->tester;
    c["expected"] = nlohmann::json::array();
    for (const auto& k : x.checks) c["expected"].push_back(k.check);
    c["observed"] = Observed(x);
    c["checks"] = nlohmann::json::array();
    for (const auto& k : x.checks) c["checks"].push_back({{"check", k.check}, {"held", k.held}, {"observed", k.observed}});
    c["ladder"] = x.ladder;
    if (!x.reason.empty()) c["reason"] = x.reason;
    if (!x.expected_failure.empty()) c["expected_failure"] = x.expected_failure;
    nlohmann::json ev = nlohmann::json::object();
    if (!x.pcap.empty()) ev["pcap"] = x.pcap;
    if (!x.keys_dir.empty()) ev["keys"] = x.keys_dir;
    if (!x.recheck.empty()) ev["check"] = x.recheck;
    c["evidence"] = ev;
    c["seconds"] = x.seconds;
    j["cases"].push_back(std::move(c));
  }
  nlohmann::json s;
  for (Verdict v : kVerdicts) s[std::string(Name(v))] = r.Count(v);
  s["total"] = r.results.size();
  j["summary"] = s;
  return j.dump(2) + "\n";
}

std::string ConformanceJunit(const Report& r) {
  std::map<std::string, std::vector<const RunResult*>> groups;
  for (const RunResult& x : r.results) groups[x.run->c->group].push_back(&x);
  auto count = [](const std::vector<const RunResult*>& xs, auto pred) {
    size_t n = 0;
    for (const RunResult* x : xs) n += pred(x->verdict) ? 1 : 0;
    return n;
  };
  auto failure = [](Verdict v) { return v == Verdict::kFail || v == Verdict::kUnexpectedPass; };
  auto skipped = [](Verdict v) { return v == Verdict::kUnsupported || v == Verdict::kExpectedFail; };
  auto error = [](Verdict v) { return v == Verdict::kInconclusive; };
  std::vector<const RunResult*> all;
  for (const RunResult& x : r.results) all.push_back(&x);
  double total = 0;
  for (const RunResult& x : r.results) total += x.seconds;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                     XmlEscape("ipsecref conformance " + r.target), all.size(), count(all, failure),
                     count(all, error), count(all, skipped), total);
  for (const auto& [group, xs] : groups) {
    double t = 0;
    for (const RunResult* x : xs) t += x->seconds;
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                       XmlEscape(group), xs.size(), count(xs, failure), count(xs, error), count(xs, skipped), t);
    for (const RunResult* x : xs) {
      out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n", XmlEscape(group),
                         XmlEscape(x->run->id + " " + x->run->title), x->seconds);
      out += fmt::format("      <properties><property name=\"requirement\" value=\"{}\"/><property name=\"level\" "
                         "value=\"{}\"/><property name=\"role\" value=\"{}\"/></properties>\n",
                         XmlEscape(x->run->c->requirement), XmlEscape(x->run->c->level), XmlEscape(x->run->c->role));
      std::string ladder;
      for (const std::string& l : x->ladder) ladder += l + "\n";
      if (failure(x->verdict))
        out += fmt::format("      <failure type=\"{}\" message=\"{}\">{}</failure>\n", Name(x->verdict),
                           XmlEscape(x->run->c->requirement + ": " + Observed(*x)), XmlEscape(ladder, false));
      else if (error(x->verdict))
        out += fmt::format("      <error type=\"inconclusive\" message=\"{}\">{}</error>\n", XmlEscape(x->reason),
                           XmlEscape(ladder, false));
      else if (skipped(x->verdict))
        out += fmt::format("      <skipped message=\"{}\"/>\n",
                           XmlEscape(x->verdict == Verdict::kUnsupported ? x->reason
                                                                         : "expected to fail: " + x->expected_failure));
      if (!x->pcap.empty()) out += fmt::format("      <system-out>{}</system-out>\n", XmlEscape("evidence: " + x->pcap, false));
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  return out + "</testsuites>\n";
}

std::string ConformanceHtml(const Report& r, const std::string& base) {
  std::string out = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ipsecref conformance: )" +
                    Html(r.target) + R"(</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
.pass{color:#196c2e}.fail,.unexpected-pass{color:#b00020;font-weight:bold}.inconclusive{color:#a35200}
.unsupported,.expected-fail{color:#666}
details{border-bottom:1px solid #eee;padding:.3em 0}summary{cursor:pointer}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:85%}
</style></head><body>
)";
  out += "<h1>ipsecref conformance: " + Html(r.target) + "</h1>\n";
  auto table = [&](const char* title, bool by_level) {
    out += fmt::format("<h2>{}</h2>\n<table><tr><th></th>", title);
    for (Verdict v : kVerdicts) out += fmt::format("<th class=\"{0}\">{0}</th>", Name(v));
    out += "</tr>\n";
    for (const auto& [key, v] : Tally(r, by_level)) {
      out += "<tr><td>" + Html(key) + "</td>";
      for (Verdict k : kVerdicts) out += fmt::format("<td>{}</td>", v.count(k) ? v.at(k) : 0);
      out += "</tr>\n";
    }
    out += "</table>\n";
  };
  table("By group", false);
  table("By level", true);
  out += fmt::format("<p>{} runs: {} pass, {} fail, {} expected failures, {} unexpected passes, {} unsupported, {} "
                     "inconclusive.</p>\n<h2>Runs</h2>\n",
                     r.results.size(), r.Count(Verdict::kPass), r.Count(Verdict::kFail),
                     r.Count(Verdict::kExpectedFail), r.Count(Verdict::kUnexpectedPass),
                     r.Count(Verdict::kUnsupported), r.Count(Verdict::kInconclusive));
  for (const RunResult& x : r.results) {
    out += fmt::format("<details{}><summary><span class=\"{}\">{}</span> <b>{}</b> {} ({}, {}, the IUT as {})</summary>\n",
                       Bad(x.verdict) ? " open" : "", Name(x.verdict), Name(x.verdict), Html(x.run->id),
                       Html(x.run->title), Html(x.run->c->level), Html(x.run->c->klass), Html(x.run->c->role));
    out += fmt::format("<p><a href=\"{}\">{}</a>: {}</p>\n", Html(RfcLink(x.run->c->requirement)),
                       Html(x.run->c->requirement), Html(x.run->c->says));
    if (!x.run->tester.empty())
      out += "<p>The tester deviates: <code>" + Html(fmt::format("{}", fmt::join(x.run->tester, " "))) + "</code></p>\n";
    if (!x.reason.empty() && x.checks.empty()) out += "<p>" + Html(x.reason) + "</p>\n";
    if (!x.checks.empty()) {
      out += "<ul>\n";
      for (const auto& c : x.checks)
        out += fmt::format("<li class=\"{}\">{}{}</li>\n", c.held ? "pass" : "fail", Html(c.check),
                           c.held ? "" : "<br>observed: " + Html(c.observed));
      out += "</ul>\n";
    }
    if (!x.expected_failure.empty()) out += "<p>Expected to fail: " + Html(x.expected_failure) + "</p>\n";
    if (!x.ladder.empty()) {
      out += "<pre>";
      for (const std::string& l : x.ladder) out += Html(l) + "\n";
      out += "</pre>\n";
    }
    if (!x.pcap.empty()) {
      std::error_code ec;
      const std::string rel = std::filesystem::path(x.pcap).lexically_relative(base).string();
      out += fmt::format("<p>Evidence: <a href=\"{}\">{}</a>{}</p>\n", Html(rel.empty() ? x.pcap : rel), Html(x.pcap),
                         x.recheck.empty() ? "" : "; " + Html(x.recheck));
    }
    out += "</details>\n";
  }
  return out + "</body></html>\n";
}

std::string MutationText(const std::vector<conformance::Mutation>& ms) {
  std::string out;
  size_t killed = 0;
  std::vector<std::string> survivors;
  for (const auto& m : ms) {
    killed += m.killed() ? 1 : 0;
    std::vector<std::string> parts;
    for (const auto& [fault, failed] : m.faults) parts.push_back(fmt::format("{} {}", fault, failed ? "kills" : "survives"));
    out += fmt::format("{} {}: {}\n", m.killed() ? "killed  " : "SURVIVES", m.run->id, fmt::join(parts, ", "));
    if (!m.killed()) survivors.push_back(m.run->id);
  }
  out += fmt::format("\n{} of {} runs killed by at least one fault of the reference", killed, ms.size());
  out += survivors.empty() ? "; none survives.\n" : fmt::format("; surviving: {}\n", fmt::join(survivors, ", "));
  return out;
}

std::string MutationJson(const std::vector<conformance::Mutation>& ms) {
  nlohmann::json j = nlohmann::json::array();
  size_t killed = 0;
  for (const auto& m : ms) {
    nlohmann::json f = nlohmann::json::array();
    for (const auto& [fault, failed] : m.faults) f.push_back({{"fault", fault}, {"fails", failed}});
    j.push_back({{"id", m.run->id}, {"killed", m.killed()}, {"faults", f}});
    killed += m.killed() ? 1 : 0;
  }
  return nlohmann::json{{"runs", j}, {"killed", killed}, {"total", ms.size()}}.dump(2) + "\n";
}

}  // namespace ipsecref::tool
