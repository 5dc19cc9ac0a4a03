#include "tools/ipsecref/check_ike_report.h"

#include <fmt/format.h>

#include "reference/ikev1/header.h"

namespace ipsecref::tool {
namespace {

using nlohmann::json;

std::string Spis(uint64_t spi_i, uint64_t spi_r) {
  return fmt::format("{:016x}_i {:016x}_r", spi_i, spi_r);
}

std::string Numbers(const io::PacketNumbers& numbers, size_t limit = 12) {
  const std::vector<uint64_t>& kept = numbers.kept();
  std::string out;
  for (size_t i = 0; i < kept.size() && i < limit; ++i)
    out += fmt::format("{}{}", i ? "," : "", kept[i]);
  if (numbers.count() > std::min(limit, kept.size()))
    out += fmt::format(",... ({} in all)", numbers.count());
  return out.empty() ? "-" : out;
}

// "0-3, 5" for the IDs in the order seen, runs folded.
std::string Ids(const std::vector<uint32_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    out += fmt::format("{}{}", out.empty() ? "" : ", ",
                       j == i ? fmt::format("{}", ids[i]) : fmt::format("{}-{}", ids[i], ids[j]));
    i = j + 1;
  }
  return out.empty() ? "none" : out;
}

std::string Peer(ByteSpan address, uint16_t port) {
  return port ? fmt::format("{}[{}]", io::FormatAddress(address), port) : io::FormatAddress(address);
}

std::string SideText(const io::ChildSaSide& s, const io::CaptureReport& r) {
  if (!s.spi) return "?";
  std::string sa = s.sa ? fmt::format("ESP/AH SA #{}, {} packets", *s.sa + 1, r.sas[*s.sa].packets)
                        : std::string("not seen on the wire");
  return fmt::format("{:#010x} to {} ({})", *s.spi, io::FormatAddress(s.address), sa);
}

json FindingsJson(const std::vector<io::IkeFinding>& list) {
  json out = json::array();
  for (const io::IkeFinding& f : list) {
    json j = {{"kind", io::Info(f.kind).key},
              {"severity", io::SeverityName(f.severity)},
              {"requirement", f.requirement},
              {"example", f.example}};
    AddPacketsJson(j, "packets", f.packets);
    if (f.code) j["code"] = Describe(*f.code).name;
    out.push_back(std::move(j));
  }
  return out;
}

json SideJson(const io::ChildSaSide& s) {
  json j = {{"address", io::FormatAddress(s.address)}};
  j["spi"] = s.spi ? json(fmt::format("{:#010x}", *s.spi)) : json(nullptr);
  j["sa"] = s.sa ? json(*s.sa) : json(nullptr);
  return j;
}

template <typename T>
json Optional(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

void PrintFindings(const std::vector<io::IkeFinding>& list) {
  for (const io::IkeFinding& f : list) {
    const std::string_view label = f.severity == io::IkeSeverity::kError     ? "FAIL"
                                   : f.severity == io::IkeSeverity::kWarning ? "WARN"
                                                                              : "NOTE";
    fmt::print("    {} {}{}{} at packet{} {}\n         e.g. {}\n", label, io::Info(f.kind).name,
               f.code ? fmt::format(" [{}]", Describe(*f.code).name) : std::string(),
               f.requirement.empty() ? std::string() : fmt::format(" ({})", f.requirement),
               f.packets.count() == 1 ? "" : "s", Numbers(f.packets, 20), f.example);
  }
}

}  // namespace

void AddPacketsJson(json& j, std::string_view key, const io::PacketNumbers& packets) {
  j[std::string(key)] = packets.kept();
  if (packets.not_kept()) j[fmt::format("{}_count", key)] = packets.count();
}

void AddIkeJson(const io::CaptureReport& r, json& out) {
  json sas = json::array();
  for (const io::IkeSaReport& sa : r.ike_sas) {
    json exchanges = json::array();
    for (const io::IkeExchange& ex : sa.exchanges) {
      json e = {{"type", iana::Name(ex.type)},
                {"message_id", ex.message_id},
                {"requester", ex.by_original_initiator ? "initiator" : "responder"},
                {"request_retransmissions", ex.request_retransmissions},
                {"response_retransmissions", ex.response_retransmissions},
                {"contents_seen", ex.contents_seen},
                {"request_payloads", ex.request_payloads},
                {"response_payloads", ex.response_payloads},
                {"outcome", ex.outcome}};
      AddPacketsJson(e, "requests", ex.requests);
      AddPacketsJson(e, "responses", ex.responses);
      exchanges.push_back(std::move(e));
    }
    sas.push_back({{"spi_i", fmt::format("{:016x}", sa.spi_i)},
                   {"spi_r", fmt::format("{:016x}", sa.spi_r)},
                   {"initiator", io::FormatAddress(sa.initiator)},
                   {"initiator_port", sa.initiator_port},
                   {"responder", io::FormatAddress(sa.responder)},
                   {"responder_port", sa.responder_port},
                   {"seen_from_start", sa.seen_from_start},
                   {"keys_known", sa.keys_known},
                   {"packets", sa.packets},
                   {"bytes", sa.bytes},
                   {"first", sa.first.ToString()},
                   {"last", sa.last.ToString()},
                   {"initiator_message_ids", sa.initiator_ids},
                   {"responder_message_ids", sa.responder_ids},
                   {"rekeyed_from", Optional(sa.rekeyed_from)},
                   {"rekeyed_to", Optional(sa.rekeyed_to)},
                   {"rekeyed_at", Optional(sa.rekeyed_at)},
                   {"delete_requested", Optional(sa.delete_requested)},
                   {"delete_answered", Optional(sa.delete_answered)},
                   {"exchanges", exchanges},
                   {"findings", FindingsJson(sa.findings)}});
  }
  json children = json::array();
  for (const io::ChildSaReport& c : r.child_sas)
    children.push_back({{"protocol", io::ProtocolName(c.protocol)},
                        {"ike_sa", c.ikev1_sa ? json(nullptr) : json(c.ike_sa)},
                        {"ikev1_sa", Optional(c.ikev1_sa)},
                        {"created_by", c.ikev1_sa ? "Quick Mode" : iana::Name(c.created_by)},
                        {"created_message_id", c.created_message_id},
                        {"created_at", c.created_at},
                        {"at_initiator", SideJson(c.at_initiator)},
                        {"at_responder", SideJson(c.at_responder)},
                        {"rekey_of", Optional(c.rekey_of)},
                        {"rekeyed_by", Optional(c.rekeyed_by)},
                        {"rekeyed_at", Optional(c.rekeyed_at)},
                        {"delete_requested", Optional(c.delete_requested)},
                        {"delete_answered", Optional(c.delete_answered)}});
  json v1 = json::array();
  for (const io::Ikev1SaReport& sa : r.ikev1_sas) {
    json exchanges = json::array();
    for (const io::Ikev1Exchange& ex : sa.exchanges) {
      json e = {{"type", ikev1::ExchangeLabel(static_cast<ikev1::ExchangeType>(ex.type))},
                {"message_id", fmt::format("{:08x}", ex.message_id)},
                {"encrypted", ex.encrypted},
                {"contents_seen", ex.contents_seen},
                {"payloads", ex.payloads},
                {"outcome", ex.outcome}};
      AddPacketsJson(e, "messages", ex.messages);
      exchanges.push_back(std::move(e));
    }
    v1.push_back({{"cookie_i", fmt::format("{:016x}", sa.cookie_i)},
                  {"cookie_r", fmt::format("{:016x}", sa.cookie_r)},
                  {"initiator", io::FormatAddress(sa.initiator)},
                  {"initiator_port", sa.initiator_port},
                  {"responder", io::FormatAddress(sa.responder)},
                  {"responder_port", sa.responder_port},
                  {"keys_known", sa.keys_known},
                  {"deleted_at", Optional(sa.deleted_at)},
                  {"packets", sa.packets},
                  {"bytes", sa.bytes},
                  {"first", sa.first.ToString()},
                  {"last", sa.last.ToString()},
                  {"exchanges", exchanges},
                  {"findings", FindingsJson(sa.findings)}});
  }
  out["ikev1_sas"] = std::move(v1);
  out["ike_messages"] = r.ike_messages;
  out["ike_untracked_messages"] = r.ike_untracked_messages;
  out["ike_sas"] = std::move(sas);
  out["child_sas"] = std::move(children);
  out["ike_findings"] = FindingsJson(r.ike_findings);
  out["ike_errors"] = r.ike_count(io::IkeSeverity::kError);
  out["ike_warnings"] = r.ike_count(io::IkeSeverity::kWarning);
}

void PrintIkeReport(const io::CaptureReport& r) {
  if (r.ike_messages == 0) return;
  if (r.ike_untracked_messages)
    fmt::print("IKE: {} messages of IKE SAs beyond the first {} counted, not tracked\n",
               r.ike_untracked_messages, io::kIkeSasTracked);
  for (size_t n = 0; n < r.ike_sas.size(); ++n) {
    const io::IkeSaReport& sa = r.ike_sas[n];
    fmt::print("IKE SA #{} {}  {} (initiator) <-> {}{}\n", n + 1, Spis(sa.spi_i, sa.spi_r),
               Peer(sa.initiator, sa.initiator_port), Peer(sa.responder, sa.responder_port),
               sa.keys_known ? "" : "  (no keys: contents not seen)");
    fmt::print("    {} packets, {} bytes, {:.6f} .. {:.6f} s{}\n", sa.packets, sa.bytes,
               sa.first.SecondsSince(r.first), sa.last.SecondsSince(r.first),
               sa.seen_from_start ? "" : ", seen from the middle");
    fmt::print("    message IDs: initiator's requests {}; responder's requests {}\n",
               Ids(sa.initiator_ids), Ids(sa.responder_ids));
    if (sa.rekeyed_from) fmt::print("    rekeys IKE SA #{}\n", *sa.rekeyed_from + 1);
    if (sa.rekeyed_to)
      fmt::print("    rekeyed into IKE SA #{} at packet {}\n", *sa.rekeyed_to + 1, *sa.rekeyed_at);
    if (sa.delete_requested || sa.delete_answered)
      fmt::print("    deleted: requested at packet {}, answered at packet {}\n",
                 sa.delete_requested ? fmt::format("{}", *sa.delete_requested) : "?",
                 sa.delete_answered ? fmt::format("{}", *sa.delete_answered) : "never");
    fmt::print("    {:>4} {:<17} {:<3} {:<16} {:<16} {}\n", "ID", "exchange", "by", "request",
               "response", "what");
    for (const io::IkeExchange& ex : sa.exchanges) {
      std::string what = ex.outcome;
      if (!ex.contents_seen) what += what.empty() ? "(contents not seen)" : " (contents not seen)";
      auto packets = [](const io::PacketNumbers& p, uint64_t retx) {
        return retx ? fmt::format("{} ({}x re)", Numbers(p, 3), retx) : Numbers(p, 4);
      };
      fmt::print("    {:>4} {:<17} {:<3} {:<16} {:<16} {}\n", ex.message_id, iana::Name(ex.type),
                 ex.by_original_initiator ? "I" : "R",
                 packets(ex.requests, ex.request_retransmissions),
                 packets(ex.responses, ex.response_retransmissions), what);
    }
    for (size_t i = 0; i < r.child_sas.size(); ++i) {
      const io::ChildSaReport& c = r.child_sas[i];
      if (c.ike_sa != n || c.ikev1_sa) continue;
      fmt::print("    CHILD SA #{} {}: created by {} (ID {}) at packet {}\n", i + 1,
                 io::ProtocolName(c.protocol), iana::Name(c.created_by), c.created_message_id,
                 c.created_at);
      fmt::print("        {}\n        {}\n", SideText(c.at_initiator, r),
                 SideText(c.at_responder, r));
      if (c.rekey_of) fmt::print("        rekeys CHILD SA #{}\n", *c.rekey_of + 1);
      if (c.rekeyed_by)
        fmt::print("        rekeyed by CHILD SA #{} at packet {}\n", *c.rekeyed_by + 1,
                   *c.rekeyed_at);
      if (c.delete_requested || c.delete_answered)
        fmt::print("        deleted: requested at packet {}, answered at packet {}\n",
                   c.delete_requested ? fmt::format("{}", *c.delete_requested) : "?",
                   c.delete_answered ? fmt::format("{}", *c.delete_answered) : "never");
    }
    PrintFindings(sa.findings);
  }
  for (size_t n = 0; n < r.ikev1_sas.size(); ++n) {
    const io::Ikev1SaReport& sa = r.ikev1_sas[n];
    fmt::print("IKEv1 ISAKMP SA #{} {:016x}_i {:016x}_r  {} (initiator) <-> {}{}\n", n + 1, sa.cookie_i,
               sa.cookie_r, Peer(sa.initiator, sa.initiator_port), Peer(sa.responder, sa.responder_port),
               sa.keys_known ? "" : "  (no keys: encrypted contents not seen)");
    fmt::print("    {} packets, {} bytes, {:.6f} .. {:.6f} s\n", sa.packets, sa.bytes, sa.first.SecondsSince(r.first),
               sa.last.SecondsSince(r.first));
    if (sa.deleted_at) fmt::print("    deleted: Delete of the ISAKMP SA at packet {}\n", *sa.deleted_at);
    fmt::print("    {:>8} {:<20} {:<16} {}\n", "ID", "exchange", "messages", "payloads (I/R: sender); what");
    for (const io::Ikev1Exchange& ex : sa.exchanges)
      fmt::print("    {:08x} {:<20} {:<16} {}{}\n", ex.message_id,
                 ikev1::ExchangeLabel(static_cast<ikev1::ExchangeType>(ex.type)), Numbers(ex.messages, 4), ex.payloads,
                 ex.outcome.empty() ? "" : "; " + ex.outcome);
    for (size_t i = 0; i < r.child_sas.size(); ++i) {
      const io::ChildSaReport& c = r.child_sas[i];
      if (c.ikev1_sa != n) continue;
      fmt::print("    CHILD SA #{} {}: created by Quick Mode (ID {:08x}) at packet {}\n", i + 1,
                 io::ProtocolName(c.protocol), c.created_message_id, c.created_at);
      fmt::print("        {}\n        {}\n", SideText(c.at_initiator, r), SideText(c.at_responder, r));
      if (c.delete_requested) fmt::print("        deleted: Delete at packet {}\n", *c.delete_requested);
    }
    PrintFindings(sa.findings);
  }
  if (!r.ike_findings.empty()) {
    fmt::print("IKE, not tied to one IKE SA\n");
    PrintFindings(r.ike_findings);
  }
}

}  // namespace ipsecref::tool
