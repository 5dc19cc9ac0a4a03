// The exchange rule table pinned to RFC 7296: which payloads each message of
// each exchange carries, how many, and whether inside SK. The expected rows
// below are typed from the RFC's message ladders (the section is named above
// each), with the counts of §3 where a ladder's "[X]" leaves them open; they
// are not derived from rules.cc, and the test compares the two.
//
// Notation: a ladder's "X" is 1..1, "[X]" is 0..1, and a payload §3 allows
// several times (CERT §3.6, CERTREQ §3.7, N §3.10, D §3.11, V §3.12) is 0..many.
// Notify and Vendor ID payloads may appear in any message (§3.10, §3.12),
// so every row lists them.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "reference/ike/wire/rules.h"

namespace ipsecref::ike {
namespace {

using P = iana::PayloadType;
using X = iana::ExchangeType;

constexpr uint8_t kAny = 255;  // "any number" (§3.6, §3.7, §3.10, §3.11, §3.12)

struct Row {
  P type;
  uint8_t min;
  uint8_t max;
};

struct Ladder {
  std::string_view section;  // where the ladder is drawn
  X exchange;
  bool response;
  std::string_view shape;  // the rules.cc shape it pins
  bool encrypted;
  std::vector<Row> payloads;
};

const std::vector<Ladder>& Ladders() {
  static const std::vector<Ladder> ladders = {
      // §1.2: HDR, SAi1, KEi, Ni -->   (N(COOKIE) §2.6, N(NAT_DETECTION_*) §2.23)
      {"rfc7296#section-1.2", X::kIkeSaInit, false, "IKE_SA_INIT request", false,
       {{P::kSa, 1, 1}, {P::kKe, 1, 1}, {P::kNonce, 1, 1}, {P::kNotify, 0, kAny}, {P::kVendorId, 0, kAny}}},
      // §1.2: <-- HDR, SAr1, KEr, Nr, [CERTREQ]
      {"rfc7296#section-1.2", X::kIkeSaInit, true, "IKE_SA_INIT response", false,
       {{P::kSa, 1, 1},
        {P::kKe, 1, 1},
        {P::kNonce, 1, 1},
        {P::kCertreq, 0, kAny},
        {P::kNotify, 0, kAny},
        {P::kVendorId, 0, kAny}}},
      // §1.2 (INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN), §2.6: <-- HDR, N(COOKIE)
      {"rfc7296#section-2.6", X::kIkeSaInit, true, "IKE_SA_INIT response (notification only)", false,
       {{P::kNotify, 1, kAny}, {P::kVendorId, 0, kAny}}},
      // §1.2: HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, SAi2, TSi, TSr} -->
      // §2.16: AUTH left out when the initiator wants EAP; §2.19: CP(CFG_REQUEST);
      // RFC 6023 §3: SAi2, TSi, TSr left out for a childless IKE SA.
      {"rfc7296#section-1.2", X::kIkeAuth, false, "IKE_AUTH request", true,
       {{P::kIdi, 1, 1},
        {P::kCert, 0, kAny},
        {P::kCertreq, 0, kAny},
        {P::kIdr, 0, 1},
        {P::kAuth, 0, 1},
        {P::kCp, 0, 1},
        {P::kSa, 0, 1},
        {P::kTsi, 0, 1},
        {P::kTsr, 0, 1},
        {P::kNotify, 0, kAny},
        {P::kVendorId, 0, kAny}}},
      // §1.2: <-- HDR, SK {IDr, [CERT,] AUTH, SAr2, TSi, TSr}
      // §2.16: <-- HDR, SK {IDr, [CERT,] AUTH, EAP}; §2.19: CP(CFG_REPLY).
      {"rfc7296#section-1.2", X::kIkeAuth, true, "IKE_AUTH response", true,
       {{P::kIdr, 1, 1},
        {P::kCert, 0, kAny},
        {P::kAuth, 1, 1},
        {P::kEap, 0, 1},
        {P::kCp, 0, 1},
        {P::kSa, 0, 1},
        {P::kTsi, 0, 1},
        {P::kTsr, 0, 1},
        {P::kNotify, 0, kAny},
        {P::kVendorId, 0, kAny}}},
      // §2.16: HDR, SK {EAP} -->   <-- HDR, SK {EAP}
      {"rfc7296#section-2.16", X::kIkeAuth, false, "IKE_AUTH request (EAP round)", true,
       {{P::kEap, 1, 1}, {P::kNotify, 0, kAny}, {P::kVendorId, 0, kAny}}},
      {"rfc7296#section-2.16", X::kIkeAuth, true, "IKE_AUTH response (EAP round)", true,
       {{P::kEap, 1, 1}, {P::kNotify, 0, kAny}, {P::kVendorId, 0, kAny}}},
      // §2.16: HDR, SK {AUTH} -->
      {"rfc7296#section-2.16", X::kIkeAuth, false, "IKE_AUTH request (AUTH after EAP)", true,
       {{P::kAuth, 1, 1}, {P::kNotify, 0, kAny}, {P::kVendorId, 0, kAny}}},
      // §2.16: <-- HDR, SK {AUTH, SAr2, TSi, TSr}   (CP §2.19, childless RFC 6023)
      {"rfc7296#section-2.16", X::kIkeAuth, true, "IKE_AUTH response (AUTH after EAP)", true,
       {{P::kAuth, 1, 1},
        {P::kCp, 0, 1},
        {P::kSa, 0, 1},
        {P::kTsi, 0, 1},
        {P::kTsr, 0, 1},
        {P::kNotify, 0, kAny},
        {P::kVendorId, 0, kAny}}},
      // §2.21.2: <-- HDR, SK {N(AUTHENTICATION_FAILED)}
      {"rfc7296#section-2.21.2", X::kIkeAuth, true, "IKE_AUTH response (notification only)", true,
       {{P::kNotify, 1, kAny}, {P::kVendorId, 0, kAny}}},
      // §1.3.1: HDR, SK {[N(REKEY_SA)], SA, Ni, [KEi], TSi, TSr} -->
      {"rfc7296#section-1.3.1", X::kCreateChildSa, false, "CREATE_CHILD_SA request (CHILD SA)", true,
       {{P::kSa, 1, 1},
        {P::kNonce, 1, 1},
        {P::kKe, 0, 1},
        {P::kTsi, 1, 1},
        {P::kTsr, 1, 1},
        {P::kNotify, 0, kAny},
        {P::kVendorId, 0, kAny}}},
      // §1.3.1: <-- HDR, SK {SA, Nr, [KEr], TSi, TSr}
      {"rfc7296#section-1.3.1", X::kCreateChildSa, true, "CREATE_CHILD_SA response (CHILD SA)", true,
       {{P::kSa, 1, 1},
        {P::kNonce, 1, 1},
        {P::kKe, 0, 1},
        {P::kTsi, 1, 1},
        {P::kTsr, 1, 1},
        {P::kNotify, 0, kAny},
        {P::kVendorId, 0, kAny}}},
      // §1.3.2: HDR, SK {SA, Ni, KEi} -->   <-- HDR, SK {SA, Nr, KEr}
      {"rfc7296#section-1.3.2", X::kCreateChildSa, false, "CREATE_CHILD_SA request (rekey IKE SA)", true,
       {{P::kSa, 1, 1}, {P::kNonce, 1, 1}, {P::kKe, 1, 1}, {P::kNotify, 0, kAny}, {P::kVendorId, 0, kAny}}},
      {"rfc7296#section-1.3.2", X::kCreateChildSa, true, "CREATE_CHILD_SA response (rekey IKE SA)", true,
       {{P::kSa, 1, 1}, {P::kNonce, 1, 1}, {P::kKe, 1, 1}, {P::kNotify, 0, kAny}, {P::kVendorId, 0, kAny}}},
      // §1.3: a refused CREATE_CHILD_SA (NO_ADDITIONAL_SAS, INVALID_KE_PAYLOAD): <-- HDR, SK {N}
      {"rfc7296#section-1.3", X::kCreateChildSa, true, "CREATE_CHILD_SA response (notification only)", true,
       {{P::kNotify, 1, kAny}, {P::kVendorId, 0, kAny}}},
      // §1.4: HDR, SK {[N,] [D,] [CP,] ...} --> and back; "zero or more
      // Notification, Delete, and Configuration payloads", and only after the
      // initial exchanges, cryptographically protected.
      {"rfc7296#section-1.4", X::kInformational, false, "INFORMATIONAL request", true,
       {{P::kNotify, 0, kAny}, {P::kDelete, 0, kAny}, {P::kCp, 0, kAny}, {P::kVendorId, 0, kAny}}},
      {"rfc7296#section-1.4", X::kInformational, true, "INFORMATIONAL response", true,
       {{P::kNotify, 0, kAny}, {P::kDelete, 0, kAny}, {P::kCp, 0, kAny}, {P::kVendorId, 0, kAny}}},
  };
  return ladders;
}

const MessageShape* FindShape(std::string_view name) {
  for (const MessageShape& s : MessageShapes())
    if (s.name == name) return &s;
  return nullptr;
}

std::string Describe(const std::vector<Row>& rows) {
  std::string out;
  for (const Row& r : rows)
    out += PayloadTypeLabel(r.type) + " " + std::to_string(r.min) + ".." +
           (r.max == kAny ? std::string("many") : std::to_string(r.max)) + "; ";
  return out;
}

TEST(RulesAgainstRfc7296, EveryLadderMatchesItsShape) {
  for (const Ladder& ladder : Ladders()) {
    SCOPED_TRACE(std::string(ladder.shape) + " (" + std::string(ladder.section) + ")");
    const MessageShape* shape = FindShape(ladder.shape);
    ASSERT_NE(shape, nullptr) << "rules.cc has no shape for this ladder";
    EXPECT_EQ(shape->exchange, ladder.exchange);
    EXPECT_EQ(shape->response, ladder.response);
    EXPECT_EQ(shape->encrypted, ladder.encrypted);
    std::vector<Row> table;
    for (const PayloadRule& r : shape->rules) table.push_back({r.type, r.min, r.max == kMany ? kAny : r.max});
    const auto key = [](const std::vector<Row>& rows) {
      std::map<P, std::pair<int, int>> m;
      for (const Row& r : rows) m[r.type] = {r.min, r.max};
      return m;
    };
    EXPECT_EQ(key(table), key(ladder.payloads)) << "rules.cc: " << Describe(table)
                                                << "\nRFC:      " << Describe(ladder.payloads);
  }
}

// Every shape of an RFC 7296 exchange is pinned by a ladder above (the
// exchanges of RFC 9242 and RFC 9370 are not RFC 7296's to pin).
TEST(RulesAgainstRfc7296, EveryRfc7296ShapeHasALadder) {
  for (const MessageShape& s : MessageShapes()) {
    if (s.exchange != X::kIkeSaInit && s.exchange != X::kIkeAuth && s.exchange != X::kCreateChildSa &&
        s.exchange != X::kInformational)
      continue;
    const bool pinned = std::any_of(Ladders().begin(), Ladders().end(),
                                    [&](const Ladder& l) { return l.shape == s.name; });
    EXPECT_TRUE(pinned) << s.name;
  }
}

}  // namespace
}  // namespace ipsecref::ike
