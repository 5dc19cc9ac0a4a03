// Which payloads each exchange carries, per direction (RFC 7296 §1.2-§1.5,
// §2.16, RFC 6023, RFC 9242, RFC 9370), as data; one validator reads the
// tables and answers with what a responder would send back.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "reference/ike/wire/message.h"

namespace ipsecref::ike {

inline constexpr uint8_t kMany = 255;

// One row: `type` appears between `min` and `max` times.
struct PayloadRule {
  iana::PayloadType type;
  uint8_t min;
  uint8_t max;
};

// One rank of an emit-order table (strongSwan's payload_order_t): payloads of
// `type` (of one Notify type when `notify` is set; any other Notify when it
// is not) go here.
struct PayloadOrder {
  iana::PayloadType type;
  std::optional<iana::NotifyType> notify;
};

// What the SA payload of a shape negotiates (RFC 7296 §1.3).
enum class SaKind : uint8_t { kAny, kIkeSa, kChildSa };

// One shape a message of an exchange and direction may take.
struct MessageShape {
  iana::ExchangeType exchange;
  bool response;
  std::string_view name;         // "IKE_AUTH request (EAP continuation)"
  std::string_view requirement;  // where the RFC lays the shape out
  //= rfc7296#section-3.14
  //# Every exchange after IKE_SA_INIT carries its payloads inside SK.
  bool encrypted;
  // The shape applies when this payload is present (kNone: always a
  // candidate); the first matching shape of an exchange/direction is used.
  iana::PayloadType selector;
  std::span<const PayloadRule> rules;
  // Payloads that come all together or not at all (SA, TSi, TSr of a CHILD SA).
  std::span<const iana::PayloadType> together;
  SaKind sa = SaKind::kAny;
  // The order a sender emits the payloads in (the RFC's message ladders).
  std::span<const PayloadOrder> order;
};

std::span<const MessageShape> MessageShapes();

// Puts `payloads` in the emit order of `shape`, for a sender building a
// message. Stable: payloads of one rank keep the caller's order; a payload
// the table does not list (unknown, SK) goes last.
//= ipsecref#choice
//# The encoder writes payloads in the caller's order, so that a decoded
//# message re-encodes byte for byte; ordering is this separate builder step,
//# and the validator does not flag an order the RFC does not require
//# (only N(COOKIE) first, §2.6, and SK last, §3.14).
void PutInEmitOrder(const MessageShape& shape, std::vector<Payload>& payloads);
// The shape a sender's `payloads` take in `exchange` (the first whose
// selector is among them, as Validate chooses), or null for an exchange
// the table does not hold.
const MessageShape* ShapeFor(iana::ExchangeType exchange, bool response, const std::vector<Payload>& payloads);

// A broken requirement and the Notify a responder would answer with
// (nullopt: the message is dropped without an answer).
struct Violation {
  Error error;
  std::optional<iana::NotifyType> notify;
};

// The Notify a responder answers `error` in a message of `exchange` with
// (§2.21): none for a response (responses are never answered), an
// integrity failure, or an IKE_SA_INIT request whose error is not one an
// unprotected response may carry (INVALID_SYNTAX, §3.10.1).
std::optional<iana::NotifyType> NotifyFor(const Error& error, bool response, iana::ExchangeType exchange);

struct Validation {
  const MessageShape* shape = nullptr;  // the shape the message was checked against
  std::vector<Violation> violations;
  bool ok() const { return violations.empty(); }
};

// Checks every visible payload's own rules, then the exchange's payload rules
// (counts, allowed payloads, plain or encrypted, unknown critical payloads,
// COOKIE first). When the message is still encrypted only the outer layer is
// checked.
Validation Validate(const Message& m);

}  // namespace ipsecref::ike
