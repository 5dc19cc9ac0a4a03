#include "reference/ike/sa/task.h"

#include <algorithm>
#include <array>

#include "reference/base/enum_table.h"

namespace ipsecref::ike::sa {

Payload NotifyPayloadOf(iana::NotifyType type, Bytes data, iana::SecurityProtocol protocol, Bytes spi) {
  Payload p;
  p.type = iana::PayloadType::kNotify;
  NotifyPayload n;
  //= rfc7296#section-3.10
  //# A notification about no particular SA carries Protocol ID 0 and SPI
  //# Size 0.
  n.protocol_id = static_cast<uint8_t>(protocol);
  n.spi = std::move(spi);
  n.notify_message_type = type;
  n.notification_data = std::move(data);
  p.body = std::move(n);
  return p;
}

const Payload* FindPayload(const Message& m, iana::PayloadType type) {
  for (const Payload* p : m.Visible())
    if (p->type == type) return p;
  return nullptr;
}

const NotifyPayload* FindNotify(const Message& m, iana::NotifyType type) {
  for (const Payload* p : m.Visible())
    if (const NotifyPayload* n = p->as<NotifyPayload>(); n != nullptr && n->notify_message_type == type) return n;
  return nullptr;
}

const NotifyPayload* FindErrorNotify(const Message& m) {
  //= rfc7296#section-3.10.1
  //# Notify Message Types below 16384 report errors; the others are status.
  for (const Payload* p : m.Visible())
    if (const NotifyPayload* n = p->as<NotifyPayload>();
        n != nullptr && static_cast<uint16_t>(n->notify_message_type) < 16384)
      return n;
  return nullptr;
}

const NotifyPayload* FindUnrecognisedErrorNotify(const Message& m) {
  for (const Payload* p : m.Visible()) {
    const NotifyPayload* n = p->as<NotifyPayload>();
    if (n == nullptr || !iana::IsError(n->notify_message_type)) continue;
    const auto known = iana::Registry<iana::NotifyType>();
    if (std::none_of(known.begin(), known.end(), [&](const auto& row) { return row.value == n->notify_message_type; }))
      return n;
  }
  return nullptr;
}

namespace {

bool HasSaFor(const Message& m, iana::SecurityProtocol protocol) {
  const Payload* p = FindPayload(m, iana::PayloadType::kSa);
  if (p == nullptr) return false;
  const SaPayload& sa = *p->as<SaPayload>();
  return !sa.proposals.empty() && sa.proposals.front().protocol_id == protocol;
}
bool HasDeleteFor(const Message& m, bool ike) {
  for (const Payload* p : m.Visible())
    if (const DeletePayload* d = p->as<DeletePayload>();
        d != nullptr && (d->protocol_id == iana::SecurityProtocol::kIke) == ike)
      return true;
  return false;
}

// How a request names its task: the first row whose exchange matches and
// whose test holds.
struct Classification {
  iana::ExchangeType exchange;
  bool (*holds)(const Message&);
  TaskKind kind;
};
//= rfc7296#section-1.3
//# A CREATE_CHILD_SA request rekeys the IKE SA when its SA payload
//# proposes an IKE SA, rekeys a CHILD SA when it carries N(REKEY_SA), and
//# creates a new CHILD SA otherwise.
//= rfc7296#section-1.4.1
//# An INFORMATIONAL request with a Delete of the IKE SA closes it; one with
//# Deletes of CHILD SAs closes those; an empty one checks liveness.
constexpr Classification kClassifications[] = {
    {iana::ExchangeType::kIkeSaInit, [](const Message&) { return true; }, TaskKind::kIkeInit},
    {iana::ExchangeType::kIkeAuth, [](const Message&) { return true; }, TaskKind::kIkeAuth},
    {iana::ExchangeType::kCreateChildSa,
     [](const Message& m) { return HasSaFor(m, iana::SecurityProtocol::kIke); }, TaskKind::kIkeRekey},
    {iana::ExchangeType::kCreateChildSa,
     [](const Message& m) { return FindNotify(m, iana::NotifyType::kRekeySa) != nullptr; }, TaskKind::kChildRekey},
    {iana::ExchangeType::kCreateChildSa, [](const Message&) { return true; }, TaskKind::kChildCreate},
    {iana::ExchangeType::kInformational, [](const Message& m) { return HasDeleteFor(m, true); }, TaskKind::kIkeDelete},
    {iana::ExchangeType::kInformational, [](const Message& m) { return HasDeleteFor(m, false); },
     TaskKind::kChildDelete},
    {iana::ExchangeType::kInformational, [](const Message&) { return true; }, TaskKind::kLiveness},
};

}  // namespace

TaskKind ClassifyRequest(const Message& request) {
  for (const Classification& c : kClassifications)
    if (c.exchange == request.header.exchange_type && c.holds(request)) return c.kind;
  // Validate() refuses other exchange types before a task is chosen.
  return TaskKind::kLiveness;
}

std::unique_ptr<Task> MakeResponderTask(TaskKind kind) {
  switch (kind) {
    case TaskKind::kIkeInit: return MakeIkeInit();
    case TaskKind::kIkeAuth: return MakeIkeAuth();
    case TaskKind::kChildCreate: return MakeChildCreate(0);
    case TaskKind::kChildRekey: return MakeChildRekey(0);
    case TaskKind::kIkeRekey: return MakeIkeRekey();
    case TaskKind::kChildDelete: return MakeChildDelete(0);
    case TaskKind::kIkeDelete: return MakeIkeDelete();
    case TaskKind::kLiveness: return MakeLiveness();
  }
  return MakeLiveness();
}

}  // namespace ipsecref::ike::sa
