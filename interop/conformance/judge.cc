// The judge: each kind of check a catalogue case may state, as a row of a
// table (name, arguments, meaning, the function that decides it). A check
// reads the observation only: the datagrams both ends sent, the IUT's
// decrypted with the tester's keys, and the tester's own state.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "interop/conformance/runner.h"
#include "reference/iana/ike.h"

namespace ipsecref::conformance {

namespace {

using nlohmann::json;

// Which of the IUT's messages a check looks at: `exchange` (a name),
// `message` (request or response); both optional.
struct Selection {
  std::optional<iana::ExchangeType> exchange;
  std::optional<bool> response;
  std::string Text() const {
    std::string s = exchange ? std::string(iana::Name(*exchange)) : "any exchange's";
    if (response) s += *response ? " response" : " request";
    else s += " message";
    return s;
  }
};

Selection SelectionOf(const json& a) {
  Selection s;
  if (a.contains("exchange")) s.exchange = iana::ExchangeTypeFromName(a["exchange"].get<std::string>());
  if (a.contains("message")) s.response = a["message"] == "response";
  return s;
}

bool Selected(const Observed& o, const Selection& s) {
  if (!o.from_iut || !o.opened.header) return false;
  if (s.exchange && o.opened.header->exchange_type != *s.exchange) return false;
  if (s.response && o.opened.header->response() != *s.response) return false;
  return true;
}

std::vector<const Observed*> Pick(const Observation& o, const Selection& s) {
  std::vector<const Observed*> out;
  for (const Observed& w : o.wire)
    if (Selected(w, s)) out.push_back(&w);
  return out;
}

// What the IUT sent, for "observed": its messages in one line each.
std::string IutSaid(const Observation& o) {
  std::string s;
  for (const Observed& w : o.wire)
    if (w.from_iut) s += fmt::format("{}#{} {}{}", s.empty() ? "" : "; ", w.number, w.text, w.lost ? " (lost)" : "");
  return s.empty() ? "the IUT sent nothing" : s;
}

// The same narrowed to a selection: the selected messages, or, when there
// are none, what else the IUT sent, in short.
std::string IutSaid(const Observation& o, const Selection& sel) {
  std::string s;
  size_t others = 0;
  for (const Observed& w : o.wire) {
    if (!w.from_iut) continue;
    if (!Selected(w, sel)) {
      ++others;
      continue;
    }
    s += fmt::format("{}#{} {}{}", s.empty() ? "" : "; ", w.number, w.text, w.lost ? " (lost)" : "");
  }
  if (!s.empty()) return s;
  return others == 0 ? "the IUT sent nothing" : fmt::format("the IUT sent no {} ({} other messages)", sel.Text(), others);
}

const ike::NotifyPayload* FindNotify(const Observed& w, iana::NotifyType type) {
  for (const ike::Payload& p : w.opened.Built())
    if (const auto* n = p.as<ike::NotifyPayload>(); n != nullptr && n->notify_message_type == type) return n;
  return nullptr;
}

std::string Hex(ByteSpan b) {
  std::string s;
  for (uint8_t x : b) s += fmt::format("{:02x}", x);
  return s;
}

// --- the checks ---------------------------------------------------------------

using Decide = CheckResult (*)(const json& a, const Observation& o);

CheckResult Established(const json& a, const Observation& o) {
  CheckResult r;
  r.check = "the IKE SA is established and the IUT answers on it";
  std::optional<size_t> children;
  if (a.contains("children")) {
    children = a["children"].get<size_t>();
    r.check += fmt::format(", with {} CHILD SA{}", *children, *children == 1 ? "" : "s");
  }
  r.held = o.established && o.probe_answered.value_or(false) && (!children || o.children == *children);
  if (!o.established) r.observed = "the tester holds no established IKE SA; " + IutSaid(o);
  else if (!o.probe_answered.value_or(false)) r.observed = "the IUT did not answer the closing liveness check";
  else if (children && o.children != *children) r.observed = fmt::format("{} CHILD SAs", o.children);
  return r;
}

CheckResult NotEstablished(const json&, const Observation& o) {
  CheckResult r{"no IKE SA is established", !o.established, ""};
  if (!r.held) r.observed = "the tester holds an established IKE SA";
  return r;
}

// The Notify names of a check: one ("notify": "X") or any of several
// ("notify": ["X", "Y"]) where the RFC allows either.
std::vector<std::string> NotifyNames(const json& a) {
  return a["notify"].is_array() ? a["notify"].get<std::vector<std::string>>()
                                : std::vector<std::string>{a["notify"].get<std::string>()};
}

CheckResult Notify(const json& a, const Observation& o) {
  const Selection s = SelectionOf(a);
  const std::vector<std::string> names = NotifyNames(a);
  std::string data = a.value("data", "");
  CheckResult r;
  r.check = fmt::format("the IUT's {} carries N({}){}", s.Text(), fmt::join(names, ") or N("),
                        data.empty() ? "" : "=" + data);
  for (const std::string& name : names)
    for (const Observed* w : Pick(o, s))
      if (const ike::NotifyPayload* n = FindNotify(*w, *iana::NotifyTypeFromName(name)))
        if (data.empty() || Hex(n->notification_data) == data) r.held = true;
  if (!r.held) r.observed = IutSaid(o, s);
  return r;
}

CheckResult NoNotify(const json& a, const Observation& o) {
  const Selection s = SelectionOf(a);
  const std::vector<std::string> names = NotifyNames(a);
  CheckResult r{fmt::format("no {} of the IUT carries N({})", s.Text(), fmt::join(names, ") or N(")), true, ""};
  for (const std::string& name : names)
    for (const Observed* w : Pick(o, s))
      if (FindNotify(*w, *iana::NotifyTypeFromName(name)) != nullptr) {
        r.held = false;
        r.observed = fmt::format("#{} {}", w->number, w->text);
      }
  return r;
}

CheckResult Silent(const json& a, const Observation& o) {
  const Selection s = SelectionOf(a);
  CheckResult r{fmt::format("the IUT sends no {}", s.Text()), true, ""};
  for (const Observed* w : Pick(o, s)) {
    r.held = false;
    r.observed += fmt::format("{}#{} {}", r.observed.empty() ? "" : "; ", w->number, w->text);
  }
  return r;
}

CheckResult Count(const json& a, const Observation& o) {
  const Selection s = SelectionOf(a);
  const size_t min = a.value("min", size_t{0});
  const size_t max = a.value("max", SIZE_MAX);
  const bool distinct = a.value("distinct", false);
  std::vector<Bytes> seen;
  size_t n = 0;
  for (const Observed* w : Pick(o, s)) {
    if (distinct && std::find(seen.begin(), seen.end(), w->message) != seen.end()) continue;
    seen.push_back(w->message);
    ++n;
  }
  CheckResult r;
  r.check = fmt::format("the IUT sends {}{} {}{}", max == SIZE_MAX ? "at least " : "", min,
                        max == SIZE_MAX || max == min ? "" : fmt::format("to {} ", max), s.Text()) +
            (distinct ? "s (distinct)" : "s");
  r.held = n >= min && n <= max;
  if (!r.held) r.observed = fmt::format("{} of them; {}", n, IutSaid(o, s));
  return r;
}

// Requests sent again with the same Message ID are the same bytes
// (a retransmission), as are responses resent from the cache.
CheckResult Identical(const json& a, const Observation& o) {
  const Selection s = SelectionOf(a);
  CheckResult r{fmt::format("the IUT's {}s with one Message ID are the same octets, and one is sent again", s.Text()),
                false, ""};
  std::map<std::pair<uint32_t, bool>, std::vector<const Observed*>> by_id;
  for (const Observed* w : Pick(o, s)) by_id[{w->opened.header->message_id, w->opened.header->response()}].push_back(w);
  bool repeated = false;
  for (const auto& [id, ws] : by_id) {
    // SKF fragments of one message share a Message ID: compare the first
    // fragment's copies only.
    std::vector<const Observed*> firsts;
    for (const Observed* w : ws)
      if (!w->opened.fragment || ws.front()->message.size() == w->message.size()) firsts.push_back(w);
    if (firsts.size() >= 2) repeated = true;
    for (const Observed* w : firsts)
      if (w->message != firsts.front()->message && !w->opened.fragment) {
        r.observed = fmt::format("#{} and #{} differ", firsts.front()->number, w->number);
        return r;
      }
  }
  r.held = repeated;
  if (!repeated) r.observed = "nothing was sent twice; " + IutSaid(o, s);
  return r;
}

// The IUT's retransmissions of one request: the first no sooner than
// `first_ms` after the original, each wait at least as long as the one
// before (RFC 7296 §2.1's back-off).
CheckResult Backoff(const json& a, const Observation& o) {
  const Selection s = SelectionOf(a);
  const int64_t first_ms = a.value("first_ms", int64_t{500});
  CheckResult r{fmt::format("the IUT's {} is sent again after at least {} ms, then at growing intervals", s.Text(),
                            first_ms),
                false, ""};
  std::vector<int64_t> times;
  const Observed* original = nullptr;
  for (const Observed* w : Pick(o, s)) {
    if (original == nullptr) original = w;
    if (w->message == original->message) times.push_back(w->at);
  }
  if (times.size() < 2) {
    r.observed = "no retransmission; " + IutSaid(o, s);
    return r;
  }
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < times.size(); ++i) gaps.push_back(times[i] - times[i - 1]);
  r.held = gaps.front() >= first_ms && std::is_sorted(gaps.begin(), gaps.end());
  if (!r.held) r.observed = fmt::format("intervals {} ms", fmt::join(gaps, ", "));
  return r;
}

// The IUT stops: its last message no later than `within_ms` from the start
// and at most `max` copies of one request.
CheckResult GivesUp(const json& a, const Observation& o) {
  const int64_t within = a.value("within_ms", int64_t{600'000});
  CheckResult r{fmt::format("the IUT stops sending within {} s", within / 1000), true, ""};
  for (const Observed& w : o.wire)
    if (w.from_iut && w.at > within) {
      r.held = false;
      r.observed = fmt::format("#{} at {} ms: {}", w.number, w.at, w.text);
    }
  return r;
}

// The IUT's selected messages carry these payloads (labels as in the ladder).
// `has`: a selected IUT message carries all these payloads; `lacks`: none
// carries any of these (labels as in the ladder: SA, KE, Nonce, N(COOKIE)...).
CheckResult Payloads(const json& a, const Observation& o) {
  const Selection s = SelectionOf(a);
  const auto want = a.value("has", std::vector<std::string>{});
  const auto unwanted = a.value("lacks", std::vector<std::string>{});
  CheckResult r{fmt::format("the IUT's {} {}{}{}", s.Text(), want.empty() ? "" : "carries " + fmt::format("{}", fmt::join(want, " ")),
                            !want.empty() && !unwanted.empty() ? " and " : "",
                            unwanted.empty() ? "" : "carries no " + fmt::format("{}", fmt::join(unwanted, ", "))),
                want.empty(), ""};
  for (const Observed* w : Pick(o, s)) {
    if (w->opened.encrypted && !w->opened.decrypted) continue;
    std::vector<std::string> labels;
    for (const ike::Payload& p : w->opened.Built()) labels.push_back(ike::PayloadLabel(p));
    auto carries = [&](const std::string& x) { return std::find(labels.begin(), labels.end(), x) != labels.end(); };
    for (const std::string& x : unwanted)
      if (carries(x)) {
        r.held = false;
        r.observed = fmt::format("#{} carries {}: {}", w->number, x, w->text);
        return r;
      }
    if (!want.empty() && std::all_of(want.begin(), want.end(), carries)) r.held = true;
    else if (!want.empty() && !r.held) r.observed = fmt::format("#{} {}", w->number, w->text);
  }
  if (!r.held && r.observed.empty()) r.observed = IutSaid(o, s);
  return r;
}

CheckResult Children(const json& a, const Observation& o) {
  const size_t want = a["count"];
  CheckResult r{fmt::format("the tester's IKE SA holds {} CHILD SA{}", want, want == 1 ? "" : "s"),
                o.children == want, ""};
  if (!r.held) r.observed = o.established ? fmt::format("{} CHILD SAs", o.children) : "no established IKE SA";
  return r;
}

CheckResult Any(const json& a, const Observation& o);

// Header fields of every selected IUT message.
CheckResult Header(const json& a, const Observation& o) {
  const Selection s = SelectionOf(a);
  CheckResult r{fmt::format("every {} of the IUT has {}", s.Text(), a.dump()), true, ""};
  size_t seen = 0;
  for (const Observed* w : Pick(o, s)) {
    const ike::Header& h = *w->opened.header;
    ++seen;
    const std::map<std::string, uint64_t> fields = {
        {"major", h.major_version}, {"minor", h.minor_version},
        {"reserved_flags", h.flags & ike::kFlagsReserved}, {"version_flag", (h.flags & ike::kFlagVersion) != 0},
        {"initiator_flag", h.initiator()}, {"message_id", h.message_id}};
    for (const auto& [name, want] : a.items()) {
      if (name == "exchange" || name == "message") continue;
      auto f = fields.find(name);
      if (f == fields.end() || f->second != want.get<uint64_t>()) {
        r.held = false;
        r.observed = fmt::format("#{} {}: {} is {}", w->number, w->text, name,
                                 f == fields.end() ? "unknown" : std::to_string(f->second));
        return r;
      }
    }
  }
  if (seen == 0) {
    r.held = false;
    r.observed = IutSaid(o, s);
  }
  return r;
}

// The tester's IKE SA or CHILD SAs at the end are new ones (a rekey went through).
CheckResult Rekeyed(const json& a, const Observation& o) {
  const std::string what = a["what"];
  CheckResult r{fmt::format("the {} SA was rekeyed", what == "ike" ? "IKE" : "CHILD"), false, ""};
  if (what == "ike") r.held = o.established && o.final_spi_i != 0 && o.final_spi_i != o.first_spi_i;
  else {
    r.held = !o.final_children.empty();
    for (uint32_t spi : o.final_children) r.held = r.held && o.first_children.count(spi) == 0;
  }
  if (!r.held) r.observed = o.established ? "the first SAs are still the ones in use" : "no established IKE SA";
  return r;
}

CheckResult IkeSas(const json& a, const Observation& o) {
  const size_t want = a["count"];
  CheckResult r{fmt::format("the tester holds {} IKE SA{}", want, want == 1 ? "" : "s"), o.ike_sas == want, ""};
  if (!r.held) r.observed = fmt::format("{} IKE SAs", o.ike_sas);
  return r;
}

// The IUT sent a Delete payload (of protocol IKE or ESP).
CheckResult Deletes(const json& a, const Observation& o) {
  const std::string protocol = a["protocol"];
  const auto want = protocol == "IKE" ? iana::SecurityProtocol::kIke : iana::SecurityProtocol::kEsp;
  CheckResult r{fmt::format("the IUT sends a Delete of {}", protocol), false, ""};
  for (const Observed& w : o.wire)
    if (w.from_iut)
      for (const ike::Payload& p : w.opened.Built())
        if (const auto* d = p.as<ike::DeletePayload>(); d != nullptr && d->protocol_id == want) r.held = true;
  if (!r.held) r.observed = IutSaid(o);
  return r;
}

// The UDP ports of every selected IUT message (at least one): RFC 7296
// §2.23's move to port 4500, §2.11's answer from the port the request came to.
CheckResult Port(const json& a, const Observation& o) {
  const Selection s = SelectionOf(a);
  std::vector<std::string> want;
  for (std::string_view name : {"source_port", "destination_port"})
    if (a.contains(name)) want.push_back(fmt::format("{} {}", name, a[name].get<uint64_t>()));
  CheckResult r{fmt::format("every {} of the IUT is sent with {}", s.Text(), fmt::join(want, ", ")), false, ""};
  for (const Observed* w : Pick(o, s)) {
    r.held = true;
    if ((a.contains("source_port") && w->source_port != a["source_port"].get<uint64_t>()) ||
        (a.contains("destination_port") && w->destination_port != a["destination_port"].get<uint64_t>())) {
      r.held = false;
      r.observed = fmt::format("#{} from port {} to port {}: {}", w->number, w->source_port, w->destination_port, w->text);
      return r;
    }
  }
  if (!r.held) r.observed = IutSaid(o, s);
  return r;
}

// The IUT's selected messages carry an AUTH payload of this Auth Method
// (RFC 7296 §3.8; 14 is RFC 7427's Digital Signature); with `absent`, none
// of them does.
CheckResult AuthMethod(const json& a, const Observation& o) {
  const Selection s = SelectionOf(a);
  const uint64_t want = a["method"];
  const bool absent = a.contains("absent") && a["absent"] == true;
  if (absent) {
    CheckResult r{fmt::format("no {} of the IUT carries AUTH of Auth Method {}", s.Text(), want), true, ""};
    for (const Observed* w : Pick(o, s))
      for (const ike::Payload& p : w->opened.Built())
        if (const auto* auth = p.as<ike::AuthPayload>(); auth != nullptr && static_cast<uint64_t>(auth->auth_method) == want) {
          r.held = false;
          r.observed = fmt::format("#{} {}", w->number, w->text);
        }
    return r;
  }
  CheckResult r{fmt::format("the IUT's {} carries AUTH of Auth Method {}", s.Text(), want), false, ""};
  for (const Observed* w : Pick(o, s))
    for (const ike::Payload& p : w->opened.Built())
      if (const auto* auth = p.as<ike::AuthPayload>()) {
        if (static_cast<uint64_t>(auth->auth_method) == want) r.held = true;
        else r.observed = fmt::format("#{} AUTH of Auth Method {}", w->number, static_cast<unsigned>(auth->auth_method));
      }
  if (r.held) r.observed.clear();
  else if (r.observed.empty()) r.observed = "no AUTH payload; " + IutSaid(o);
  return r;
}

// The EAP Code of the EAP payloads the IUT sent (RFC 3748 §4: 1 Request,
// 2 Response, 3 Success, 4 Failure), by name.
CheckResult Eap(const json& a, const Observation& o) {
  const Selection s = SelectionOf(a);
  static const std::pair<std::string_view, uint8_t> kCodes[] = {
      {"Request", 1}, {"Response", 2}, {"Success", 3}, {"Failure", 4}};
  const std::string name = a["code"];
  uint8_t want = 0;
  for (const auto& [n, c] : kCodes)
    if (n == name) want = c;
  CheckResult r{fmt::format("the IUT's {} carries an EAP {}", s.Text(), name), false, ""};
  for (const Observed* w : Pick(o, s))
    for (const ike::Payload& p : w->opened.Built())
      if (const auto* eap = p.as<ike::EapPayload>(); eap != nullptr && !eap->eap_message.empty()) {
        if (eap->eap_message[0] == want) r.held = true;
        else r.observed = fmt::format("#{} EAP Code {}", w->number, eap->eap_message[0]);
      }
  if (r.held) r.observed.clear();
  else if (r.observed.empty()) r.observed = "no EAP payload; " + IutSaid(o);
  return r;
}

// The ESP and AH dataplane (drive steps tester:esp=SPEC, tester:ah=SPEC):
// the tester's echo requests through the CHILD SA and the echo replies that
// came back, decrypted or verified with the tester's inbound keys.
std::string EspSaid(const Observation& o) {
  std::string s;
  for (const dataplane::Probe& p : o.esp_probes)
    s += fmt::format("{}echo {} (seq {}{}) {}", s.empty() ? "" : "; ", p.icmp_sequence, p.esp_sequence,
                     p.deviation.empty() ? "" : ", " + p.deviation,
                     p.answers == 0   ? "unanswered"
                     : p.answers == 1 ? "answered"
                                      : fmt::format("answered {}x", p.answers));
  if (o.esp_probes.empty()) s = "the tester sent no echo request";
  for (const std::string& n : o.esp_notes) s += "; " + n;
  return s;
}

CheckResult Esp(const json& a, const Observation& o) {
  size_t answered = 0;
  for (const dataplane::Probe& p : o.esp_probes) answered += p.answers > 0 ? 1 : 0;
  CheckResult r;
  if (a.contains("unanswered")) {
    const size_t want = a["unanswered"];
    r.check = want == 0 ? "the IUT answers every echo request the tester sent through the CHILD SA"
                        : fmt::format("the IUT leaves {} of the tester's echo requests unanswered", want);
    r.held = !o.esp_probes.empty() && o.esp_probes.size() - answered == want;
  } else if (a.contains("answered")) {
    const size_t want = a["answered"];
    r.check = fmt::format("the IUT answers {} of the tester's echo requests through the CHILD SA", want);
    r.held = answered == want;
  } else {
    const size_t want = a.value("answered_min", size_t{1});
    r.check = fmt::format("the IUT answers at least {} of the tester's echo requests through the CHILD SA", want);
    r.held = answered >= want;
  }
  r.held = r.held && o.esp_notes.empty();
  if (!r.held) r.observed = fmt::format("{} answered: {}", answered, EspSaid(o));
  return r;
}

// Every deviant echo request dropped, every clean one answered (so that the
// silence is the IUT's reaction to the deviation, not a dead SA).
CheckResult EspSilent(const json&, const Observation& o) {
  CheckResult r{"the IUT drops every deviant ESP or AH packet silently and answers each clean one", false, ""};
  size_t deviant = 0, clean = 0;
  bool right = o.esp_notes.empty();
  for (const dataplane::Probe& p : o.esp_probes) {
    (p.deviation.empty() ? clean : deviant) += 1;
    right = right && (p.deviation.empty() ? p.answers > 0 : p.answers == 0);
  }
  r.held = right && deviant > 0 && clean > 0;
  if (!r.held) r.observed = EspSaid(o);
  return r;
}

// The IUT's own ESP packets (its echo replies) on each SA carry sequence
// numbers 1, 2, 3, ... in the order sent.
CheckResult EspSender(const json&, const Observation& o) {
  CheckResult r{"the IUT's ESP or AH packets on each SA are numbered 1, 2, 3, ... as sent", false, ""};
  std::map<uint32_t, uint64_t> last;
  std::string seen;
  bool right = !o.esp_replies.empty();
  for (const auto& [spi, seq] : o.esp_replies) {
    right = right && seq == last[spi] + 1;
    last[spi] = seq;
    seen += fmt::format("{}{:08x}:{}", seen.empty() ? "" : ", ", spi, seq);
  }
  r.held = right;
  if (!r.held) r.observed = seen.empty() ? EspSaid(o) : "SPI:seq " + seen;
  return r;
}

struct Row {
  CheckKind kind;
  std::vector<std::string_view> required, optional;
  Decide decide;
};

const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = {
      {{"established", "children?", "the tester holds an established IKE SA (with N CHILD SAs) and the IUT answers its closing liveness check"},
       {}, {"children"}, Established},
      {{"not-established", "", "no IKE SA is established at the tester"}, {}, {}, NotEstablished},
      {{"notify", "notify (a name, or a list of names any of which will do), data?, exchange?, message?",
        "a selected message of the IUT carries the Notify (with that data, hex)"},
       {"notify"}, {"data", "exchange", "message"}, Notify},
      {{"no-notify", "notify, exchange?, message?", "no selected message of the IUT carries the Notify"},
       {"notify"}, {"exchange", "message"}, NoNotify},
      {{"silent", "exchange?, message?", "the IUT sends no such message (a silent drop)"}, {}, {"exchange", "message"}, Silent},
      {{"count", "min?, max?, distinct?, exchange?, message?", "the IUT sends between min and max such messages"},
       {}, {"min", "max", "distinct", "exchange", "message"}, Count},
      {{"identical", "exchange?, message?", "copies with one Message ID are the same octets, and there are copies"},
       {}, {"exchange", "message"}, Identical},
      {{"backoff", "first_ms?, exchange?, message?", "retransmissions of one request no sooner than first_ms, at growing intervals"},
       {}, {"first_ms", "exchange", "message"}, Backoff},
      {{"gives-up", "within_ms?", "the IUT sends nothing after within_ms"}, {}, {"within_ms"}, GivesUp},
      {{"payloads", "has?, lacks?, exchange?, message?",
        "a selected message of the IUT carries all the payloads `has` names, and none carries one `lacks` names"},
       {}, {"has", "lacks", "exchange", "message"}, Payloads},
      {{"header", "exchange?, message?, major, minor, reserved_flags, version_flag, initiator_flag, message_id (any of them)",
        "every selected message of the IUT has these header values"},
       {}, {"exchange", "message", "major", "minor", "reserved_flags", "version_flag", "initiator_flag", "message_id"},
       Header},
      {{"rekeyed", "what (ike or child)", "the SA in use at the end is not the first one"}, {"what"}, {}, Rekeyed},
      {{"ike-sas", "count", "the tester holds that many IKE SAs at the end"}, {"count"}, {}, IkeSas},
      {{"children", "count", "the tester's established IKE SA holds that many CHILD SAs at the end (0 without one)"},
       {"count"}, {}, Children},
      {{"any", "of (a list of checks)", "at least one of the checks holds (where the RFC allows several reactions)"},
       {"of"}, {}, Any},
      {{"deletes", "protocol (IKE or ESP)", "the IUT sends a Delete payload of that protocol"}, {"protocol"}, {}, Deletes},
      {{"port", "source_port?, destination_port?, exchange?, message?",
        "every selected message of the IUT (one at least) is sent from and to these UDP ports"},
       {}, {"source_port", "destination_port", "exchange", "message"}, Port},
      {{"auth", "method, absent?, exchange?, message?",
        "a selected message of the IUT carries an AUTH payload of that Auth Method (with absent: true, none does)"},
       {"method"}, {"absent", "exchange", "message"}, AuthMethod},
      {{"eap", "code (Request, Response, Success or Failure), exchange?, message?",
        "a selected message of the IUT carries an EAP payload of that Code (RFC 3748 §4)"},
       {"code"}, {"exchange", "message"}, Eap},
      {{"esp", "answered, answered_min or unanswered",
        "the IUT answers that many (at least that many) of the tester's ESP echo requests, or leaves that many unanswered"},
       {}, {"answered", "answered_min", "unanswered"}, Esp},
      {{"esp-silent", "", "the IUT answers each clean ESP echo request and no deviant one"}, {}, {}, EspSilent},
      {{"esp-sender", "", "the IUT's ESP packets on each SA carry sequence numbers 1, 2, 3, ..."}, {}, {}, EspSender},
      // The same three for the AH dataplane (tester:ah=SPEC): the judge reads
      // the probes alike.
      {{"ah", "answered, answered_min or unanswered",
        "the IUT answers that many (at least that many) of the tester's AH echo requests, or leaves that many unanswered"},
       {}, {"answered", "answered_min", "unanswered"}, Esp},
      {{"ah-silent", "", "the IUT answers each clean AH echo request and no deviant one"}, {}, {}, EspSilent},
      {{"ah-sender", "", "the IUT's AH packets on each SA carry sequence numbers 1, 2, 3, ..."}, {}, {}, EspSender},
  };
  return rows;
}

const Row* FindRow(std::string_view name) {
  for (const Row& r : Rows())
    if (r.kind.name == name) return &r;
  return nullptr;
}

CheckResult Any(const json& a, const Observation& o) {
  CheckResult r{"", false, ""};
  std::vector<std::string> checks, observed;
  for (const json& sub : a["of"]) {
    json args = sub;
    args.erase("check");
    CheckResult one = FindRow(sub["check"].get<std::string>())->decide(args, o);
    checks.push_back(one.check);
    r.held = r.held || one.held;
    if (!one.held) observed.push_back(one.observed);
  }
  r.check = fmt::format("either {}", fmt::join(checks, ", or "));
  if (!r.held) r.observed = fmt::format("{}", fmt::join(observed, "; "));
  return r;
}

}  // namespace

std::span<const CheckKind> CheckKinds() {
  static const std::vector<CheckKind> kinds = [] {
    std::vector<CheckKind> out;
    for (const Row& r : Rows()) out.push_back(r.kind);
    return out;
  }();
  return kinds;
}

namespace {

Status ValidateCheck(const std::string& kind, const json& args, const std::string& where0) {
  const std::string where = fmt::format("{}: check '{}'", where0, kind);
  const Row* row = FindRow(kind);
  ENSURE(row != nullptr, kInvalidArgument, kNoOffset, "",
         fmt::format("{}: unknown kind of check (interop/conformance/README.md lists them)", where));
  for (std::string_view need : row->required)
    ENSURE(args.contains(need), kInvalidArgument, kNoOffset, "", fmt::format("{}: '{}' is missing", where, need));
  for (const auto& [name, value] : args.items()) {
    const bool known = std::find(row->required.begin(), row->required.end(), name) != row->required.end() ||
                       std::find(row->optional.begin(), row->optional.end(), name) != row->optional.end();
    ENSURE(known, kInvalidArgument, kNoOffset, "", fmt::format("{}: unknown argument '{}'", where, name));
  }
  if (args.contains("exchange"))
    ENSURE(args["exchange"].is_string() && iana::ExchangeTypeFromName(args["exchange"].get<std::string>()),
           kInvalidArgument, kNoOffset, "", fmt::format("{}: 'exchange' names no exchange type", where));
  if (args.contains("message"))
    ENSURE(args["message"] == "request" || args["message"] == "response", kInvalidArgument, kNoOffset, "",
           fmt::format("{}: 'message' is request or response", where));
  if (args.contains("notify")) {
    const json& n = args["notify"];
    bool ok = n.is_string() || (n.is_array() && !n.empty());
    for (const json& x : n.is_array() ? n : json::array({n}))
      ok = ok && x.is_string() && iana::NotifyTypeFromName(x.get<std::string>()).has_value();
    ENSURE(ok, kInvalidArgument, kNoOffset, "", fmt::format("{}: 'notify' names no Notify type", where));
  }
  for (std::string_view list : {"has", "lacks"})
    if (args.contains(list)) {
      bool ok = args[list].is_array() && !args[list].empty();
      for (const json& x : args[list]) ok = ok && x.is_string();
      ENSURE(ok, kInvalidArgument, kNoOffset, "", fmt::format("{}: '{}' is a list of payload labels", where, list));
    }
  if (kind == "payloads")
    ENSURE(args.contains("has") || args.contains("lacks"), kInvalidArgument, kNoOffset, "",
           fmt::format("{}: 'has' or 'lacks' is needed", where));
  for (std::string_view number :
       {"children", "min", "max", "first_ms", "within_ms", "count", "answered", "answered_min", "unanswered"})
    if (args.contains(number))
      ENSURE(args[number].is_number_unsigned(), kInvalidArgument, kNoOffset, "",
             fmt::format("{}: '{}' must be a number", where, number));
  if (kind == "any") {
    ENSURE(args["of"].is_array() && !args["of"].empty(), kInvalidArgument, kNoOffset, "",
           fmt::format("{}: 'of' is a non-empty list of checks", where));
    for (const json& sub : args["of"]) {
      ENSURE(sub.is_object() && sub.contains("check") && sub["check"].is_string(), kInvalidArgument, kNoOffset, "",
             fmt::format("{}: every entry of 'of' is an object with a 'check'", where));
      json rest = sub;
      rest.erase("check");
      TRY(ValidateCheck(sub["check"].get<std::string>(), rest, where));
    }
  }
  return OkStatus();
}

}  // namespace

Status Validate(const Run& run) {
  for (const Check& k : run.expect) TRY(ValidateCheck(k.kind, k.args, fmt::format("{}: case '{}'", run.c->file, run.id)));
  return OkStatus();
}

std::string CheckTableMarkdown() {
  std::string out = "| check | arguments | holds when |\n|---|---|---|\n";
  for (const Row& r : Rows())
    out += fmt::format("| `{}` | {} | {} |\n", r.kind.name, r.kind.arguments.empty() ? "—" : r.kind.arguments,
                       r.kind.meaning);
  return out;
}

std::vector<CheckResult> Judge(const Run& run, const Observation& o) {
  std::vector<CheckResult> out;
  for (const Check& k : run.expect) out.push_back(FindRow(k.kind)->decide(k.args, o));
  return out;
}

}  // namespace ipsecref::conformance
