#include "fuzz/ike_state_driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <utility>

#include "fuzz/check.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/wire/header.h"
#include "reference/ike/wire/message.h"

namespace ipsecref::fuzz {

using ike::sa::Datagram;
using ike::sa::IkeSa;
using ike::sa::IkeState;
using ike::sa::Peer;
using ike::sa::Role;

namespace {

constexpr size_t kRecordHeaderSize = 3;
constexpr size_t kMaxDeliveries = 256;
// The same random draws in every run: the seeds' SPIs, nonces and cookies
// are those the target makes again when they are replayed.
constexpr uint64_t kSeed = 1;
constexpr uint64_t kFuzzerIvSeed = 0x1f0e;

// The IKE message in a datagram: after the non-ESP marker off port 500.
ByteSpan MessageOf(const Datagram& d) {
  ByteSpan m = d.data;
  if (d.destination.port != ike::sa::kIkePort && m.size() >= ike::sa::kNonEspMarkerSize)
    m = m.subspan(ike::sa::kNonEspMarkerSize);
  return m;
}

std::string_view OperationName(Operation op) {
  static constexpr std::string_view kNames[] = {"Initiate",  "CreateChild", "RekeyChild",   "RekeyIke",
                                                "DeleteChild", "DeleteIke", "CheckLiveness"};
  return kNames[static_cast<size_t>(op)];
}

Operation OperationOf(uint8_t who_op) {
  const uint8_t op = (who_op >> 1) & 7;
  return op > static_cast<uint8_t>(Operation::kCheckLiveness) ? Operation::kInitiate : static_cast<Operation>(op);
}

ike::sa::IkeConfig Configured(ike::sa::IkeConfig c, uint8_t variant, bool responder) {
  using iana::SecurityProtocol;
  switch (variant) {
    case 1:
      if (responder) c.cookie_threshold = 0;
      break;
    case 2:
      c.proposals = *ike::sa::ParseProposals(responder ? "aes128gcm16-prfsha256-ecp256"
                                                       : "aes128gcm16-prfsha256-x25519-ecp256",
                                             SecurityProtocol::kIke);
      break;
    case 3:
      c.window_size = 4;
      c.liveness_delay = 20'000;
      c.rekey_time = 3'600'000;
      c.children.at(0).rekey_time = 1'800'000;
      break;
    default:
      break;
  }
  return c;
}

}  // namespace

std::optional<Input> ParseInput(ByteSpan data) {
  if (data.empty()) return std::nullopt;
  Input in;
  in.setup = data[0];
  size_t at = 1;
  while (at < data.size() && in.records.size() < kMaxRecords) {
    Record r;
    r.type = data[at];
    size_t length = 0;
    if (at + kRecordHeaderSize <= data.size()) length = size_t{data[at + 1]} << 8 | data[at + 2];
    const size_t start = std::min(at + kRecordHeaderSize, data.size());
    const size_t end = std::min(start + length, data.size());
    r.body.assign(data.begin() + static_cast<ptrdiff_t>(start), data.begin() + static_cast<ptrdiff_t>(end));
    in.records.push_back(std::move(r));
    at = end;
  }
  return in;
}

Bytes WriteInput(const Input& input) {
  ByteWriter w;
  w.U8(input.setup);
  for (const Record& r : input.records) {
    w.U8(r.type).U16(static_cast<uint16_t>(r.body.size())).Append(r.body);
  }
  return std::move(w).Take();
}

Record OperationRecord(bool target, Operation op, uint8_t ike_sa, uint8_t child_sa) {
  return Record{kOperation, Bytes{static_cast<uint8_t>((static_cast<uint8_t>(op) << 1) | (target ? 1 : 0)), ike_sa,
                                  child_sa}};
}

int RunStateTarget(Role target, const uint8_t* data, size_t size) {
  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;
  const std::optional<Input> input = ParseInput(ByteSpan(data, size));
  if (!input) return 0;
  IkeStateDriver driver(target, input->setup);
  for (const Record& r : input->records) {
    if (verbose) std::fprintf(stderr, "  %s\n", driver.Describe(r).c_str());
    driver.Apply(r);
  }
  if (verbose)
    for (const std::string& ladder : driver.TargetLadders())
      std::fprintf(stderr, "    %s: %s\n", target == Role::kResponder ? "responder" : "initiator", ladder.c_str());
  return 0;
}

IkeStateDriver::IkeStateDriver(Role target, uint8_t setup)
    : target_role_(target), rng_(crypto::MakeDeterministicRng(kFuzzerIvSeed)) {
  SetUp(setup);
}

IkeStateDriver::~IkeStateDriver() = default;

Peer& IkeStateDriver::target() const {
  return target_role_ == Role::kResponder ? exchange_->responder() : exchange_->initiator();
}
Peer& IkeStateDriver::accomplice() const {
  return target_role_ == Role::kResponder ? exchange_->initiator() : exchange_->responder();
}
testing::Recorder& IkeStateDriver::target_log() const {
  return target_role_ == Role::kResponder ? exchange_->responder_log() : exchange_->initiator_log();
}
bool IkeStateDriver::is_target(const Datagram& d) const { return d.destination.address == target().local().address; }

void IkeStateDriver::SetUp(uint8_t setup) {
  const uint8_t stage = setup & 3, variant = (setup >> 2) & 3;
  exchange_ = std::make_unique<testing::Exchange>(Configured(testing::PskInitiatorConfig(), variant, false),
                                                  Configured(testing::PskResponderConfig(), variant, true), kSeed);
  testing::Exchange& x = *exchange_;
  if (stage > 0 || target_role_ == Role::kInitiator) x.initiator().Initiate();
  if (stage >= 1) {
    // Up to the IKE_AUTH request, which stays in flight.
    for (size_t step = 0; step < 16 && !x.network().in_flight.empty(); ++step) {
      const std::optional<ike::Header> h = ike::PeekHeader(MessageOf(x.network().in_flight.front().datagram));
      if (h && h->exchange_type == iana::ExchangeType::kIkeAuth && !h->response()) break;
      Deliver(*x.Take());
    }
  }
  if (stage >= 2) {
    for (size_t step = 0; step < 64 && !x.network().in_flight.empty(); ++step) Deliver(*x.Take());
  }
  if (stage == 3) {
    Operate(target_role_ == Role::kInitiator, Operation::kCreateChild, 0, 0);  // by the initiator
    for (size_t step = 0; step < 64 && !x.network().in_flight.empty(); ++step) Deliver(*x.Take());
  }
  ScanSent();
  ladders_from_ = target_log().built.size();
}

void IkeStateDriver::Deliver(const Datagram& d) {
  if (is_target(d)) {
    received_bytes_ += d.data.size();
    if (std::optional<ike::Header> h = ike::PeekHeader(MessageOf(d)); h && !h->response()) {
      uint32_t& next = next_request_to_target_[h->spi_i];
      if (h->message_id != UINT32_MAX) next = std::max(next, h->message_id + 1);
    }
  } else {
    // Keys of the accomplice's IKE SAs before what this datagram does to them
    // (RecordFor decrypts what the accomplice sends after deleting one).
    for (IkeSa* sa : KeyedAccompliceSas()) CrypterFor(*sa);
  }
  exchange_->Deliver(d);
}

void IkeStateDriver::ScanSent() {
  const std::vector<testing::Sent>& captured = exchange_->network().captured;
  for (; scanned_ < captured.size(); ++scanned_) {
    const Datagram& d = captured[scanned_].datagram;
    if (d.source.address != target().local().address) continue;
    sent_bytes_ += d.data.size();
    if (std::optional<ike::Header> h = ike::PeekHeader(MessageOf(d)); h && !h->response())
      target_latest_request_[h->spi_i] = h->message_id;
  }
}

std::vector<IkeSa*> IkeStateDriver::KeyedAccompliceSas() const {
  std::vector<IkeSa*> out;
  for (IkeSa* sa : accomplice().IkeSas())
    if (sa->has_keys()) out.push_back(sa);
  return out;
}

ike::SkCrypter* IkeStateDriver::CrypterFor(const IkeSa& sa) {
  const bool from_initiator = sa.role == Role::kInitiator;
  auto& slot = crypters_[{sa.spi_i, sa.spi_r, from_initiator}];
  if (slot == nullptr) {
    // The keys of the accomplice's direction, as IkeSa::InstallKeys gives them.
    const ike::SkKeys keys{sa.suite.encr, sa.suite.encr_key_bits, sa.suite.integ,
                           from_initiator ? sa.keys.sk_ei : sa.keys.sk_er,
                           from_initiator ? sa.keys.sk_ai : sa.keys.sk_ar};
    auto crypter = ike::SkCrypter::Create(keys, rng_.get());
    if (!crypter) return nullptr;
    slot = std::move(*crypter);
  }
  return slot.get();
}

void IkeStateDriver::Raw(const Record& record, uint16_t port) {
  Datagram d;
  d.source = accomplice().local();
  d.source.port = port;
  d.destination = target().local();
  d.destination.port = port;
  d.data = record.body;
  if ((record.type & kPatchSpis) != 0) {
    const std::vector<IkeSa*> sas = target().IkeSas();
    const size_t at = port == ike::sa::kIkePort ? 0 : ike::sa::kNonEspMarkerSize;
    if (!sas.empty() && d.data.size() >= at + 8) StoreU64(d.data.data() + at, sas.front()->spi_i);
    if (!sas.empty() && sas.front()->spi_r != 0 && d.data.size() >= at + 16)
      StoreU64(d.data.data() + at + 8, sas.front()->spi_r);
  }
  Deliver(d);
}

void IkeStateDriver::Encrypted(const Record& record, bool response) {
  ByteReader in(record.body);
  uint8_t sel = 0, exchange = 0, first = 0;
  uint32_t explicit_id = 0;
  if (!in.ReadU8(sel) || !in.ReadU8(exchange)) return;
  if ((sel & kSelMessageId) != 0 && !in.ReadU32(explicit_id)) return;
  if (!in.ReadU8(first)) return;
  const ByteSpan inner = ByteSpan(record.body).subspan(record.body.size() - in.remaining());

  const std::vector<IkeSa*> sas = KeyedAccompliceSas();
  if (sas.empty()) return;
  const IkeSa& sa = *sas[(sel & kSelSaMask) % sas.size()];
  ike::SkCrypter* crypter = CrypterFor(sa);
  if (crypter == nullptr) return;
  const size_t body_size = crypter->EncryptedBodySize(inner.size());
  if (ike::kGenericPayloadHeaderSize + body_size > UINT16_MAX) return;

  ike::Header h;
  h.spi_i = sa.spi_i;
  h.spi_r = sa.spi_r;
  h.next_payload = iana::PayloadType::kSk;
  h.minor_version = (sel & kSelMinorVersion) != 0 ? 1 : 0;
  h.exchange_type = static_cast<iana::ExchangeType>(exchange);
  h.flags = static_cast<uint8_t>((sa.role == Role::kInitiator ? ike::kFlagInitiator : 0) |
                                 (response ? ike::kFlagResponse : 0));
  if ((sel & kSelFlipResponse) != 0) h.flags ^= ike::kFlagResponse;
  if ((sel & kSelFlipInitiator) != 0) h.flags ^= ike::kFlagInitiator;
  if ((sel & kSelMessageId) != 0) {
    h.message_id = explicit_id;
  } else {
    const auto& ids = response ? target_latest_request_ : next_request_to_target_;
    auto it = ids.find(sa.spi_i);
    h.message_id = it == ids.end() ? 0 : it->second;
  }
  const size_t sk_length = ike::kGenericPayloadHeaderSize + body_size;
  h.length = static_cast<uint32_t>(ike::kHeaderSize + sk_length);
  ByteWriter w;
  ike::WriteHeader(h, w);
  w.U8(first).U8((sel & kSelCritical) != 0 ? 0x80 : 0).U16(static_cast<uint16_t>(sk_length));
  Result<Bytes> body = crypter->Protect(w.bytes(), inner);
  if (!body) return;
  w.Append(*body);

  Datagram d;
  d.source = sa.local;
  d.destination = sa.remote;
  if (d.destination.port != ike::sa::kIkePort) d.data.assign(ike::sa::kNonEspMarkerSize, 0);
  d.data.insert(d.data.end(), w.bytes().begin(), w.bytes().end());
  Deliver(d);
}

void IkeStateDriver::Operate(bool on_target, Operation op, uint8_t ike_sa, uint8_t child_sa) {
  Peer& peer = on_target ? target() : accomplice();
  if (op == Operation::kInitiate) {
    peer.Initiate();
    return;
  }
  const std::vector<IkeSa*> sas = peer.IkeSas();
  if (sas.empty()) return;
  IkeSa& sa = *sas[ike_sa % sas.size()];
  const uint64_t spi = sa.local_spi();
  const uint32_t child = sa.children.empty() ? 0 : sa.children[child_sa % sa.children.size()].spi_in;
  // The outcome is the target's business: a refused operation is an
  // outcome like any other.
  Status ignored = OkStatus();
  switch (op) {
    case Operation::kCreateChild:
      ignored = peer.CreateChild(spi);
      break;
    case Operation::kRekeyChild:
      if (child != 0) ignored = peer.RekeyChild(spi, child);
      break;
    case Operation::kRekeyIke:
      ignored = peer.RekeyIke(spi);
      break;
    case Operation::kDeleteChild:
      if (child != 0) ignored = peer.DeleteChild(spi, child);
      break;
    case Operation::kDeleteIke:
      ignored = peer.DeleteIke(spi);
      break;
    case Operation::kCheckLiveness:
      ignored = peer.CheckLiveness(spi);
      break;
    case Operation::kInitiate:
      break;
  }
  (void)ignored;
}

void IkeStateDriver::Apply(const Record& record) {
  ++records_;
  ScanSent();
  received_bytes_ = sent_bytes_ = 0;
  testing::Exchange& x = *exchange_;
  const ByteSpan body = record.body;
  const size_t n = body.empty() || body[0] == 0 ? kMaxDeliveries : body[0];
  switch (record.type & kRecordTypeMask) {
    case kRaw500:
      Raw(record, ike::sa::kIkePort);
      break;
    case kRaw4500:
      Raw(record, ike::sa::kNatTraversalPort);
      break;
    case kEncryptedRequest:
      Encrypted(record, false);
      break;
    case kEncryptedResponse:
      Encrypted(record, true);
      break;
    case kTimePasses: {
      uint64_t ms = 0;
      for (size_t i = 0; i < std::min<size_t>(body.size(), 4); ++i) ms = ms << 8 | body[i];
      x.clock().Advance(ms);
      break;
    }
    case kOperation:
      if (body.size() >= 1)
        Operate((body[0] & 1) != 0, OperationOf(body[0]), body.size() > 1 ? body[1] : 0, body.size() > 2 ? body[2] : 0);
      break;
    case kDeliver:
      for (size_t i = 0; i < n; ++i) {
        std::optional<Datagram> d = x.Take();
        if (!d) break;
        Deliver(*d);
      }
      break;
    case kDrop:
      for (size_t i = 0; i < n && x.Take(); ++i) {
      }
      break;
  }
  x.initiator().Tick();
  x.responder().Tick();
  ScanSent();
  CheckInvariants();
}

void IkeStateDriver::CheckInvariants() {
  const std::vector<IkeSa*> sas = target().IkeSas();
  Check(sas.size() <= 4 + 2 * records_);
  std::set<uint64_t> local_spis;
  std::set<std::pair<uint64_t, uint64_t>> spi_pairs;
  size_t children = 0;
  for (const IkeSa* sa : sas) {
    Check(sa->local_spi() != 0 && local_spis.insert(sa->local_spi()).second);
    if (sa->spi_r != 0) Check(spi_pairs.insert({sa->spi_i, sa->spi_r}).second);
    if (sa->state == IkeState::kEstablished || sa->state == IkeState::kRekeying || sa->state == IkeState::kRekeyed)
      Check(sa->has_keys() && sa->spi_i != 0 && sa->spi_r != 0);
    std::set<uint32_t> inbound;
    for (const ike::sa::ChildSa& c : sa->children) Check(c.spi_in != 0 && inbound.insert(c.spi_in).second);
    children += sa->children.size();
  }
  Check(children <= 4 + 4 * records_);
  Check(sent_bytes_ <= 64 * 1024 + 16 * received_bytes_);
}

std::optional<Record> IkeStateDriver::RecordFor(const Datagram& d) {
  const ByteSpan message = MessageOf(d);
  const std::optional<ike::Header> h = ike::PeekHeader(message);
  if (!h || h->next_payload != iana::PayloadType::kSk) {
    return Record{d.destination.port == ike::sa::kIkePort ? kRaw500 : kRaw4500, d.data};
  }
  // The accomplice's IKE SA: its position among those with keys, or 0 when
  // it is gone since it sent this (a Delete's response; in a replay, where
  // the accomplice never saw the request, it is still there).
  const std::vector<IkeSa*> sas = KeyedAccompliceSas();
  size_t index = 0;
  for (size_t i = 0; i < sas.size() && i <= kSelSaMask; ++i)
    if (sas[i]->spi_i == h->spi_i && sas[i]->spi_r == h->spi_r) index = i;
  auto crypter = crypters_.find({h->spi_i, h->spi_r, h->initiator()});
  constexpr size_t kAssociated = ike::kHeaderSize + ike::kGenericPayloadHeaderSize;
  if (crypter == crypters_.end() || message.size() < kAssociated || h->length != message.size())
    return std::nullopt;
  auto open = crypter->second->Unprotect(message.first(kAssociated), message.subspan(kAssociated));
  if (!open) return std::nullopt;
  const bool response = h->response();
  const auto& ids = response ? target_latest_request_ : next_request_to_target_;
  auto it = ids.find(h->spi_i);
  const uint32_t implied = it == ids.end() ? 0 : it->second;
  Record r;
  r.type = response ? kEncryptedResponse : kEncryptedRequest;
  ByteWriter w;
  w.U8(static_cast<uint8_t>(index | (implied != h->message_id ? kSelMessageId : 0)));
  w.U8(static_cast<uint8_t>(h->exchange_type));
  if (implied != h->message_id) w.U32(h->message_id);
  w.U8(message[ike::kHeaderSize]).Append(open->plaintext);
  r.body = std::move(w).Take();
  return r;
}

std::string IkeStateDriver::Describe(const Record& record) const {
  const ByteSpan body = record.body;
  switch (record.type & kRecordTypeMask) {
    case kRaw500:
    case kRaw4500: {
      const bool nat = (record.type & kRecordTypeMask) == kRaw4500;
      ByteSpan m = body;
      if (nat && m.size() >= ike::sa::kNonEspMarkerSize) m = m.subspan(ike::sa::kNonEspMarkerSize);
      Result<ike::Message> decoded = ike::Decode(m);
      const std::string what = decoded ? testing::Ladder(*decoded)
                                       : fmt::format("undecodable ({} bytes)", body.size());
      return fmt::format("RAW{} {}", nat ? " 4500" : "", what);
    }
    case kEncryptedRequest:
    case kEncryptedResponse: {
      const bool response = (record.type & kRecordTypeMask) == kEncryptedResponse;
      ByteReader in(body);
      uint8_t sel = 0, exchange = 0, first = 0;
      uint32_t id = 0;
      if (!in.ReadU8(sel) || !in.ReadU8(exchange) || ((sel & kSelMessageId) != 0 && !in.ReadU32(id)) ||
          !in.ReadU8(first))
        return fmt::format("ENC short ({} bytes)", body.size());
      ike::Message m;
      m.header.exchange_type = static_cast<iana::ExchangeType>(exchange);
      m.header.flags = static_cast<uint8_t>((response ? ike::kFlagResponse : 0) ^
                                            ((sel & kSelFlipResponse) != 0 ? ike::kFlagResponse : 0));
      const Status inner = ike::DecodeInner(m, static_cast<iana::PayloadType>(first),
                                            body.subspan(body.size() - in.remaining()), 0);
      std::string out = fmt::format("ENC {}", testing::Ladder(m));
      if (!inner.ok()) out = fmt::format("ENC {} undecodable inner payloads", ike::Describe(m.header));
      if ((sel & kSelMessageId) != 0) out += fmt::format(" (ID {})", id);
      if ((sel & kSelSaMask) != 0) out += fmt::format(" (IKE SA {})", sel & kSelSaMask);
      return out;
    }
    case kTimePasses: {
      uint64_t ms = 0;
      for (size_t i = 0; i < std::min<size_t>(body.size(), 4); ++i) ms = ms << 8 | body[i];
      return fmt::format("TIME {} ms", ms);
    }
    case kOperation:
      if (body.empty()) return "OP none";
      return fmt::format("OP {} {}", (body[0] & 1) != 0 ? "target" : "accomplice", OperationName(OperationOf(body[0])));
    case kDeliver:
      return body.empty() || body[0] == 0 ? "DELIVER all" : fmt::format("DELIVER {}", body[0]);
    default:
      return body.empty() || body[0] == 0 ? "DROP all" : fmt::format("DROP {}", body[0]);
  }
}

std::vector<std::string> IkeStateDriver::TargetLadders() const {
  std::vector<std::string> out;
  const std::vector<ike::Message>& built = target_log().built;
  for (size_t i = ladders_from_; i < built.size(); ++i) out.push_back(testing::Ladder(built[i]));
  return out;
}

}  // namespace ipsecref::fuzz
