#include "reference/ike/sa/ike_sa.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "reference/ike/sa/hooks.h"
#include "reference/ike/sa/peer.h"
#include "reference/ike/wire/rules.h"

namespace ipsecref::ike::sa {

Time RetransmitSchedule::Delay(unsigned retransmission) const {
  return static_cast<Time>(static_cast<double>(timeout) * std::pow(base, retransmission));
}

IkeSa::IkeSa(Peer& peer, Role role_in, Endpoint local_in, Endpoint remote_in)
    : role(role_in), local(std::move(local_in)), remote(std::move(remote_in)), peer_(peer) {
  created_at = last_heard = now();
}

Time IkeSa::RekeyJitter(Time rekey_time) const {
  //= ipsecref#choice
  //# The jitter takes at most half the rekey time off.
  const Time jitter = std::min(config().rekey_jitter, rekey_time / 2);
  if (jitter == 0) return 0;
  uint8_t b[4];
  env().rng->Fill(b);
  return LoadU32(b) % (jitter + 1);
}
IkeSa::~IkeSa() = default;

bool IkeSa::HalfOpen() const {
  return role == Role::kResponder && (state == IkeState::kCreated || state == IkeState::kConnecting);
}

const IkeConfig& IkeSa::config() const { return peer_.config(); }
Environment IkeSa::env() const { return peer_.env(); }
Time IkeSa::now() const { return peer_.env().clock->Now(); }
Hooks& IkeSa::hooks() const { return peer_.hooks(); }

void IkeSa::Log(std::string_view text) const {
  peer_.Log(fmt::format("IKE SA {:016x}_i {:016x}_r: {}", spi_i, spi_r, text), local_spi());
}

IkeSa& IkeSa::ChildHolder() {
  IkeSa* holder = this;
  //= ipsecref#choice
  //# A chain of rekeys is followed a few links deep at most; an IKE SA is
  //# deleted soon after it was rekeyed.
  for (int hops = 0; hops < 8 && holder->replaced_by != 0; ++hops) {
    IkeSa* next = peer_.Find(holder->replaced_by);
    if (next == nullptr) break;
    holder = next;
  }
  return *holder;
}

namespace {
template <typename Match>
ChildSa* FindChild(IkeSa& sa, IkeSa& holder, Match match) {
  for (IkeSa* s : {&sa, &holder})
    for (ChildSa& c : s->children)
      if (match(c)) return &c;
  return nullptr;
}
}  // namespace

//= rfc7296#section-2.18
//# The CHILD SAs move to the new IKE SA when the IKE SA is rekeyed; an
//# exchange still under way on the old one finds them there.
ChildSa* IkeSa::FindChildByInbound(uint32_t spi_in) {
  return FindChild(*this, ChildHolder(), [&](const ChildSa& c) { return c.spi_in == spi_in; });
}
ChildSa* IkeSa::FindChildByOutbound(uint32_t spi_out) {
  return FindChild(*this, ChildHolder(), [&](const ChildSa& c) { return c.spi_out == spi_out; });
}
void IkeSa::RemoveChild(uint32_t spi_in) {
  for (IkeSa* s : {this, &ChildHolder()})
    std::erase_if(s->children, [&](const ChildSa& c) { return c.spi_in == spi_in; });
}

Status IkeSa::InstallKeys(const IkeSuite& s, keymat::IkeSaKeys k) {
  MessageKeys mk;
  mk.initiator = SkKeys{s.encr, s.encr_key_bits, s.integ, k.sk_ei, k.sk_ai};
  mk.responder = SkKeys{s.encr, s.encr_key_bits, s.integ, k.sk_er, k.sk_ar};
  TRY_ASSIGN(protection_, MessageProtection::Create(mk, env().rng));
  suite = s;
  keys = std::move(k);
  return OkStatus();
}

void IkeSa::MoveTo(IkeState next, std::string_view reason) {
  if (state == IkeState::kDestroyed) return;
  if (next == IkeState::kDestroyed)
    Destroy(reason);
  else
    state = next;
}

void IkeSa::Destroy(std::string_view reason) {
  if (state == IkeState::kDestroyed) return;
  state = IkeState::kDestroyed;
  Log(fmt::format("destroyed: {}", reason));
  for (const VipLease& v : remote_vips) v.pool->Release(lease_identity, v.address);
  remote_vips.clear();
  // Exchanges still under way end with it: each task undoes what it began
  // (a CHILD SA moved to the IKE SA that replaced this one carries on there).
  std::map<uint32_t, Outstanding> outstanding = std::move(outstanding_);
  std::deque<std::unique_ptr<Task>> queued = std::move(queued_);
  outstanding_.clear();
  queued_.clear();
  for (auto& [id, o] : outstanding) o.task->Abandon(*this);
  for (auto& task : queued) task->Abandon(*this);
  //= rfc7296#section-2.8.2
  //# The redundant IKE SA of a simultaneous rekey is the peer's to delete;
  //= ipsecref#choice
  //# but once the old IKE SA is gone the peer may never get the answer to
  //# its rekey (lost, and no longer resent: the old IKE SA answers no
  //# retransmission), so never learn of that IKE SA: this end deletes it
  //# then, unless it is going already. Should the peer delete it too, the
  //# two Deletes cross, which §1.4.1 settles.
  if (peer_redundant != 0)
    if (IkeSa* redundant = peer_.Find(peer_redundant);
        redundant != nullptr && redundant->state == IkeState::kEstablished &&
        !redundant->HasOutstanding(TaskKind::kIkeDelete))
      redundant->Queue(MakeIkeDelete());
}

// ---------------------------------------------------------------------------
// Sending

void IkeSa::Queue(std::unique_ptr<Task> task) {
  queued_.push_back(std::move(task));
  StartQueued();
}

bool IkeSa::HasTask(TaskKind kind) const {
  bool found = false;
  ForEachTask([&](const Task& t) { found = found || t.kind() == kind; });
  return found;
}

bool IkeSa::HasOutstanding(TaskKind kind) const {
  for (const auto& [id, o] : outstanding_)
    if (o.task->kind() == kind) return true;
  return false;
}

//= rfc7296#section-2.18
//# The CHILD SAs of the old IKE SA move to the new one.
void IkeSa::HandOver(IkeSa& to) {
  for (ChildSa& c : children) to.children.push_back(std::move(c));
  children.clear();
  //= rfc7296#section-2.8
  //# The new IKE SA takes over the old one's state: the virtual IPs leased
  //# to the peer stay leased under it.
  for (VipLease& v : remote_vips) to.remote_vips.push_back(std::move(v));
  remote_vips.clear();
  to.local_vips = local_vips;
  to.lease_identity = lease_identity;
  replaced_by = to.local_spi();
  //= ipsecref#choice
  //# What was queued and not yet sent goes to the new IKE SA, an IKE SA
  //# Delete too: it was asked of the IKE SA as a whole (an operator's
  //# delete, a reauthentication's), and on the old one it would end the
  //# IKE SA under a peer whose rekey answer may still be on its way. A
  //# queued rekey stays: the rekey just done replaces it.
  std::deque<std::unique_ptr<Task>> keep;
  for (auto& task : queued_) {
    if (task->kind() == TaskKind::kIkeRekey)
      keep.push_back(std::move(task));
    else
      to.Queue(std::move(task));
  }
  queued_ = std::move(keep);
  to.crossed_rekeys_.merge(crossed_rekeys_);
}

void IkeSa::StartQueued() {
  //= rfc7296#section-2.3
  //# An end keeps no more requests outstanding than the peer's window
  //# allows (1 until the peer sent SET_WINDOW_SIZE).
  while (state != IkeState::kDestroyed && outstanding_.size() < peer_window) {
    //= ipsecref#choice
    //# Exchanges that change the IKE SA itself (IKE_SA_INIT, IKE_AUTH) run
    //# alone: the next one is built from what the previous one established.
    if (!outstanding_.empty() && (state == IkeState::kCreated || state == IkeState::kConnecting)) return;
    // The first queued task the state allows; one that must wait (a CHILD
    // SA task while the IKE SA is rekeyed) does not hold up the others.
    auto next = std::find_if(queued_.begin(), queued_.end(),
                             [&](const auto& t) { return t->rule().initiator_starts_in.Has(state); });
    if (next == queued_.end()) return;
    std::unique_ptr<Task> task = std::move(*next);
    queued_.erase(next);
    if (Status s = SendRequest(std::move(task)); !s) Log(fmt::format("request not sent: {}", s.error().ToString()));
  }
}

Status IkeSa::SendRequest(std::unique_ptr<Task> task) {
  auto payloads = task->BuildI(*this);
  if (!payloads) {
    Fail(std::move(task), payloads.error());
    return OkStatus();
  }
  const uint32_t id = next_request_id_;
  TRY_ASSIGN(std::vector<Bytes> datagrams, Build(task->rule().exchange, false, id, std::move(*payloads)));
  next_request_id_ = id + 1;
  //= rfc7296#section-2.15
  //# AUTH covers the IKE_SA_INIT messages exactly as they were sent.
  if (task->rule().exchange == iana::ExchangeType::kIkeSaInit) init_request = datagrams.front();
  Transmit(datagrams);
  Outstanding o;
  o.task = std::move(task);
  o.datagrams = std::move(datagrams);
  o.deadline = now() + config().retransmit.Delay(0);
  outstanding_[id] = std::move(o);
  return OkStatus();
}

Result<std::vector<Bytes>> IkeSa::Build(iana::ExchangeType exchange, bool response, uint32_t message_id,
                                        std::vector<Payload> payloads) {
  Message m;
  m.header.spi_i = spi_i;
  m.header.spi_r = spi_r;
  m.header.exchange_type = exchange;
  m.header.message_id = message_id;
  //= rfc7296#section-3.1
  //# The I flag is set by the original initiator in every message it sends;
  //# the R flag marks a response.
  m.header.flags = static_cast<uint8_t>((role == Role::kInitiator ? kFlagInitiator : 0) |
                                        (response ? kFlagResponse : 0));
  if (const MessageShape* shape = ShapeFor(exchange, response, payloads)) PutInEmitOrder(*shape, payloads);
  std::vector<Bytes> datagrams;
  if (exchange == iana::ExchangeType::kIkeSaInit) {
    m.payloads = std::move(payloads);
    hooks().OnBuilt(*this, m);
    TRY(Finalize(m));
    TRY_ASSIGN(Bytes bytes, Encode(m));
    datagrams.push_back(std::move(bytes));
  } else {
    ENSURE(protection_ != nullptr, kInvalidArgument, kNoOffset, "rfc7296#section-3.14",
           "no keys to protect the message with");
    m.inner = std::move(payloads);
    hooks().OnBuilt(*this, m);
    SkCrypter::ProtectOptions options;
    hooks().OnProtect(*this, m, options);
    TRY_ASSIGN(Bytes bytes, protection_->Encrypt(m, options));
    //= rfc7383#section-2.5.1
    //# Once both ends announced support, a message whose IP datagram would
    //# exceed the MTU is sent as SKF fragments instead.
    const size_t overhead = (local.address.size() == 16 ? 40 : 20) + 8 +
                            (local.port == kNatTraversalPort ? kNonEspMarkerSize : 0);
    if (config().fragmentation && peer_fragmentation && bytes.size() + overhead > config().fragment_mtu) {
      TRY_ASSIGN(datagrams, Fragment(m, options));
    } else {
      datagrams.push_back(std::move(bytes));
    }
  }
  hooks().OnEncoded(*this, m, datagrams);
  return datagrams;
}

Result<std::vector<Bytes>> IkeSa::Fragment(Message& m, const SkCrypter::ProtectOptions& options) {
  const size_t overhead = (local.address.size() == 16 ? 40 : 20) + 8 + (local.port == kNatTraversalPort ? kNonEspMarkerSize : 0);
  ENSURE(config().fragment_mtu > overhead, kInvalidArgument, kNoOffset, "rfc7383#section-2.5.1",
         fmt::format("fragment MTU {} leaves no room for a fragment", config().fragment_mtu));
  return protection_->EncryptFragments(m, config().fragment_mtu - overhead, options);
}

void IkeSa::Transmit(const std::vector<Bytes>& messages) const { Transmit(messages, local, remote); }

void IkeSa::Transmit(const std::vector<Bytes>& messages, const Endpoint& from, const Endpoint& to) const {
  for (const Bytes& message : messages) {
    Datagram d{from, to, {}};
    if (from.port == kNatTraversalPort) d.data.assign(kNonEspMarkerSize, 0);
    d.data.insert(d.data.end(), message.begin(), message.end());
    env().transport->Send(std::move(d));
  }
}

// ---------------------------------------------------------------------------
// Receiving

std::optional<Message> IkeSa::Open(ByteSpan message) {
  auto m = Decode(message);
  if (!m) {
    Log(fmt::format("dropped an undecodable message: {}", m.error().ToString()));
    return std::nullopt;
  }
  const Payload* enc = m->Encrypted();
  //= rfc7296#section-1.5
  //# Once an IKE SA has keys, only messages inside SK belong to it: an
  //# unprotected notification could come from anyone and is not trusted
  //# to change state (it is logged and dropped).
  if (enc == nullptr && protection_ != nullptr && m->header.exchange_type != iana::ExchangeType::kIkeSaInit) {
    Log(fmt::format("dropped an unprotected {}", Describe(m->header)));
    return std::nullopt;
  }
  if (enc == nullptr) return std::move(*m);
  if (protection_ == nullptr) {
    Log("dropped an encrypted message: no keys yet");
    return std::nullopt;
  }
  //= rfc7296#section-2.21.2
  //# A message whose integrity check fails is dropped silently, without an
  //# answer and without changing any state.
  if (enc->type == iana::PayloadType::kSk) {
    if (Status s = protection_->Decrypt(*m, message); !s) {
      Log(fmt::format("dropped a message that does not verify: {}", s.error().ToString()));
      return std::nullopt;
    }
    return std::move(*m);
  }
  auto outcome = protection_->DecryptFragment(*m, message);
  if (!outcome) {
    Log(fmt::format("dropped a fragment: {}", outcome.error().ToString()));
    return std::nullopt;
  }
  if (*outcome != SkfReassembler::Outcome::kComplete) return std::nullopt;
  return std::move(*m);
}

void IkeSa::Receive(const Datagram& datagram, ByteSpan message) {
  const std::optional<Header> h = PeekHeader(message);
  if (!h || state == IkeState::kDestroyed) return;
  if (h->response())
    HandleResponse(message, *h);
  else
    HandleRequest(datagram, message, *h);
  if (linger_ && outstanding_.empty()) Destroy("deleted by the peer");
  StartQueued();
}

void IkeSa::HandleRequest(const Datagram& datagram, ByteSpan message, const Header& h) {
  //= rfc7296#section-2.1
  //# A request the responder already answered is answered again with the
  //# same response, byte for byte; one older than the window is dropped.
  if (auto cached = responses_.find(h.message_id); cached != responses_.end()) {
    const std::optional<uint16_t> fragment = PeekFragmentNumber(message);
    if (!fragment || *fragment == 1) {
      //= rfc7296#section-2.11
      //# The response goes back to the address and port the request came
      //# from (a NAT may have given the retransmission a new port), from
      //# the address and port it came to.
      Log(fmt::format("request {} again: its response resent", h.message_id));
      Transmit(cached->second, datagram.destination, datagram.source);
    }
    return;
  }
  //= rfc7296#section-2.3
  //# A responder takes requests up to its window beyond the lowest one it
  //# has not answered; others are dropped.
  if (!peer_requests_.Accepts(h.message_id, config().window_size)) {
    Log(fmt::format("dropped request {}: outside the window (lowest unanswered {})", h.message_id,
                    peer_requests_.expected()));
    return;
  }
  std::optional<Message> m = Open(message);
  if (!m) return;
  last_heard = now();
  //= rfc7296#section-2.11
  //# A responder answers to the address and port the request came from,
  //# from the address and port it came to (a NAT may have changed either);
  //# the request authenticated before this end follows it.
  remote = datagram.source;
  local = datagram.destination;
  const TaskKind kind = ClassifyRequest(*m);
  const TaskRule& rule = RuleOf(kind);
  const Validation v = Validate(*m);
  // A KE payload of a group the SA payload does not propose is the task's
  // to answer: INVALID_KE_PAYLOAD carries the group wanted (§1.3).
  const auto fatal = std::find_if(v.violations.begin(), v.violations.end(), [](const Violation& violation) {
    return violation.notify != iana::NotifyType::kInvalidKePayload;
  });
  //= rfc7296#section-2.21.1
  //# An IKE_SA_INIT request refused without an answer (its error is not one
  //# an unprotected response may carry, §3.10.1) leaves no state: the
  //# half-open IKE SA made for it goes too.
  const auto drop = [&] {
    if (h.exchange_type == iana::ExchangeType::kIkeSaInit && state == IkeState::kCreated)
      Destroy(fmt::format("IKE_SA_INIT request {} dropped", h.message_id));
  };
  if (fatal != v.violations.end()) {
    Log(fmt::format("request {} breaks a rule: {}", h.message_id, fatal->error.ToString()));
    if (!fatal->notify) {
      drop();
      return;
    }
    Response r;
    Bytes data;
    //= rfc7296#section-3.10.1
    //# UNSUPPORTED_CRITICAL_PAYLOAD names the payload type in one octet.
    if (*fatal->notify == iana::NotifyType::kUnsupportedCriticalPayload) {
      for (const Payload* p : m->Visible())
        if (p->critical && !IsKnownPayloadType(p->type)) {
          data.push_back(static_cast<uint8_t>(p->type));
          break;
        }
    }
    r.payloads.push_back(NotifyPayloadOf(*fatal->notify, std::move(data)));
    //= rfc7296#section-2.21.2
    //# A refused IKE_SA_INIT or IKE_AUTH request leaves no IKE SA behind.
    r.keep_ike_sa = rule.on_failure != IkeState::kDestroyed;
    Respond(h.message_id, h.exchange_type, std::move(r));
    return;
  }
  if (!rule.responder_accepts_in.Has(state)) {
    Log(fmt::format("{} request in state {} refused", Name(kind), Name(state)));
    if (!rule.refusal) return;
    Respond(h.message_id, h.exchange_type, Response{{NotifyPayloadOf(*rule.refusal)}, true});
    return;
  }
  if (h.exchange_type == iana::ExchangeType::kIkeSaInit) init_request.assign(message.begin(), message.end());
  // A responder task whose exchange goes on over several requests (the
  // IKE_AUTH rounds of EAP, §2.16, and RFC 4739) answers the next one too.
  std::unique_ptr<Task> task =
      continuing_ && continuing_->kind() == kind ? std::move(continuing_) : MakeResponderTask(kind);
  continuing_.reset();
  if (Status s = task->ProcessR(*this, *m); !s) {
    Log(fmt::format("{} request failed: {}", Name(kind), s.error().ToString()));
    const std::optional<iana::NotifyType> notify = NotifyFor(s.error(), false, h.exchange_type);
    if (!notify && h.exchange_type == iana::ExchangeType::kIkeSaInit) {
      drop();
      return;
    }
    Response r;
    if (notify) r.payloads.push_back(NotifyPayloadOf(*notify));
    r.keep_ike_sa = !rule.on_failure || *rule.on_failure != IkeState::kDestroyed;
    Respond(h.message_id, h.exchange_type, std::move(r));
    if (rule.on_failure) MoveTo(*rule.on_failure, fmt::format("{} failed", Name(kind)));
    return;
  }
  auto response = task->BuildR(*this);
  if (!response) {
    Log(fmt::format("{} response not built: {}", Name(kind), response.error().ToString()));
    const std::optional<iana::NotifyType> notify = NotifyFor(response.error(), false, h.exchange_type);
    if (!notify && h.exchange_type == iana::ExchangeType::kIkeSaInit) {
      drop();
      return;
    }
    Respond(h.message_id, h.exchange_type, Response{notify ? std::vector{NotifyPayloadOf(*notify)} : std::vector<Payload>{},
                                                      rule.on_failure != IkeState::kDestroyed});
    return;
  }
  const bool keep = response->keep_ike_sa;
  const bool succeeded = response->succeeded;
  const bool more = response->more;
  Respond(h.message_id, h.exchange_type, std::move(*response));
  if (keep && more) {
    continuing_ = std::move(task);
  } else if (!keep) {
    if (state != IkeState::kDestroyed) Destroy(fmt::format("{} answered with an error", Name(kind)));
  } else if (succeeded) {
    Succeed(*task);
  } else if (rule.on_failure) {
    MoveTo(*rule.on_failure, fmt::format("{} refused", Name(kind)));
  }
}

void IkeSa::Respond(uint32_t message_id, iana::ExchangeType exchange, Response response) {
  if (state == IkeState::kDestroyed) return;
  auto datagrams = Build(exchange, true, message_id, std::move(response.payloads));
  if (!datagrams) {
    Log(fmt::format("response {} not built: {}", message_id, datagrams.error().ToString()));
    return;
  }
  if (exchange == iana::ExchangeType::kIkeSaInit) init_response = datagrams->front();
  peer_requests_.Answered(message_id);
  Transmit(*datagrams);
  responses_[message_id] = std::move(*datagrams);
  //= ipsecref#choice
  //# Responses are cached for the last `window_size` requests: older ones
  //# can no longer be retransmitted to us (§2.3).
  while (responses_.size() > config().window_size) responses_.erase(responses_.begin());
  if (!response.keep_ike_sa) Destroy("the response ends the IKE SA");
}

void IkeSa::HandleResponse(ByteSpan message, const Header& h) {
  auto it = outstanding_.find(h.message_id);
  //= rfc7296#section-2.2
  //# A response is matched to an outstanding request by its Message ID; one
  //# that matches none is dropped.
  if (it == outstanding_.end()) {
    Log(fmt::format("dropped response {}: no such request outstanding", h.message_id));
    return;
  }
  std::optional<Message> m = Open(message);
  if (!m) return;
  last_heard = now();
  std::unique_ptr<Task> task = std::move(it->second.task);
  outstanding_.erase(it);
  if (h.exchange_type == iana::ExchangeType::kIkeSaInit) init_response.assign(message.begin(), message.end());
  const Validation v = Validate(*m);
  //= rfc7296#section-2.21
  //# A response is never answered: a malformed one fails the exchange.
  if (!v.ok() && !FindErrorNotify(*m)) {
    Fail(std::move(task), v.violations.front().error);
    return;
  }
  auto next = task->ProcessI(*this, *m);
  if (!next) {
    Fail(std::move(task), next.error());
    return;
  }
  if (*next == Task::Next::kRetry || *next == Task::Next::kContinue) {
    queued_.push_front(std::move(task));
    return;
  }
  Succeed(*task);
}

void IkeSa::Succeed(const Task& task) {
  const TaskRule& rule = task.rule();
  if (rule.on_success == IkeState::kDestroyed && HasOutstanding(TaskKind::kIkeRekey)) {
    //= rfc7296#section-2.25.2
    //# A peer that deletes an IKE SA this end is rekeying gets its answer as
    //# usual.
    //= ipsecref#choice
    //# The IKE SA then lingers, DELETING, until its own rekey request is
    //# answered or given up: in a crossing rekey the answer tells which new
    //# IKE SA the nonce rule keeps and whether this end must delete the one
    //# it created (§2.8.2).
    state = IkeState::kDeleting;
    linger_ = true;
    Log("deleted by the peer; waiting for the answer to this end's rekey");
    //= rfc7296#section-2.8.2
    //# The end whose new IKE SA survives deletes the old one: a peer whose
    //# rekey this end answered deletes the old IKE SA only once that rekey
    //# stands, so the CHILD SAs go to the peer's new IKE SA now, whatever
    //# becomes of this end's own rekey (its answer may never come).
    if (IkeSa* theirs = peer_rekeyed_into != 0 ? peer_.Find(peer_rekeyed_into) : nullptr) HandOver(*theirs);
    return;
  }
  if (rule.on_success) MoveTo(*rule.on_success, fmt::format("{} completed", Name(task.kind())));
  if (state == IkeState::kEstablished && established_at == 0) {
    established_at = now();
    if (config().rekey_time != 0) rekey_at = established_at + config().rekey_time - RekeyJitter(config().rekey_time);
    Log("ESTABLISHED");
    if (reauthenticates != 0) {
      //= rfc7296#section-2.8.3
      //# Reauthentication builds a new IKE SA from scratch and then deletes
      //# the old one (make before break).
      if (IkeSa* old = peer_.Find(reauthenticates)) {
        old->replaced_by = local_spi();
        // The CHILD SAs of other configurations than the one IKE_AUTH set
        // up are created anew on this IKE SA.
        for (size_t c = 1; c < config().children.size(); ++c)
          for (const ChildSa& child : old->children)
            if (child.config_name == config().children[c].name) {
              Queue(MakeChildCreate(c));
              break;
            }
        old->Queue(MakeIkeDelete());
      }
      reauthenticates = 0;
    }
  }
}

void IkeSa::Fail(std::unique_ptr<Task> task, const Error& error) {
  Log(fmt::format("{} failed: {}", Name(task->kind()), error.ToString()));
  task->Abandon(*this);
  const TaskRule& rule = task->rule();
  if (!rule.on_failure) return;
  MoveTo(*rule.on_failure, fmt::format("{} failed", Name(task->kind())));
}

// ---------------------------------------------------------------------------
// Timers

std::optional<Time> IkeSa::NextDeadline() const {
  std::optional<Time> next;
  const auto consider = [&](Time t) {
    if (t != 0 && (!next || t < *next)) next = t;
  };
  for (const auto& [id, o] : outstanding_) consider(o.deadline);
  //= ipsecref#choice
  //# A responder gives up an IKE SA that is not established within
  //# half_open_timeout of its creation (strongSwan's half_open_timeout,
  //# 30 s); an initiator gives up by its retransmission schedule.
  if (HalfOpen()) consider(created_at + config().half_open_timeout);
  if (state == IkeState::kEstablished) {
    consider(rekey_at);
    if (config().liveness_delay != 0) consider(last_heard + config().liveness_delay);
    for (const ChildSa& c : children) {
      if (c.state == ChildState::kInstalled) consider(c.rekey_at);
      consider(c.expire_at);
    }
  }
  return next;
}

void IkeSa::Tick() {
  if (state == IkeState::kDestroyed) return;
  const Time t = now();
  if (HalfOpen() && t >= created_at + config().half_open_timeout) {
    Destroy("not established in time (half-open timeout)");
    return;
  }
  for (auto it = outstanding_.begin(); it != outstanding_.end();) {
    Outstanding& o = it->second;
    if (o.deadline > t) {
      ++it;
      continue;
    }
    //= rfc7296#section-2.4
    //# When the retransmissions go unanswered the peer is considered dead:
    //# the IKE SA and its CHILD SAs are deleted without an exchange.
    if (o.retransmits >= config().retransmit.tries) {
      peer_.Log(fmt::format("IKE SA {:016x}_i {:016x}_r: request {} unanswered after {} retransmissions: peer dead",
                            spi_i, spi_r, it->first, o.retransmits),
                local_spi(), /*peer_dead=*/true);
      Destroy("peer dead");
      return;
    }
    ++o.retransmits;
    o.deadline = t + config().retransmit.Delay(o.retransmits);
    //= rfc7296#section-2.1
    //# The initiator retransmits the request unchanged until it sees a
    //# response, waiting longer each time.
    if (hooks().OnRetransmit(*this, it->first)) {
      Log(fmt::format("request {} retransmitted ({})", it->first, o.retransmits));
      Transmit(o.datagrams);
    }
    ++it;
  }
  if (state == IkeState::kEstablished) TimersTick();
  StartQueued();
}

void IkeSa::TimersTick() {
  const Time t = now();
  if (rekey_at != 0 && t >= rekey_at && !HasTask(TaskKind::kIkeRekey)) {
    rekey_at = 0;
    Queue(MakeIkeRekey());
  }
  if (config().liveness_delay != 0 && t >= last_heard + config().liveness_delay && !HasTask(TaskKind::kLiveness) &&
      outstanding_.empty()) {
    last_heard = t;
    Queue(MakeLiveness());
  }
  for (ChildSa& c : children) {
    if (c.state == ChildState::kInstalled && c.rekey_at != 0 && t >= c.rekey_at) {
      c.rekey_at = 0;
      Queue(MakeChildRekey(c.spi_in));
    }
  }
  std::vector<uint32_t> expired;
  for (const ChildSa& c : children)
    if (c.expire_at != 0 && t >= c.expire_at) expired.push_back(c.spi_in);
  //= rfc7296#section-2.8
  //# A CHILD SA past its hard lifetime is deleted, with a Delete sent.
  for (uint32_t spi : expired) {
    if (ChildSa* c = FindChildByInbound(spi); c != nullptr && c->state != ChildState::kDeleting) {
      c->expire_at = 0;
      Queue(MakeChildDelete(spi));
    }
  }
}

}  // namespace ipsecref::ike::sa
