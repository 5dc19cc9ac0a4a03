#include "interop/check/capture_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "reference/ah/ah_sa.h"
#include "reference/crypto/transforms.h"
#include "reference/esp/esp_packet.h"
#include "reference/ip/packet.h"

namespace ipsecref::io {
namespace {


constexpr size_t kMaxIpPacket = 40 + 65535;  // IPv6 header + the largest payload length

std::string DescribeKeys(const SaKeys& k) {
  std::string out;
  if (k.protocol == SaProtocol::kEsp) {
    const crypto::EncrTransform* t = crypto::FindEncr(k.encr);
    const size_t salt = t != nullptr ? t->salt_size : 0;
    const size_t key_bits = k.encr_key.size() > salt ? (k.encr_key.size() - salt) * 8 : 0;
    out = key_bits ? fmt::format("{} ({}-bit key)", iana::Name(k.encr), key_bits)
                   : std::string(iana::Name(k.encr));
    if (k.integ != iana::Integ::kNone || t == nullptr || !t->aead)
      out += fmt::format(" + {}", iana::Name(k.integ));
  } else {
    out = std::string(iana::Name(k.integ));
  }
  if (k.mode)
    out += *k.mode == esp::Mode::kTransport ? ", transport mode" : ", tunnel mode";
  else
    out += ", mode inferred per packet";
  if (k.esn) out += *k.esn ? ", ESN" : ", 32-bit sequence numbers";
  if (k.udp_encapsulation && *k.udp_encapsulation) out += ", UDP-encapsulated";
  std::string origins;
  for (const std::string& o : k.origins) origins += (origins.empty() ? "" : ", ") + o;
  return fmt::format("{}; keys from {}", out, origins);
}

void AddProblem(std::vector<ProblemSummary>& list, Code code, std::string_view requirement,
                uint64_t packet, const std::string& detail) {
  for (ProblemSummary& p : list) {
    if (p.code == code) {
      p.packets.Add(packet);
      return;
    }
  }
  list.push_back({code, requirement, {packet}, detail});
}

// The sequence numbers of one SA as ranges of consecutive numbers, and the
// final gaps below the open ranges (kOpenSequenceRanges).
class SequenceNumbers {
 public:
  void Add(uint64_t seq) {
    if (lowest_ && seq < highest_) ++out_of_order_;
    if (!lowest_ || seq < *lowest_) lowest_ = seq;
    highest_ = std::max(highest_, seq);
    if (closed_below_ && seq < *closed_below_) {
      ++below_tracked_;
      return;
    }
    auto next = open_.upper_bound(seq);  // the first range starting above seq
    if (next != open_.begin()) {
      auto before = std::prev(next);
      if (seq <= before->second) return;  // seen already
      if (seq == before->second + 1) {
        before->second = seq;
        if (next != open_.end() && next->first == seq + 1) {
          before->second = next->second;
          open_.erase(next);
        }
        return;
      }
    }
    if (next != open_.end() && next->first == seq + 1) {
      const uint64_t last = next->second;
      open_.erase(next);
      open_.emplace(seq, last);
      return;
    }
    open_.emplace(seq, seq);
    if (open_.size() > kOpenSequenceRanges) {
      // The gap above the lowest range becomes final.
      const auto lowest = open_.begin();
      const uint64_t first_missing = lowest->second + 1;
      open_.erase(lowest);
      closed_below_ = open_.begin()->first;
      AddGap({first_missing, *closed_below_ - 1});
    }
  }

  void Summarize(SaReport& r) {
    if (!lowest_) return;
    r.lowest_seq = lowest_;
    r.highest_seq = highest_;
    r.out_of_order = out_of_order_;
    r.below_tracked = below_tracked_;
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      const auto next = std::next(it);
      if (next != open_.end()) AddGap({it->second + 1, next->first - 1});
    }
    r.gaps = std::move(gaps_);
    r.gap_count = gap_count_;
    r.missing = missing_;
  }

 private:
  void AddGap(SequenceGap gap) {
    if (gaps_.size() < kPacketsKept) gaps_.push_back(gap);
    ++gap_count_;
    missing_ += gap.last_missing - gap.first_missing + 1;
  }

  std::map<uint64_t, uint64_t> open_;  // first -> last of each range
  std::optional<uint64_t> closed_below_;  // the lowest open range's first
  std::optional<uint64_t> lowest_;
  uint64_t highest_ = 0;
  uint64_t out_of_order_ = 0, below_tracked_ = 0;
  std::vector<SequenceGap> gaps_;
  uint64_t gap_count_ = 0, missing_ = 0;
};

}  // namespace

