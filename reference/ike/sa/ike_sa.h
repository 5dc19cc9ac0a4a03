// One IKE SA as an end of it sees it: its SPIs, keys and CHILD SAs, and the
// message machinery of RFC 7296 §2.1-§2.3 that every task shares: request
// Message IDs and the window, retransmission with back-off and the give-up,
// the cached response resent for a retransmitted request, SK protection and
// SKF fragments (RFC 7383). Which task answers a request, and what the tasks
// may do in each state, come from the table in transitions.h.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/ike/keymat/keymat.h"
#include "reference/ike/sa/child_sa.h"
#include "reference/ike/sa/config.h"
#include "reference/ike/sa/environment.h"
#include "reference/ike/sa/message_ids.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/sa/task.h"
#include "reference/ike/sa/transitions.h"
#include "reference/ike/wire/protection.h"

namespace ipsecref::ike::sa {

class Peer;
class Hooks;

// The end's role in the IKE SA: the original initiator sets the I flag in
// every message (§3.1), whoever starts a later exchange.
enum class Role : uint8_t { kInitiator, kResponder };

class IkeSa {
 public:
  IkeSa(Peer& peer, Role role, Endpoint local, Endpoint remote);
  ~IkeSa();
  IkeSa(const IkeSa&) = delete;
  IkeSa& operator=(const IkeSa&) = delete;

  Peer& peer() const { return peer_; }
  const IkeConfig& config() const;
  Environment env() const;
  Time now() const;
  Hooks& hooks() const;

  // --- What the IKE SA is (tasks read and write these) ---
  const Role role;
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  IkeState state = IkeState::kCreated;
  Endpoint local;
  Endpoint remote;
  IkeSuite suite{};
  keymat::IkeSaKeys keys;
  Bytes ni, nr;
  // The IKE_SA_INIT request and response as sent (RealMessage1 and 2, §2.15).
  Bytes init_request, init_response;
  //= rfc7296#section-2.23
  //# NAT detection: whether this end, or the peer, is behind a NAT; either
  //# moves the IKE SA to port 4500.
  bool nat_here = false;
  bool nat_there = false;
  bool peer_fragmentation = false;  // N(IKEV2_FRAGMENTATION_SUPPORTED) received
  bool peer_childless = false;      // N(CHILDLESS_IKEV2_SUPPORTED) received
  std::vector<iana::HashAlgorithm> peer_hash_algorithms;  // N(SIGNATURE_HASH_ALGORITHMS)
  uint32_t peer_window = 1;         // N(SET_WINDOW_SIZE) received
  bool peer_certreq = false;        // CERTREQ received: this end sends its certificates
  bool peer_multiple_auth = false;  // N(MULTIPLE_AUTH_SUPPORTED) received (RFC 4739)
  // Virtual IPs (§2.19): the addresses the peer assigned to this end, and
  // those this end leased to the peer from its pools, for `lease_identity`
  // (released when the IKE SA is destroyed, handed on when it is rekeyed).
  std::vector<Bytes> local_vips;
  std::vector<Bytes> dns_servers;  // INTERNAL_IP4_DNS / INTERNAL_IP6_DNS the peer handed out
  struct VipLease {
    std::shared_ptr<AddressPool> pool;
    Bytes address;
  };
  std::vector<VipLease> remote_vips;
  std::string lease_identity;
  std::vector<ChildSa> children;
  Time created_at = 0;
  Time established_at = 0;
  Time rekey_at = 0;
  Time last_heard = 0;
  // The IKE SA this one was rekeyed into or reauthenticated by (its local
  // SPI), or 0.
  uint64_t replaced_by = 0;
  // The IKE SA this one reauthenticates (its local SPI): deleted once this
  // one is established; 0 for none.
  uint64_t reauthenticates = 0;
  // The lowest nonce of the exchange that created the IKE SA (§2.8.2).
  Bytes lowest_nonce;
  // The IKE SA the peer's rekey of this one created (its local SPI), while
  // this end's own rekey was outstanding: a collision (§2.8.2).
  uint64_t peer_rekeyed_into = 0;
  // That IKE SA when the nonce rule named it redundant (§2.8.2): the peer
  // deletes it, or, should the peer never learn of it, this end does once
  // this IKE SA is gone.
  uint64_t peer_redundant = 0;

