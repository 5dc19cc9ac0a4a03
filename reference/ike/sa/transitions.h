// The IKE SA's states and the protocol jobs (tasks) that move it between
// them, as one table (s2n's state_machine[] is the model): which exchange
// each task uses, in which states an initiator may start it and a responder
// accepts it, how a responder refuses it otherwise, and where the IKE SA
// goes when the task succeeds or fails. The state machine, the tests and the
// conformance report all read this table.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "reference/iana/ike.h"

namespace ipsecref::ike::sa {

enum class IkeState : uint8_t {
  kCreated,      // nothing sent or received yet
  kConnecting,   // IKE_SA_INIT done, IKE_AUTH not yet
  kEstablished,  // authenticated
  kRekeying,     // this end's IKE SA rekey request is outstanding
  kRekeyed,      // replaced by a new IKE SA; waiting for its deletion
  kDeleting,     // this end sent a Delete for the IKE SA
  kDestroyed,    // gone; the peer forgets it
};
inline constexpr size_t kIkeStateCount = 7;
std::string_view Name(IkeState state);

enum class TaskKind : uint8_t {
  kIkeInit,      // IKE_SA_INIT
  kIkeAuth,      // IKE_AUTH with the first CHILD SA
  kChildCreate,  // CREATE_CHILD_SA for a new CHILD SA
  kChildRekey,   // CREATE_CHILD_SA with N(REKEY_SA)
  kIkeRekey,     // CREATE_CHILD_SA with an IKE SA proposal
  kChildDelete,  // INFORMATIONAL with Delete(ESP/AH)
  kIkeDelete,    // INFORMATIONAL with Delete(IKE)
  kLiveness,     // an empty INFORMATIONAL
};
inline constexpr size_t kTaskKindCount = 8;
std::string_view Name(TaskKind kind);

// A set of states, one bit each.
struct States {
  uint8_t bits = 0;
  constexpr States(std::initializer_list<IkeState> states) {
    for (IkeState s : states) bits |= static_cast<uint8_t>(1u << static_cast<unsigned>(s));
  }
  constexpr bool Has(IkeState s) const { return (bits >> static_cast<unsigned>(s)) & 1u; }
};

struct TaskRule {
  TaskKind kind;
  iana::ExchangeType exchange;
  std::string_view requirement;  // where the RFC lays the exchange out
  States initiator_starts_in;    // a queued task waits until the IKE SA is in one of these
  States responder_accepts_in;   // a request in another state is refused
  // How a responder refuses the request outside those states; nullopt: the
  // request is dropped.
  std::optional<iana::NotifyType> refusal;
  // The IKE SA's state once the task completed (nullopt: unchanged), and
  // once it failed.
  std::optional<IkeState> on_success;
  std::optional<IkeState> on_failure;
};

// One row per TaskKind, in enum order.
std::span<const TaskRule> TaskRules();
const TaskRule& RuleOf(TaskKind kind);

}  // namespace ipsecref::ike::sa