uint64_t CaptureReport::ike_count(IkeSeverity severity) const {
  uint64_t n = 0;
  auto add = [&](const std::vector<IkeFinding>& list) {
    for (const IkeFinding& f : list)
      if (f.severity == severity) n += f.packets.count();
  };
  for (const IkeSaReport& sa : ike_sas) add(sa.findings);
  for (const Ikev1SaReport& sa : ikev1_sas) add(sa.findings);
  add(ike_findings);
  return n;
}

uint64_t CaptureReport::failed() const {
  uint64_t n = ike_count(IkeSeverity::kError);
  for (const SaReport& sa : sas) n += sa.failed;
  return n;
}

uint64_t CaptureReport::findings() const {
  uint64_t n = ike_count(IkeSeverity::kWarning);
  for (const SaReport& sa : sas)
    for (const ProblemSummary& p : sa.findings) n += p.packets.count();
  for (const ProblemSummary& p : reassembly) n += p.packets.count();
  return n;
}

struct CaptureChecker::SaState {
  const SaKeys* keys = nullptr;
  size_t index = 0;
  bool created = false;
  std::unique_ptr<esp::Sa> esp;
  std::unique_ptr<ah::Sa> ah;
  std::optional<Error> create_error;
  SequenceNumbers seqs;
  uint64_t notable_kept = 0;
};

CaptureChecker::CaptureChecker(const KeyStore& keys, CheckOptions options, InnerPacketSink sink)
    : keys_(keys), options_(options), sink_(std::move(sink)), reassembler_(options.reassembly) {}

CaptureChecker::~CaptureChecker() = default;

CaptureChecker::SaState& CaptureChecker::StateFor(SaProtocol protocol, uint32_t spi, ByteSpan src,
                                                  ByteSpan dst) {
  // One state per SA: per key entry when there are keys (a wildcard
  // destination, and every view of a NAT'd SA, is one SA), per SPI and
  // destination otherwise.
  const SaKeys* keys = keys_.Find(protocol, spi, dst);
  StateKey key{static_cast<uint8_t>(protocol), spi,
               keys != nullptr ? keys->dst : Bytes(dst.begin(), dst.end())};
  if (auto it = index_.find(key); it != index_.end()) return *states_[it->second];
  if (keys == nullptr && sas_without_keys_ == options_.sas_without_keys) {
    if (!others_) {
      others_ = states_.size();
      states_.push_back(std::make_unique<SaState>());
      states_.back()->index = report_.sas.size();
      SaReport r;
      r.protocol = protocol;
      r.others = true;
      report_.sas.push_back(std::move(r));
    }
    return *states_[*others_];
  }
  if (keys == nullptr) ++sas_without_keys_;
  index_.emplace(std::move(key), states_.size());
  auto state = std::make_unique<SaState>();
  state->keys = keys;
  state->index = report_.sas.size();
  SaReport r;
  r.protocol = protocol;
  r.spi = spi;
  r.src.assign(src.begin(), src.end());
  r.dst.assign(dst.begin(), dst.end());
  r.keys_known = keys != nullptr;
  if (keys != nullptr) {
    r.description = DescribeKeys(*keys);
    auto matches = [](const Bytes& view, ByteSpan packet) {
      return view.empty() || std::equal(view.begin(), view.end(), packet.begin(), packet.end());
    };
    for (SaView& v : keys->Views())
      if (!matches(v.src, src) || !matches(v.dst, dst)) r.also_seen_as.push_back(std::move(v));
  }
  report_.sas.push_back(std::move(r));
  states_.push_back(std::move(state));
  return *states_.back();
}

