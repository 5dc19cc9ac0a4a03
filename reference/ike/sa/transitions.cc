#include "reference/ike/sa/transitions.h"

#include <array>

#include "reference/base/enum_table.h"

namespace ipsecref::ike::sa {
namespace {

using S = IkeState;
using X = iana::ExchangeType;
using N = iana::NotifyType;

constexpr States kAfterAuth = {S::kEstablished, S::kRekeying, S::kRekeyed, S::kDeleting};

constexpr std::array<TaskRule, kTaskKindCount> kRules = {{
    //= rfc7296#section-1.2
    //# IKE_SA_INIT opens an IKE SA: a failure leaves nothing behind.
    {.kind = TaskKind::kIkeInit, .exchange = X::kIkeSaInit, .requirement = "rfc7296#section-1.2",
     .initiator_starts_in = {S::kCreated}, .responder_accepts_in = {S::kCreated}, .refusal = std::nullopt,
     .on_success = S::kConnecting, .on_failure = S::kDestroyed},
    //= rfc7296#section-2.21.2
    //# A failed IKE_AUTH (authentication, or an error that is not about the
    //# CHILD SA) ends the IKE SA; a CHILD SA error alone does not.
    {.kind = TaskKind::kIkeAuth, .exchange = X::kIkeAuth, .requirement = "rfc7296#section-1.2",
     .initiator_starts_in = {S::kConnecting}, .responder_accepts_in = {S::kConnecting}, .refusal = std::nullopt,
     .on_success = S::kEstablished, .on_failure = S::kDestroyed},
    //= rfc7296#section-2.25
    //# While the IKE SA is being rekeyed or deleted, a request for a new or
    //# rekeyed CHILD SA is answered with TEMPORARY_FAILURE.
    {.kind = TaskKind::kChildCreate, .exchange = X::kCreateChildSa, .requirement = "rfc7296#section-1.3.1",
     .initiator_starts_in = {S::kEstablished}, .responder_accepts_in = {S::kEstablished},
     .refusal = N::kTemporaryFailure, .on_success = std::nullopt, .on_failure = std::nullopt},
    {.kind = TaskKind::kChildRekey, .exchange = X::kCreateChildSa, .requirement = "rfc7296#section-1.3.3",
     .initiator_starts_in = {S::kEstablished}, .responder_accepts_in = {S::kEstablished},
     .refusal = N::kTemporaryFailure, .on_success = std::nullopt, .on_failure = std::nullopt},
    //= rfc7296#section-2.8.2
    //# Both ends may start an IKE SA rekey at once: a responder whose own
    //# rekey is outstanding still answers the peer's. A rekey that fails
    //# leaves the IKE SA as it was, unless the peer's crossing rekey
    //# completed (the task settles which: no on_failure state).
    {.kind = TaskKind::kIkeRekey, .exchange = X::kCreateChildSa, .requirement = "rfc7296#section-1.3.2",
     .initiator_starts_in = {S::kEstablished}, .responder_accepts_in = {S::kEstablished, S::kRekeying},
     .refusal = N::kTemporaryFailure, .on_success = S::kRekeyed, .on_failure = std::nullopt},
    {.kind = TaskKind::kChildDelete, .exchange = X::kInformational, .requirement = "rfc7296#section-1.4.1",
     .initiator_starts_in = {S::kEstablished, S::kRekeyed}, .responder_accepts_in = kAfterAuth,
     .refusal = std::nullopt, .on_success = std::nullopt, .on_failure = std::nullopt},
    //= rfc7296#section-1.4.1
    //# Deleting the IKE SA deletes its CHILD SAs; both ends forget the IKE SA
    //# once the exchange is done, or once the request goes unanswered.
    //= rfc7296#section-1.4
    //# INFORMATIONAL exchanges come only after the initial exchanges: one
    //# that arrives before IKE_AUTH completed is dropped unanswered (no
    //# refusal), and this end's waits until then.
    {.kind = TaskKind::kIkeDelete, .exchange = X::kInformational, .requirement = "rfc7296#section-1.4.1",
     .initiator_starts_in = kAfterAuth, .responder_accepts_in = kAfterAuth, .refusal = std::nullopt,
     .on_success = S::kDestroyed, .on_failure = S::kDestroyed},
    //= rfc7296#section-2.4
    //# An empty INFORMATIONAL request asks the peer whether it is alive; no
    //# answer after the retransmissions means it is dead.
    {.kind = TaskKind::kLiveness, .exchange = X::kInformational, .requirement = "rfc7296#section-2.4",
     .initiator_starts_in = kAfterAuth, .responder_accepts_in = kAfterAuth, .refusal = std::nullopt,
     .on_success = std::nullopt, .on_failure = S::kDestroyed},
}};
static_assert(RowsInEnumOrder(kRules, &TaskRule::kind), "kRules: one row per TaskKind, in enum order");

constexpr std::string_view kStateNames[] = {"CREATED", "CONNECTING", "ESTABLISHED", "REKEYING",
                                             "REKEYED", "DELETING",   "DESTROYED"};
static_assert(std::size(kStateNames) == kIkeStateCount);
constexpr std::string_view kTaskNames[] = {"IKE_INIT",     "IKE_AUTH",   "CHILD_CREATE", "CHILD_REKEY",
                                            "IKE_REKEY",    "CHILD_DELETE", "IKE_DELETE", "LIVENESS"};
static_assert(std::size(kTaskNames) == kTaskKindCount);

}  // namespace

std::string_view Name(IkeState state) { return kStateNames[static_cast<size_t>(state)]; }
std::string_view Name(TaskKind kind) { return kTaskNames[static_cast<size_t>(kind)]; }
std::span<const TaskRule> TaskRules() { return kRules; }
const TaskRule& RuleOf(TaskKind kind) { return kRules[static_cast<size_t>(kind)]; }

}  // namespace ipsecref::ike::sa
