#include "interop/netfuzz/answer_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "reference/ike/wire/payload.h"
#include "reference/ike/wire/payloads/notify.h"

namespace ipsecref::netfuzz {
namespace {

using iana::ExchangeType;
using iana::NotifyType;
using iana::PayloadType;

std::vector<NotifyType> NotifiesOf(const conformance::Observed& w) {
  std::vector<NotifyType> out;
  for (const ike::Payload& p : w.opened.Built())
    if (const auto* n = p.as<ike::NotifyPayload>()) out.push_back(n->notify_message_type);
  return out;
}

bool Has(const conformance::Observed& w, PayloadType type) {
  const auto& built = w.opened.Built();
  return std::any_of(built.begin(), built.end(), [&](const ike::Payload& p) { return p.type == type; });
}

// Error types (below 16384, RFC 7296 §3.10.1) among the answer's notifies.
std::vector<NotifyType> ErrorsOf(const conformance::Observed& w) {
  std::vector<NotifyType> out;
  for (NotifyType t : NotifiesOf(w))
    if (static_cast<uint16_t>(t) < 16384) out.push_back(t);
  return out;
}

bool AcceptsInit(const conformance::Observed& w) {
  return Has(w, PayloadType::kSa) && Has(w, PayloadType::kKe) && Has(w, PayloadType::kNonce);
}

bool IsInitRequestForNewSa(const Mutation& m) { return m.exchange == ExchangeType::kIkeSaInit && m.spi_r == 0; }

std::string Label(const conformance::Observed& w) { return w.text.empty() ? std::string("an answer") : w.text; }

// --- the rules ---------------------------------------------------------------

//= rfc7296#section-3.1
//# A message with the R flag set is a response, and no response is
//# generated to it (the one exception, an error notification about a
//# response, is §2.21.2's and goes in a new request, not a response).
std::string AnsweredResponse(const Mutation& m, const Answers& a) {
  if (m.datagrams.empty() || a.distinct.empty()) return {};
  const auto h = ike::PeekHeader(m.datagrams.front());
  if (!h || !h->response()) return {};
  return fmt::format("a response got {} answer(s): {}", a.distinct.size(), Label(*a.distinct.front()));
}

//= rfc7296#section-2.21
//# One request gets at most one response (a retransmission of the request
//# gets the same response again, not another).
std::string SeveralAnswers(const Mutation&, const Answers& a) {
  if (a.distinct.size() <= 1) return {};
  std::vector<std::string> texts;
  for (const auto* w : a.distinct) texts.push_back(Label(*w));
  return fmt::format("{} different answers: {}", a.distinct.size(), fmt::join(texts, " | "));
}

//= rfc7296#section-3.1
//# An answer to a request is a response: the R flag set, the same Message
//# ID as the request, and the SPIs of the request's IKE SA (its initiator
//# SPI at least; the responder SPI is new in an IKE_SA_INIT response).
std::string NotAResponse(const Mutation& m, const Answers& a) {
  for (const auto* w : a.distinct) {
    const auto& h = w->opened.header;
    if (!h) return fmt::format("an answer of {} octets has no IKE header", w->message.size());
    if (!h->response() || h->message_id != m.message_id || h->spi_i != m.spi_i)
      return fmt::format("{}: R flag {}, Message ID {}, SPIi {:016x}; the request's Message ID {}, SPIi {:016x}",
                         Label(*w), h->response() ? "set" : "clear", h->message_id, h->spi_i, m.message_id, m.spi_i);
  }
  return {};
}

//= rfc7296#section-3.10.1
//# INVALID_SYNTAX is sent only in an encrypted message whose Message ID and
//# integrity check were valid: never in an IKE_SA_INIT response.
//= rfc7296#section-2.21.1
//# An IKE_SA_INIT request for a new IKE SA is answered, if at all, without
//# protection: either SA, KE and Nonce (the request accepted) or error
//# notifications that exchange may carry (UNSUPPORTED_CRITICAL_PAYLOAD,
//# INVALID_MAJOR_VERSION, NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD) or
//# COOKIE; never INVALID_SYNTAX, which is sent only protected.
std::string InitAnswer(const Mutation& m, const Answers& a) {
  if (!IsInitRequestForNewSa(m)) return {};
  static const std::set<NotifyType> allowed = {NotifyType::kUnsupportedCriticalPayload, NotifyType::kInvalidMajorVersion,
                                               NotifyType::kNoProposalChosen, NotifyType::kInvalidKePayload};
  for (const auto* w : a.distinct) {
    if (!w->opened.header) continue;  // NotAResponse's
    if (w->opened.header->exchange_type != ExchangeType::kIkeSaInit)
      return fmt::format("{}: not an IKE_SA_INIT response", Label(*w));
    if (w->opened.encrypted) return fmt::format("{}: protected, though no IKE SA exists for it yet", Label(*w));
    if (AcceptsInit(*w)) continue;
    for (NotifyType t : ErrorsOf(*w))
      if (!allowed.contains(t)) return fmt::format("{}: N({}) in an unprotected IKE_SA_INIT response", Label(*w), ike::NotifyName(t));
    const auto notifies = NotifiesOf(*w);
    if (notifies.empty()) return fmt::format("{}: neither SA, KE and Nonce nor an error notification", Label(*w));
  }
  return {};
}

//= rfc7296#section-2.21.2
//# An IKE_AUTH request whose integrity checks is answered, if at all, in a
//# protected response: an error about it (INVALID_SYNTAX,
//# AUTHENTICATION_FAILED, ...) goes inside SK.
//= rfc7296#section-2.21.3
//# So too the requests after IKE_AUTH: their errors are notified in the
//# response, which the IKE SA protects.
std::string UnprotectedAnswer(const Mutation& m, const Answers& a) {
  if (m.exchange == ExchangeType::kIkeSaInit) return {};
  for (const auto* w : a.distinct) {
    if (!w->opened.header) continue;
    if (!w->opened.encrypted) return fmt::format("{}: an unprotected answer to a protected request", Label(*w));
  }
  return {};
}

//= rfc7296#section-3.2
//# A payload of a type the receiver does not know, with the critical bit
//# set, makes it reject the whole message (answering
//# UNSUPPORTED_CRITICAL_PAYLOAD): a response that accepts the message
//# (without any error notification) breaks that.
std::string AcceptedCritical(const Mutation& m, const Answers& a) {
  if (!m.critical_unknown) return {};
  for (const auto* w : a.distinct) {
    if (!w->opened.header) continue;
    const bool accepted = m.exchange == ExchangeType::kIkeSaInit ? AcceptsInit(*w)
                                                                 : (w->opened.decrypted && ErrorsOf(*w).empty());
    if (accepted) return fmt::format("{}: accepts a message with an unknown critical payload", Label(*w));
  }
  return {};
}

constexpr AnswerRule kRules[] = {
    {"R1", "rfc7296#section-3.1", "a response is never answered", AnsweredResponse},
    {"R2", "rfc7296#section-2.21", "one request, at most one answer", SeveralAnswers},
    {"R3", "rfc7296#section-3.1", "an answer is a response with the request's Message ID and SPIi", NotAResponse},
    {"R4", "rfc7296#section-3.10.1",
     "an IKE_SA_INIT request is answered unprotected: SA, KE and Nonce, or an error notify IKE_SA_INIT may carry "
     "(never INVALID_SYNTAX)",
     InitAnswer},
    {"R5", "rfc7296#section-2.21.2", "a protected request is answered only in a protected response", UnprotectedAnswer},
    {"R6", "rfc7296#section-3.2", "a message with an unknown critical payload is not accepted", AcceptedCritical},
};

}  // namespace

std::span<const AnswerRule> AnswerRules() { return kRules; }

Answers AnswersTo(const Mutation& m, const conformance::Observation& o) {
  Answers a;
  if (!m.applied || m.datagrams.empty()) return a;
  const std::set<Bytes> request(m.datagrams.begin(), m.datagrams.end());
  std::set<Bytes> seen;
  bool inside = false;
  for (const conformance::Observed& w : o.wire) {
    if (w.esp) continue;
    if (!w.from_iut) {
      const bool again = request.contains(w.message);
      a.request_seen = a.request_seen || again;
      inside = again;  // a new message of the tester's ends the answers
      continue;
    }
    //= ipsecref#choice
    //# Only the IUT's datagrams with the request's SPIi answer it: the IUT
    //# is kept across iterations, and a late datagram about an earlier
    //# iteration's IKE SA (an INVALID_IKE_SPI answer seen in a long gateway
    //# run) is not an answer to this request. R3 then judges the R flag and
    //# the Message ID.
    if (w.opened.header && w.opened.header->spi_i != m.spi_i) continue;
    if (inside && seen.insert(w.message).second) a.distinct.push_back(&w);
  }
  return a;
}

std::string AnswerKind(const Answers& a) {
  if (!a.request_seen) return "not sent";
  if (a.distinct.empty()) return "none";
  const conformance::Observed& w = *a.distinct.front();
  std::string kind;
  if (!w.opened.header) kind = "not IKE";
  else if (w.opened.encrypted && !w.opened.decrypted) kind = "protected, undecryptable";
  else {
    const auto errors = ErrorsOf(w);
    const std::string prefix = w.opened.encrypted ? "protected " : "";
    if (!errors.empty()) kind = prefix + "N(" + ike::NotifyName(errors.front()) + ")";
    else if (w.opened.header->exchange_type == ExchangeType::kIkeSaInit && AcceptsInit(w)) kind = "IKE_SA_INIT accepted";
    else if (w.opened.header->exchange_type == ExchangeType::kIkeSaInit && !NotifiesOf(w).empty())
      kind = "N(" + ike::NotifyName(NotifiesOf(w).front()) + ")";
    else kind = prefix + "accepted";
  }
  return a.distinct.size() > 1 ? fmt::format("{} (+{} more)", kind, a.distinct.size() - 1) : kind;
}

std::vector<std::string> Judge(const Mutation& m, const Answers& a) {
  std::vector<std::string> out;
  for (const AnswerRule& r : kRules)
    if (std::string why = r.broken(m, a); !why.empty()) out.push_back(fmt::format("{} ({}): {}", r.id, r.requirement, why));
  return out;
}

}  // namespace ipsecref::netfuzz