void CaptureChecker::Judge(SaState& state, ByteSpan ip, const ip::PacketView& view,
                           PacketResult& result) {
  const SaKeys& k = *state.keys;
  if (!state.created) {
    state.created = true;
    const Bytes src = k.src.empty() ? Bytes(view.src.begin(), view.src.end()) : k.src;
    const Bytes dst = k.dst.empty() ? Bytes(view.dst.begin(), view.dst.end()) : k.dst;
    if (k.protocol == SaProtocol::kEsp) {
      esp::SaConfig c;
      c.spi = k.spi;
      c.mode = k.mode.value_or(esp::Mode::kInferred);
      c.encr = k.encr;
      c.encr_key = k.encr_key;
      c.integ = k.integ;
      c.integ_key = k.integ_key;
      c.esn = k.esn.value_or(false);
      c.replay_window = k.replay_window.value_or(options_.replay_window);
      // The peers chose the transforms; judging their packets, not their policy.
      c.allow_no_integrity = true;
      c.tunnel_src = src;
      c.tunnel_dst = dst;
      auto sa = esp::Sa::Create(c);
      if (sa.ok())
        state.esp = std::move(*sa);
      else
        state.create_error = std::move(sa).error();
    } else {
      ah::SaConfig c;
      c.spi = k.spi;
      c.mode = k.mode == esp::Mode::kTunnel ? ah::SaConfig::kTunnel : ah::SaConfig::kTransport;
      c.integ = k.integ;
      c.integ_key = k.integ_key;
      c.esn = k.esn.value_or(false);
      c.replay_window = k.replay_window.value_or(options_.replay_window);
      c.tunnel_src = src;
      c.tunnel_dst = dst;
      auto sa = ah::Sa::Create(c);
      if (sa.ok())
        state.ah = std::move(*sa);
      else
        state.create_error = std::move(sa).error();
    }
    if (state.create_error) report_.sas[state.index].sa_error = state.create_error;
  }
  if (state.create_error) {
    result.verdict = Verdict::kFailed;
    result.error = state.create_error;
    return;
  }
  Bytes inner;
  std::optional<Error> error;
  if (state.esp) {
    esp::Sa* sa = state.esp.get();
    auto d = esp::Decapsulate([sa](uint32_t) { return sa; }, ip);
    if (d.ok()) {
      result.seq = d->sequence_number;
      result.findings = std::move(d->findings);
      inner = std::move(d->packet);
    } else {
      error = std::move(d).error();
    }
  } else {
    auto v = state.ah->Verify(ip);
    if (v.ok()) {
      result.seq = v->sequence_number;
      inner = std::move(v->packet);
    } else {
      error = std::move(v).error();
    }
  }
  if (error) {
    //= rfc4303#section-2.6
    //# A dummy packet is verified and then discarded: not a failure.
    result.verdict = error->code == Code::kDummyPacket ? Verdict::kDiscarded : Verdict::kFailed;
    result.error = std::move(error);
    return;
  }
  result.verdict = Verdict::kOk;
  if (sink_) sink_(result, inner);
}

void CaptureChecker::Record(SaState& state, PacketResult& result, size_t ip_length) {
  SaReport& r = report_.sas[state.index];
  if (r.packets == 0) r.first = result.timestamp;
  r.last = result.timestamp;
  ++r.packets;
  r.bytes += ip_length;
  result.sa = state.index;
  switch (result.verdict) {
    case Verdict::kOk: ++r.ok; break;
    case Verdict::kDiscarded: ++r.discarded; break;
    case Verdict::kFailed: ++r.failed; break;
    case Verdict::kNotJudged: break;
  }
  if (result.verdict == Verdict::kFailed && result.error) {
    const Error& e = *result.error;
    AddProblem(r.failures, e.code, e.requirement, result.number, e.ToString());
    if (e.code == Code::kReplay || e.code == Code::kStale) r.replays.Add(result.number);
  }
  for (const esp::Finding& f : result.findings)
    AddProblem(r.findings, f.code, f.requirement, result.number, f.detail);
  const bool counts = result.verdict == Verdict::kOk || (!state.keys && result.seq);
  if (counts && result.seq && !r.others) state.seqs.Add(*result.seq);
}

