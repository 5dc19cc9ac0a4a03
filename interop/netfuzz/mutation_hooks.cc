#include "interop/netfuzz/mutation_hooks.h"

#include <fmt/format.h>

#include <limits>
#include <map>
#include <memory>

#include "interop/deviations/deviations.h"
#include "interop/deviations/observe.h"
#include "interop/mutate/ike_mutator.h"
#include "reference/ike/sa/ike_sa.h"
#include "reference/ike/wire/payload.h"

namespace ipsecref::netfuzz {
namespace {

using iana::ExchangeType;

struct Pending {
  ExchangeType exchange = ExchangeType::kIkeSaInit;
  int operations = 1;
  Mutation done;
};

std::map<uint64_t, Pending>& Journal() {
  static std::map<uint64_t, Pending> journal;
  return journal;
}

// The mutator's choices of an iteration, apart from those of its plan.
constexpr uint64_t kMutationStream = 0x6d75746174696f6eull;  // "mutation"

class MutationHooks final : public ike::sa::Hooks {
 public:
  explicit MutationHooks(uint64_t seed) : seed_(seed), chooser_(seed ^ kMutationStream) {}

  void OnBuilt(const ike::sa::IkeSa& /*sa*/, ike::Message& m) override {
    Pending& p = Journal()[seed_];
    // The mutated message is encoded right after it is built (IkeSa's
    // Build): another message built first means it never was (an encoding
    // the reference refused).
    built_ = nullptr;
    if (chosen_ || m.header.response() || m.header.exchange_type != p.exchange) return;
    chosen_ = true;
    built_ = &m;
    Mutation& out = p.done;
    out.applied = true;
    out.exchange = m.header.exchange_type;
    out.message_id = m.header.message_id;
    // IKE_SA_INIT: its header too (the mutator's header operators). An
    // encrypted message: its plaintext payloads only, so that the tester
    // still protects it with the IKE SA's keys and Message ID.
    const bool init = m.header.exchange_type == ExchangeType::kIkeSaInit;
    std::vector<ike::Payload>& payloads = init ? m.payloads : m.inner;
    for (const mutate::Applied& a : init ? mutate::MutateMessage(m, chooser_, p.operations)
                                         : mutate::MutatePayloads(payloads, chooser_, p.operations))
      out.Add(a.op, a.what);
    out.payloads = deviations::DescribePayloads(payloads);
    for (const ike::Payload& q : payloads)
      out.critical_unknown = out.critical_unknown || (q.critical && !ike::IsKnownPayloadType(q.type));
  }

  void OnEncoded(const ike::sa::IkeSa& /*sa*/, const ike::Message& m, std::vector<Bytes>& datagrams) override {
    // The header may be mutated (IKE_SA_INIT): the message is told by its
    // identity, not by its exchange.
    if (&m != built_) return;
    built_ = nullptr;
    Pending& p = Journal()[seed_];
    Mutation& out = p.done;
    // IKE_SA_INIT goes out unprotected: its bytes as the mutator encodes
    // them, at times with one length left wrong on purpose.
    if (out.exchange == ExchangeType::kIkeSaInit && datagrams.size() == 1) {
      ike::Message copy = m;
      std::vector<mutate::Applied> applied;
      if (auto bytes = mutate::EncodeMutated(copy, chooser_, applied)) {
        datagrams.front() = std::move(*bytes);
        for (const mutate::Applied& a : applied) out.Add(a.op, a.what);
      }
    }
    // As sent (a mutated header's): the answer must name these.
    out.message_id = m.header.message_id;
    out.spi_i = m.header.spi_i;
    out.spi_r = m.header.spi_r;
    out.datagrams = datagrams;
  }

 private:
  uint64_t seed_;
  mutate::Chooser chooser_;
  bool chosen_ = false;
  const ike::Message* built_ = nullptr;
};

}  // namespace

Status RegisterMutateDeviation() {
  static bool registered = false;
  if (registered) return OkStatus();
  deviations::Deviation d{
      "mutate",
      deviations::Kind::kContent,
      "The first request of the planned exchange is mutated by interop/mutate/ (its plaintext payloads, before SK "
      "protection); SEED picks the operators (the network fuzzer's iteration seed).",
      {"SEED", 0, 0, std::numeric_limits<uint64_t>::max()},
      "the first request of the exchange `ipsecref fuzz` planned (IKE_SA_INIT by default)",
      "interop/netfuzz (fuzz/gateway, fuzz/negative-control)",
      [](const deviations::Target&, uint64_t seed) -> Result<deviations::Installed> {
        deviations::Installed i;
        i.hooks = std::make_unique<MutationHooks>(seed);
        return i;
      }};
  TRY(deviations::RegisterDeviation(std::move(d)));
  registered = true;
  return OkStatus();
}

void ExpectMutation(uint64_t seed, ExchangeType exchange, int operations) {
  Journal()[seed] = Pending{exchange, operations, {}};
}

Mutation TakeMutation(uint64_t seed) {
  auto it = Journal().find(seed);
  if (it == Journal().end()) return {};
  Mutation m = std::move(it->second.done);
  Journal().erase(it);
  return m;
}

}  // namespace ipsecref::netfuzz
