// One protocol job of an IKE SA (strongSwan's sa/ikev2/tasks/ is the
// model): each task has the four steps of an exchange, initiator-build,
// responder-process, responder-build and initiator-process. The IKE SA
// (ike_sa.h) numbers, encrypts, sends, retransmits and routes the messages;
// a task only reads and writes payloads and changes the SAs.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "reference/base/result.h"
#include "reference/ike/sa/transitions.h"
#include "reference/ike/wire/message.h"

namespace ipsecref::ike::sa {

class IkeSa;

// What a responder sends back.
struct Response {
  std::vector<Payload> payloads;
  // False when the IKE SA ends once the response is sent (a refused
  // IKE_SA_INIT or a failed IKE_AUTH, §2.21).
  bool keep_ike_sa = true;
  // False when the response refuses the request (an error Notify), or when
  // its outcome is settled later (a collision): the rule's on_success does
  // not apply, its on_failure does.
  bool succeeded = true;
  // True when the exchange goes on with the peer's next request (the
  // IKE_AUTH rounds of EAP, RFC 7296 §2.16, and of RFC 4739): the same task
  // answers it, and the rule's outcome waits for the last response.
  bool more = false;
};

class Task {
 public:
  explicit Task(TaskKind kind) : kind_(kind) {}
  virtual ~Task() = default;
  TaskKind kind() const { return kind_; }
  const TaskRule& rule() const { return RuleOf(kind_); }

  // Initiator-build: the request's payloads.
  virtual Result<std::vector<Payload>> BuildI(IkeSa& sa) = 0;
  // Initiator-process: the response. kRetry sends the request again, built
  // anew (after N(COOKIE) or N(INVALID_KE_PAYLOAD), §2.6, §1.3); kContinue
  // sends the exchange's next request, which BuildI builds (the IKE_AUTH
  // rounds of EAP and RFC 4739), both before any other task. An error
  // fails the task (the rule's on_failure state).
  enum class Next : uint8_t { kDone, kRetry, kContinue };
  virtual Result<Next> ProcessI(IkeSa& sa, const Message& response) = 0;
  // Responder-process: the request. An error is answered with the Notify
  // NotifyFor() names (rules.h) and fails the task.
  virtual Status ProcessR(IkeSa& sa, const Message& request) = 0;
  // Responder-build: the response to what ProcessR accepted.
  virtual Result<Response> BuildR(IkeSa& sa) = 0;
  // The IKE SA gave up on the request (no response after the
  // retransmissions); the task undoes what it started.
  virtual void Abandon(IkeSa& /*sa*/) {}

 private:
  TaskKind kind_;
};

// Which task answers a request: by exchange and content (an SA payload for
// an IKE SA rekey, N(REKEY_SA), Delete payloads), as a table.
TaskKind ClassifyRequest(const Message& request);
std::unique_ptr<Task> MakeResponderTask(TaskKind kind);

// Initiator tasks, with what each needs to know.
std::unique_ptr<Task> MakeIkeInit();
std::unique_ptr<Task> MakeIkeAuth();
std::unique_ptr<Task> MakeChildCreate(size_t child_config);
std::unique_ptr<Task> MakeChildRekey(uint32_t spi_in);
std::unique_ptr<Task> MakeIkeRekey();
std::unique_ptr<Task> MakeChildDelete(uint32_t spi_in);
// The Delete of a CHILD SA the peer set up in answer to this end's request
// but this end refused (its answer did not fit the request): `spi_in` is
// the SPI this end offered, which the peer sends to.
std::unique_ptr<Task> MakeRefusedChildDelete(iana::SecurityProtocol protocol, uint32_t spi_in);
std::unique_ptr<Task> MakeIkeDelete();
std::unique_ptr<Task> MakeLiveness();

// A notification as a payload (§3.10): error notifies with no SPI unless given.
Payload NotifyPayloadOf(iana::NotifyType type, Bytes data = {}, iana::SecurityProtocol protocol = {},
                        Bytes spi = {});
// The first Notify of `type` among the message's visible payloads, or null.
const NotifyPayload* FindNotify(const Message& m, iana::NotifyType type);
// The first payload of `type` among the visible payloads, or null.
const Payload* FindPayload(const Message& m, iana::PayloadType type);
// The first error-type Notify (types below 16384, §3.10.1), if any.
const NotifyPayload* FindErrorNotify(const Message& m);
// The first Notify of an error type not in the IANA registry this end knows.
const NotifyPayload* FindUnrecognisedErrorNotify(const Message& m);

}  // namespace ipsecref::ike::sa