void CaptureChecker::Process(const CapturedPacket& packet) {
  PacketResult result;
  result.number = packet.number;
  result.timestamp = packet.timestamp;
  if (report_.packets == 0) report_.first = packet.timestamp;
  report_.last = packet.timestamp;
  ++report_.packets;
  bool notable = options_.record_all_packets;

  if (!packet.link.ok()) {
    result.kind = PacketKind::kLinkError;
    result.error = packet.link.error();
    notable = true;
  } else if (!packet.is_ip()) {
    result.kind = PacketKind::kNotIp;
  } else {
    ByteSpan ip = packet.ip();
    // Fragments wait for their datagram, which is judged whole under the
    // number of the fragment that completed it (Wireshark's "reassembled in").
    std::optional<ip::Reassembled> whole;
    if (ip::IsFragment(ip)) {
      ++report_.kinds.at(static_cast<size_t>(PacketKind::kFragment));
      whole = Reassemble(packet, result);
      if (!whole) {
        result.kind = PacketKind::kFragment;
        if (notable || result.error || !result.findings.empty()) KeepNotable(std::move(result));
        return;
      }
      ip = whole->packet;
    }
    const size_t captured = ip.size();
    Bytes padded;
    std::optional<Error> cut;
    if (packet.cut() && !whole) {
      const size_t original = packet.original_length > packet.link->offset
                                  ? packet.original_length - packet.link->offset
                                  : captured;
      padded.assign(ip.begin(), ip.end());
      // Enough to let the IP header's own length stand; a record may claim
      // any original length, the largest IP packet is 40 + 65535 bytes.
      padded.resize(std::max(std::min(original, kMaxIpPacket), captured), 0);
      ip = padded;
      cut = MakeError(Code::kTruncated, captured, "",
                      fmt::format("the capture holds {} of the packet's {} bytes (snapshot length)",
                                  packet.captured_length, packet.original_length));
    }
    auto classified = Classify(ip, captured);
    if (!classified.ok()) {
      result.kind = PacketKind::kMalformedIp;
      result.error = std::move(classified).error();
      notable = true;
    } else {
      const Classified& c = *classified;
      result.kind = c.kind;
      result.seq = c.seq;
      const bool ipsec = c.kind == PacketKind::kEsp || c.kind == PacketKind::kEspInUdp ||
                         c.kind == PacketKind::kAh;
      if (cut) {
        result.error = cut;
        notable = true;
      }
      if (ipsec && c.spi) {
        const SaProtocol protocol = c.kind == PacketKind::kAh ? SaProtocol::kAh : SaProtocol::kEsp;
        SaState& state = StateFor(protocol, *c.spi, c.view.src, c.view.dst);
        if (state.keys != nullptr) {
          if (cut) {
            result.verdict = Verdict::kFailed;  // cannot be verified
          } else {
            Judge(state, ip.first(c.view.total_length), c.view, result);
          }
        }
        Record(state, result, c.view.total_length);
        if (report_.sas[state.index].packets == 1) report_.sas[state.index].first_packet = packet.number;
        if (!ike_) ike_ = std::make_unique<IkeExchangeTracker>(keys_);
        ike_->ObserveIpsec(protocol, *c.spi, c.view.dst, packet.number, packet.timestamp);
        notable = notable || result.verdict == Verdict::kFailed ||
                  result.verdict == Verdict::kDiscarded || !result.findings.empty();
      }
      if (c.kind == PacketKind::kIke || c.kind == PacketKind::kIkeNatT) {
        if (!ike_) ike_ = std::make_unique<IkeExchangeTracker>(keys_);
        auto datagram = IkeDatagramOf(ip, captured, c);
        if (datagram.ok()) {
          datagram->number = packet.number;
          datagram->timestamp = packet.timestamp;
          ike_->Observe(*datagram);
        } else {
          result.error = std::move(datagram).error();
          notable = true;
        }
      }
    }
  }
  ++report_.kinds.at(static_cast<size_t>(result.kind));
  if (notable) KeepNotable(std::move(result));
}

void CaptureChecker::KeepNotable(PacketResult result) {
  // states_[i] is the state of report_.sas[i]: StateFor adds both at once.
  uint64_t& kept = result.sa ? states_[*result.sa]->notable_kept
                             : notable_kept_.at(static_cast<size_t>(result.kind));
  if (kept < kPacketsKept || options_.record_all_packets) {
    ++kept;
    report_.notable.push_back(std::move(result));
    return;
  }
  ++report_.notable_not_kept;
  if (result.sa) ++report_.sas[*result.sa].notable_not_kept;
}

//= rfc4303#section-3.4.1
//# ESP (and AH, RFC 4302 §3.4.1) is applied to whole datagrams: fragments
//# are reassembled before they are processed.
std::optional<ip::Reassembled> CaptureChecker::Reassemble(const CapturedPacket& packet,
                                                          PacketResult& result) {
  if (packet.cut()) {
    result.error = MakeError(Code::kTruncated, packet.captured_length, "",
                             fmt::format("a fragment of which the capture holds {} of {} bytes "
                                         "(snapshot length) cannot be reassembled",
                                         packet.captured_length, packet.original_length));
    return std::nullopt;
  }
  auto added = reassembler_.Add(packet.ip(), packet.number, packet.timestamp.ToNanoseconds());
  if (!added.ok()) {
    const Error& e = added.error();
    AddProblem(report_.reassembly, e.code, e.requirement, packet.number, e.ToString());
    result.findings.push_back({e.code, e.offset, e.requirement, e.detail + "; the fragment is dropped"});
    return std::nullopt;
  }
  ReportAbandoned(std::move(added->abandoned), &result);
  if (!added->datagram) return std::nullopt;
  ++report_.reassembled;
  return std::move(added->datagram);
}

