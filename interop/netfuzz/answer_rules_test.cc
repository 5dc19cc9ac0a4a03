// The answer rules, each shown to fire on a made-up answer that breaks it
// and to stay quiet on one that keeps it (the negative control of the
// table; the live one is tests/negative_control.py).
#include "interop/netfuzz/answer_rules.h"

#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/notify.h"

namespace ipsecref::netfuzz {
namespace {

using conformance::Observation;
using conformance::Observed;
using iana::ExchangeType;
using iana::NotifyType;
using iana::PayloadType;

constexpr uint64_t kSpiI = 0x1111222233334444;

Mutation Request(ExchangeType exchange, bool response = false) {
  Mutation m;
  m.applied = true;
  m.exchange = exchange;
  m.message_id = exchange == ExchangeType::kIkeSaInit ? 0 : 1;
  m.spi_i = kSpiI;
  m.spi_r = exchange == ExchangeType::kIkeSaInit ? 0 : 0x5555;
  // The request's bytes: a header (the rules read its R flag) and a marker.
  Bytes b(28, 0);
  for (int k = 0; k < 8; ++k) b[k] = static_cast<uint8_t>(kSpiI >> (56 - 8 * k));
  b[17] = 0x20;
  b[18] = static_cast<uint8_t>(exchange);
  b[19] = response ? 0x20 : 0x08;
  b[23] = static_cast<uint8_t>(m.message_id);
  b[27] = 28;
  m.datagrams = {b};
  return m;
}

Observed Sent(const Mutation& m) {
  Observed w;
  w.message = m.datagrams.front();
  return w;
}

// An answer from the IUT: its header and payloads as the judge opened them.
Observed Answer(ExchangeType exchange, std::vector<PayloadType> types, std::vector<NotifyType> notifies = {},
                bool encrypted = false, uint32_t message_id = 0, bool response = true, uint8_t tag = 0) {
  Observed w;
  w.from_iut = true;
  ike::Header h;
  h.spi_i = kSpiI;
  h.spi_r = 0x9999;
  h.exchange_type = exchange;
  h.flags = response ? ike::kFlagResponse : 0;
  h.message_id = message_id;
  w.opened.header = h;
  ike::Message m;
  m.header = h;
  for (PayloadType t : types) m.payloads.push_back(ike::Payload{t, false, ike::SaPayload{}, 0});
  for (NotifyType n : notifies) {
    ike::NotifyPayload body;
    body.notify_message_type = n;
    m.payloads.push_back(ike::Payload{PayloadType::kNotify, false, body, 0});
  }
  if (encrypted) {
    m.inner = std::move(m.payloads);
    m.payloads.clear();
    m.decrypted = true;
    w.opened.encrypted = true;
    w.opened.decrypted = true;
  }
  w.opened.message = m;
  w.message = Bytes{0xaa, tag, static_cast<uint8_t>(message_id)};
  return w;
}

std::vector<std::string> Broken(const Mutation& m, std::vector<Observed> iut) {
  Observation o;
  o.wire.push_back(Sent(m));
  for (Observed& w : iut) o.wire.push_back(std::move(w));
  return Judge(m, AnswersTo(m, o));
}

bool Fires(const std::vector<std::string>& broken, std::string_view rule) {
  for (const std::string& b : broken)
    if (b.starts_with(std::string(rule) + " ")) return true;
  return false;
}

const std::vector<PayloadType> kAccept = {PayloadType::kSa, PayloadType::kKe, PayloadType::kNonce};

TEST(AnswerRules, KeptByTheUsualAnswers) {
  EXPECT_TRUE(Broken(Request(ExchangeType::kIkeSaInit), {Answer(ExchangeType::kIkeSaInit, kAccept)}).empty());
  EXPECT_TRUE(Broken(Request(ExchangeType::kIkeSaInit),
                     {Answer(ExchangeType::kIkeSaInit, {}, {NotifyType::kNoProposalChosen})})
                  .empty());
  EXPECT_TRUE(Broken(Request(ExchangeType::kIkeAuth),
                     {Answer(ExchangeType::kIkeAuth, {}, {NotifyType::kInvalidSyntax}, true, 1)})
                  .empty());
  EXPECT_TRUE(Broken(Request(ExchangeType::kIkeSaInit), {}).empty());  // silence: the probe's to judge
}

TEST(AnswerRules, R1AResponseAnswered) {
  EXPECT_TRUE(Fires(Broken(Request(ExchangeType::kInformational, true),
                           {Answer(ExchangeType::kInformational, {}, {}, true, 1)}),
                    "R1"));
}

TEST(AnswerRules, R2TwoDifferentAnswers) {
  EXPECT_TRUE(Fires(Broken(Request(ExchangeType::kIkeSaInit),
                           {Answer(ExchangeType::kIkeSaInit, kAccept, {}, false, 0, true, 1),
                            Answer(ExchangeType::kIkeSaInit, kAccept, {}, false, 0, true, 2)}),
                    "R2"));
}

TEST(AnswerRules, R3WrongMessageIdOrNoRFlag) {
  EXPECT_TRUE(Fires(Broken(Request(ExchangeType::kIkeSaInit), {Answer(ExchangeType::kIkeSaInit, kAccept, {}, false, 7)}),
                    "R3"));
  EXPECT_TRUE(Fires(
      Broken(Request(ExchangeType::kIkeSaInit), {Answer(ExchangeType::kIkeSaInit, kAccept, {}, false, 0, false)}), "R3"));
}

TEST(AnswerRules, R4UnprotectedInvalidSyntax) {
  EXPECT_TRUE(Fires(Broken(Request(ExchangeType::kIkeSaInit),
                           {Answer(ExchangeType::kIkeSaInit, {}, {NotifyType::kInvalidSyntax})}),
                    "R4"));
}

TEST(AnswerRules, R5UnprotectedAnswerToAProtectedRequest) {
  EXPECT_TRUE(Fires(Broken(Request(ExchangeType::kIkeAuth),
                           {Answer(ExchangeType::kIkeAuth, {}, {NotifyType::kInvalidSyntax}, false, 1)}),
                    "R5"));
}

TEST(AnswerRules, R6CriticalUnknownAccepted) {
  Mutation m = Request(ExchangeType::kIkeSaInit);
  m.critical_unknown = true;
  EXPECT_TRUE(Fires(Broken(m, {Answer(ExchangeType::kIkeSaInit, kAccept)}), "R6"));
  EXPECT_FALSE(Fires(Broken(m, {Answer(ExchangeType::kIkeSaInit, {}, {NotifyType::kUnsupportedCriticalPayload})}), "R6"));
}

TEST(AnswerRules, AnswersEndAtTheTestersNextMessage) {
  const Mutation m = Request(ExchangeType::kIkeSaInit);
  Observation o;
  o.wire.push_back(Sent(m));
  o.wire.push_back(Answer(ExchangeType::kIkeSaInit, kAccept));
  Observed next;
  next.message = Bytes{1, 2, 3};  // the tester's IKE_AUTH
  o.wire.push_back(next);
  o.wire.push_back(Answer(ExchangeType::kIkeAuth, {}, {}, true, 1, true, 9));
  const Answers a = AnswersTo(m, o);
  EXPECT_TRUE(a.request_seen);
  EXPECT_EQ(a.distinct.size(), 1u);
  EXPECT_EQ(AnswerKind(a), "IKE_SA_INIT accepted");
}

}  // namespace
}  // namespace ipsecref::netfuzz