  // A responder's IKE SA not yet established (§2.6 counts these).
  bool HalfOpen() const;
  uint64_t local_spi() const { return role == Role::kInitiator ? spi_i : spi_r; }
  uint64_t remote_spi() const { return role == Role::kInitiator ? spi_r : spi_i; }
  // The IKE SA that holds this one's CHILD SAs now: this one, or the one
  // it was rekeyed (or reauthenticated) into.
  IkeSa& ChildHolder();
  // CHILD SAs are looked up here and in ChildHolder().
  ChildSa* FindChildByInbound(uint32_t spi_in);
  ChildSa* FindChildByOutbound(uint32_t spi_out);
  // Crossing CHILD SA rekeys (§2.8.1): the CHILD SA the peer's rekey of
  // `old_spi_in` created while this end's own rekey of it was outstanding;
  // Take returns it (0 if none) and forgets it.
  // SPIs the peer deleted before this end knew them: the answer to this
  // end's CHILD SA exchange that creates them is still on its way.
  std::vector<uint32_t> deleted_before_known;
  // The lowest nonce of that exchange is kept with it: the peer may have
  // deleted or rekeyed the CHILD SA by the time this end's answer comes.
  struct CrossedRekey {
    uint32_t successor_spi_in = 0;  // 0: none
    Bytes lowest_nonce;
  };
  void RecordCrossedRekey(uint32_t old_spi_in, uint32_t successor_spi_in, Bytes lowest_nonce) {
    crossed_rekeys_[old_spi_in] = CrossedRekey{successor_spi_in, std::move(lowest_nonce)};
  }
  CrossedRekey TakeCrossedRekey(uint32_t old_spi_in) {
    auto it = crossed_rekeys_.find(old_spi_in);
    if (it == crossed_rekeys_.end()) return {};
    CrossedRekey crossed = std::move(it->second);
    crossed_rekeys_.erase(it);
    return crossed;
  }
  void RemoveChild(uint32_t spi_in);

  // Installs the IKE SA's keys: every message after IKE_SA_INIT is
  // protected with them.
  Status InstallKeys(const IkeSuite& suite, keymat::IkeSaKeys keys);
  bool has_keys() const { return protection_ != nullptr; }

  // --- Messages ---
  // Queues a task this end starts; it is sent once the state allows it
  // (TaskRule::initiator_starts_in) and the peer's window has room.
  void Queue(std::unique_ptr<Task> task);
  // Whether a task of `kind` is queued or outstanding; outstanding only.
  bool HasTask(TaskKind kind) const;
  bool HasOutstanding(TaskKind kind) const;
  // Hands this IKE SA's CHILD SAs to `to`, the IKE SA that replaces it, with
  // the queued tasks (not sent yet) other than an IKE SA rekey.
  void HandOver(IkeSa& to);
  // The outstanding or queued tasks, for collision handling.
  template <typename F>
  void ForEachTask(F f) const {
    for (const auto& [id, o] : outstanding_) f(*o.task);
    for (const auto& t : queued_) f(*t);
  }
  // A datagram for this IKE SA; `message` is the IKE message (no marker).
  void Receive(const Datagram& datagram, ByteSpan message);
  // Retransmissions, timeouts, rekeying and liveness due by now.
  void Tick();
  std::optional<Time> NextDeadline() const;
  // Ends the IKE SA at once (no exchange), with a reason for the log; its
  // outstanding and queued tasks are abandoned.
  void Destroy(std::string_view reason);
  // Moves to `next` (DESTROYED through Destroy); nothing once destroyed.
  void MoveTo(IkeState next, std::string_view reason);

  void Log(std::string_view text) const;
  // A random part of the configured rekey jitter, taken off a rekey time.
  Time RekeyJitter(Time rekey_time) const;

  // Sends a first IKE_SA_INIT request again from scratch (retry after
  // COOKIE or INVALID_KE_PAYLOAD): Message ID 0 is used once more.
  void RestartRequestIds() { next_request_id_ = 0; }

 private:
  struct Outstanding {
    std::unique_ptr<Task> task;
    std::vector<Bytes> datagrams;  // as sent, for retransmission
    unsigned retransmits = 0;
    Time deadline = 0;
  };

  void StartQueued();
  Status SendRequest(std::unique_ptr<Task> task);
  Result<std::vector<Bytes>> Build(iana::ExchangeType exchange, bool response, uint32_t message_id,
                                   std::vector<Payload> payloads);
  Result<std::vector<Bytes>> Fragment(Message& m, const SkCrypter::ProtectOptions& options);
  void Transmit(const std::vector<Bytes>& messages) const;  // from local to remote
  void Transmit(const std::vector<Bytes>& messages, const Endpoint& from, const Endpoint& to) const;
  void HandleRequest(const Datagram& datagram, ByteSpan message, const Header& header);
  void HandleResponse(ByteSpan message, const Header& header);
  // Decodes and, past IKE_SA_INIT, decrypts; nullopt when the message is
  // dropped or (SKF) incomplete.
  std::optional<Message> Open(ByteSpan message);
  void Respond(uint32_t message_id, iana::ExchangeType exchange, Response response);
  void Fail(std::unique_ptr<Task> task, const Error& error);
  void Succeed(const Task& task);
  void TimersTick();

  Peer& peer_;
  std::unique_ptr<MessageProtection> protection_;
  uint32_t next_request_id_ = 0;
  // The peer's requests: which the window takes, and the responses cached
  // for the last window of them (§2.3).
  ResponderWindow peer_requests_;
  std::map<uint32_t, std::vector<Bytes>> responses_;
  std::map<uint32_t, Outstanding> outstanding_;
  std::deque<std::unique_ptr<Task>> queued_;
  // The responder task whose exchange goes on (Response::more).
  std::unique_ptr<Task> continuing_;
  std::map<uint32_t, CrossedRekey> crossed_rekeys_;
  bool linger_ = false;  // deleted by the peer, waiting for this end's rekey answer
};

}  // namespace ipsecref::ike::sa