// A datagram given up is reported at its latest fragment: on the packet
// being processed, or (timeouts, evictions, the end) merged in at Finish.
void CaptureChecker::ReportAbandoned(std::vector<ip::AbandonedDatagram> abandoned,
                                     PacketResult* current) {
  for (ip::AbandonedDatagram& a : abandoned) {
    const Error& e = a.error;
    std::string numbers;
    for (uint64_t n : a.fragments) numbers += fmt::format("{}{}", numbers.empty() ? "" : ", ", n);
    for (uint64_t n : a.fragments) AddProblem(report_.reassembly, e.code, e.requirement, n, e.ToString());
    esp::Finding f{e.code, e.offset, e.requirement,
                   fmt::format("{} (its fragments: packets {})", e.detail, numbers)};
    const uint64_t at = a.fragments.empty() ? 0 : a.fragments.back();
    if (current != nullptr && current->number == at) {
      current->findings.push_back(std::move(f));
      continue;
    }
    PacketResult r;
    r.number = at;
    r.timestamp = Timestamp::FromNanoseconds(a.last_ns);
    r.kind = PacketKind::kFragment;
    r.findings.push_back(std::move(f));
    if (late_.size() == kPacketsKept && !options_.record_all_packets) {
      ++report_.notable_not_kept;  // its findings still count in report_.reassembly
      continue;
    }
    late_.push_back(std::move(r));
  }
}

CaptureReport CaptureChecker::Finish(std::string capture_name, std::string link_type) {
  ReportAbandoned(reassembler_.Flush(), nullptr);
  // Findings on earlier fragments join those packets' entries, in order.
  std::stable_sort(late_.begin(), late_.end(),
                   [](const PacketResult& a, const PacketResult& b) { return a.number < b.number; });
  std::vector<PacketResult> merged;
  merged.reserve(report_.notable.size() + late_.size());
  size_t l = 0;
  for (PacketResult& p : report_.notable) {
    for (; l < late_.size() && late_[l].number < p.number; ++l) merged.push_back(std::move(late_[l]));
    for (; l < late_.size() && late_[l].number == p.number; ++l)
      for (esp::Finding& f : late_[l].findings) p.findings.push_back(std::move(f));
    merged.push_back(std::move(p));
  }
  for (; l < late_.size(); ++l) merged.push_back(std::move(late_[l]));
  report_.notable = std::move(merged);
  for (auto& state : states_) state->seqs.Summarize(report_.sas[state->index]);
  if (ike_) {
    std::vector<IkeExchangeTracker::SeenSa> seen;
    for (const SaReport& sa : report_.sas)
      if (!sa.others) seen.push_back({sa.protocol, sa.spi, sa.dst, sa.first_packet});
    IkeReport ike = ike_->Finish(seen);
    report_.ike_sas = std::move(ike.sas);
    report_.ikev1_sas = std::move(ike.ikev1_sas);
    report_.child_sas = std::move(ike.child_sas);
    report_.ike_findings = std::move(ike.findings);
    report_.ike_messages = ike.messages;
    report_.ike_untracked_messages = ike.untracked_messages;
  }
  report_.capture = std::move(capture_name);
  report_.link_type = std::move(link_type);
  return std::move(report_);
}

Result<CaptureReport> CheckCapture(const std::string& path, const KeyStore& keys,
                                   const CheckOptions& options, InnerPacketSink sink) {
  TRY_ASSIGN(std::unique_ptr<PcapReader> reader, PcapReader::Open(path));
  CaptureChecker checker(keys, options, std::move(sink));
  std::optional<Error> read_error;
  for (;;) {
    auto next = reader->Next();
    if (!next.ok()) {
      read_error = std::move(next).error();
      break;
    }
    if (!next->has_value()) break;
    checker.Process(**next);
    if (options.on_record) options.on_record(*reader);
  }
  CaptureReport report = checker.Finish(path, LinkTypeName(reader->link_type()));
  report.read_error = std::move(read_error);
  return report;
}

}  // namespace ipsecref::io
