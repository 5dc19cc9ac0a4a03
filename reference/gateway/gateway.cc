#include "reference/gateway/gateway.h"

#include <fmt/format.h>

#include <chrono>

#include "reference/base/enum_table.h"
#include "reference/esp/esp_sa.h"
#include "reference/gateway/gateway_impl.h"
#include "reference/gateway/selectors.h"
#include "reference/ike/wire/header.h"
#include "reference/ike/sa/traffic_selectors.h"
#include "reference/ip/packet.h"

namespace ipsecref::gateway {

using ike::sa::Datagram;
using ike::sa::Endpoint;

namespace {

struct LevelRow {
  LogLevel level;
  std::string_view name;
};
constexpr std::array<LevelRow, 4> kLevels{{
    {LogLevel::kError, "error"},
    {LogLevel::kWarning, "warning"},
    {LogLevel::kInfo, "info"},
    {LogLevel::kDebug, "debug"},
}};
static_assert(RowsInEnumOrder(kLevels, &LevelRow::level), "kLevels: one row per LogLevel, in order");

struct DropRow {
  Drop drop;
  std::string_view name;
};
constexpr std::array<DropRow, kDrops> kDropNames{{
    {Drop::kMalformed, "malformed"},
    {Drop::kUnknownIkeSpi, "unknown_ike_spi"},
    {Drop::kNoConnection, "no_connection"},
    {Drop::kUnknownSpi, "unknown_spi"},
    {Drop::kAuthentication, "authentication_failed"},
    {Drop::kReplay, "replay"},
    {Drop::kEspOther, "esp_refused"},
    {Drop::kPolicyMismatch, "policy_mismatch"},
    {Drop::kNoPolicy, "no_policy"},
    {Drop::kDiscardPolicy, "discard_policy"},
    {Drop::kSendFailed, "send_failed"},
    {Drop::kTrapped, "trapped"},
}};
static_assert(RowsInEnumOrder(kDropNames, &DropRow::drop), "kDropNames: one row per Drop, in order");

bool Holds(const std::vector<AddressEntry>& list, ByteSpan address, bool any_allowed) {
  if (list.empty()) return any_allowed;
  for (const AddressEntry& e : list)
    if ((e.any() && any_allowed) || (!e.any() && ByteSpan(e.address).size() == address.size() &&
                                     std::equal(e.address.begin(), e.address.end(), address.begin())))
      return true;
  return false;
}

}  // namespace

std::string_view LevelName(LogLevel level) { return kLevels[static_cast<size_t>(level)].name; }
std::optional<LogLevel> LevelFromName(std::string_view name) {
  for (const LevelRow& r : kLevels)
    if (r.name == name) return r.level;
  return std::nullopt;
}
std::string_view DropName(Drop drop) { return kDropNames[static_cast<size_t>(drop)].name; }

Bytes FirstAddress(const std::vector<AddressEntry>& list) {
  return list.empty() || list[0].any() ? Bytes(4, 0) : list[0].address;
}

bool Connection::site_to_site() const {
  return !remote_addrs.empty() &&
         std::none_of(remote_addrs.begin(), remote_addrs.end(), [](const AddressEntry& e) { return e.any(); });
}

ike::sa::Time SystemClock::Now() const {
  return static_cast<ike::sa::Time>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

void Gateway::Impl::Log(LogLevel level, std::string text) {
  if (level > options.log_level || !options.log) return;
  std::lock_guard lock(log_mu);
  options.log(LogLine{Now(), level, std::move(text)});
}

std::optional<size_t> Gateway::Impl::ConnectionFor(const Endpoint& source, const Endpoint& destination) const {
  std::optional<size_t> any;
  for (size_t i = 0; i < config.connections.size(); ++i) {
    const Connection& c = config.connections[i];
    if (!Holds(c.local_addrs, destination.address, true)) continue;
    if (Holds(c.remote_addrs, source.address, false)) return i;
    if (!any && Holds(c.remote_addrs, source.address, true)) any = i;
  }
  return any;
}

Result<std::pair<spu::SpuIndex, std::string>> Gateway::Impl::Place(size_t connection) {
  std::lock_guard lock(anchor_mu);
  const std::string name = fmt::format("half-open-{}", next_provisional++);
  const spu::Kind kind = config.connections[connection].site_to_site() ? spu::Kind::kGateway : spu::Kind::kDynamic;
  TRY_ASSIGN(spu::SpuIndex spu, anchoring.Add(kind, name));
  return std::make_pair(spu, name);
}

std::optional<spu::SpuIndex> Gateway::Impl::SpuOf(std::string_view name) const {
  std::lock_guard lock(anchor_mu);
  const spu::Anchor* a = anchoring.Find(name);
  if (a == nullptr) return std::nullopt;
  return a->spu;
}

namespace {
// Manual tunnels are anchored like site-to-site gateways (spu.least-loaded)
// and count in the load.
Status InstallManualTunnels(Gateway::Impl& g) {
  for (const ManualTunnel& t : g.config.manual) {
    spu::SpuIndex spu = 0;
    {
      std::lock_guard lock(g.anchor_mu);
      TRY_ASSIGN(spu, g.anchoring.Add(spu::Kind::kManual, t.name));
    }
    TRY(g.spus[spu]->InstallManual(t));
  }
  return OkStatus();
}

//= ipsecref#choice
//# Trap policies go after every CHILD SA's policy (DefaultPriority lies in
//# 1021..2048): an installed SA always takes the traffic first.
constexpr uint32_t kTrapPriority = 4096;

std::string TrapName(const Connection& c, const ChildSettings& child) {
  return fmt::format("trap/{}/{}", c.name, child.child.name);
}

// start_action = trap: a PROTECT policy without an SA for the child's
// selectors; traffic that hits it starts the connection.
Status InstallTraps(Gateway::Impl& g) {
  for (const Connection& c : g.config.connections)
    for (const ChildSettings& child : c.children) {
      if (child.start_action != StartAction::kTrap) continue;
      TRY_ASSIGN(auto l, ike::sa::Resolve(child.local_ts, FirstAddress(c.local_addrs)));
      TRY_ASSIGN(auto r, ike::sa::Resolve(child.remote_ts, FirstAddress(c.remote_addrs)));
      spd::Policy p = OutboundPolicy(TrapName(c, child), l, r, 0);
      p.priority = kTrapPriority;
      std::unique_lock routes(g.routes_mu);
      TRY(g.spd.Add(std::move(p)));
    }
  return OkStatus();
}

}  // namespace

std::optional<size_t> Gateway::Impl::TrapConnection(std::string_view policy) const {
  for (size_t i = 0; i < config.connections.size(); ++i)
    for (const ChildSettings& child : config.connections[i].children)
      if (policy == TrapName(config.connections[i], child)) return i;
  return std::nullopt;
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() {
  for (auto& s : impl_->spus) s->Stop();
}

Result<std::unique_ptr<Gateway>> Gateway::Create(GatewayConfig config, Options options, Wire& wire) {
  TRY_ASSIGN(spu::Anchoring anchoring, spu::Anchoring::Create(options.spus));
  auto impl = std::make_unique<Impl>(std::move(config), std::move(options), wire, std::move(anchoring));
  impl->clock = impl->options.clock != nullptr ? impl->options.clock : &impl->system_clock;
  if (!impl->options.keys_dir.empty()) impl->keys = std::make_unique<KeyExport>(impl->options.keys_dir);
  while ((size_t{1} << impl->spi_bits) < impl->options.spus) ++impl->spi_bits;
  for (size_t i = 0; i < impl->options.spus; ++i)
    impl->spus.push_back(std::make_unique<SpuWorker>(*impl, static_cast<spu::SpuIndex>(i)));
  std::unique_ptr<Gateway> gateway(new Gateway(std::move(impl)));
  Impl& g = *gateway->impl_;
  g.trap_pending = std::make_unique<std::atomic<bool>[]>(g.config.connections.size());
  TRY(InstallManualTunnels(g));
  TRY(InstallTraps(g));
  for (auto& s : g.spus) s->Start();
  // start_action = start: each such child is initiated, the first with a
  // new IKE SA, the others over it.
  for (const Connection& conn : g.config.connections)
    for (const ChildSettings& child : conn.children) {
      if (child.start_action != StartAction::kStart) continue;
      if (auto name = gateway->Initiate(conn.name, child.child.name); !name)
        g.Log(LogLevel::kError, fmt::format("{}: start_action = start: {}", conn.name, name.error().ToString()));
    }
  return gateway;
}

// ---------------------------------------------------------------------------
// Packets in

namespace {
// An ESP packet goes to the SPU that holds its SA (RFC 4303 §3.4.2: found by
// its SPI), or is dropped and counted.
void RouteEsp(Gateway::Impl& g, Job job) {
  g.counters.esp_in.fetch_add(1, std::memory_order_relaxed);
  spu::SpuIndex spu = g.SpuOfSpi(job.spi, 32);
  {
    std::shared_lock routes(g.routes_mu);
    if (auto it = g.manual_routes.find(job.spi); it != g.manual_routes.end()) spu = it->second;
  }
  // The SPU its SPI names counts it if it has no SA for it.
  if (spu >= g.spus.size()) {
    g.counters.Count(Drop::kUnknownSpi);
    return;
  }
  g.spus[spu]->Push(std::move(job));
}
}  // namespace

void Gateway::ReceiveUdp(Datagram datagram) {
  Impl& g = *impl_;
  g.counters.udp_in.fetch_add(1, std::memory_order_relaxed);
  ByteSpan data = datagram.data;
  if (datagram.destination.port == ike::sa::kNatTraversalPort) {
    //= rfc3948#section-2.3
    //# On the NAT-T port a single octet 0xFF is a NAT-keepalive, which the
    //# receiver ignores.
    if (data.size() == 1 && data[0] == 0xff) {
      g.counters.keepalives_in.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    //= rfc3948#section-2.2
    //# A non-ESP marker (four zero octets) starts IKE; otherwise the payload
    //# is ESP, whose SPI is never zero.
    if (data.size() < ike::sa::kNonEspMarkerSize) {
      g.counters.Count(Drop::kMalformed);
      return;
    }
    if (LoadU32(data.data()) != 0) {
      Job job;
      job.kind = Job::Kind::kEsp;
      job.spi = LoadU32(data.data());
      job.esp_in_udp = true;
      job.packet = std::move(datagram.data);
      job.datagram.source = datagram.source;
      job.datagram.destination = datagram.destination;
      RouteEsp(g, std::move(job));
      return;
    }
    data = data.subspan(ike::sa::kNonEspMarkerSize);
  }
  const std::optional<ike::Header> h = ike::PeekHeader(data);
  if (!h) {
    g.counters.Count(Drop::kMalformed);
    return;
  }
  g.counters.ike_in.fetch_add(1, std::memory_order_relaxed);
  Job job;
  job.kind = Job::Kind::kIke;
  const uint64_t local = h->initiator() ? h->spi_r : h->spi_i;
  {
    std::shared_lock routes(g.routes_mu);
    if (local != 0) {
      // The SPU its SPI names; an SPI that names none is answered
      // (§2.21.4) by SPU0.
      const spu::SpuIndex spu = g.SpuOfSpi(local, 64);
      if (spu >= g.spus.size()) g.counters.Count(Drop::kUnknownIkeSpi);
      job.datagram = std::move(datagram);
      g.spus[spu >= g.spus.size() ? 0 : spu]->Push(std::move(job));
      return;
    }
    // A request for a new IKE SA: a copy of one already on its way goes
    // where the first went.
    auto it = g.pending.find(PendingKeyOf(h->spi_i, datagram.source));
    if (it != g.pending.end()) {
      job.connection = it->second.connection;
      job.datagram = std::move(datagram);
      g.spus[it->second.spu]->Push(std::move(job));
      return;
    }
  }
  if (h->exchange_type != iana::ExchangeType::kIkeSaInit || h->response()) {
    g.counters.Count(Drop::kUnknownIkeSpi);
    return;
  }
  const std::optional<size_t> connection = g.ConnectionFor(datagram.source, datagram.destination);
  if (!connection) {
    g.counters.Count(Drop::kNoConnection);
    g.Log(LogLevel::kWarning, fmt::format("IKE_SA_INIT from {} to {}: no connection is configured for it",
                                          datagram.source.ToString(), datagram.destination.ToString()));
    return;
  }
  auto placed = g.Place(*connection);
  if (!placed) {
    g.Log(LogLevel::kError, placed.error().ToString());
    return;
  }
  job.connection = connection;
  job.anchor = placed->second;
  {
    std::unique_lock routes(g.routes_mu);
    g.pending[PendingKeyOf(h->spi_i, datagram.source)] = PendingInit{placed->first, *connection, placed->second};
  }
  job.datagram = std::move(datagram);
  g.spus[placed->first]->Push(std::move(job));
}

void Gateway::ReceiveIp(Bytes ip_packet) {
  Impl& g = *impl_;
  auto view = ip::Parse(ip_packet);
  if (!view || view->protocol != static_cast<uint8_t>(iana::IpProtocol::kEsp) || view->fragment) {
    g.counters.Count(Drop::kMalformed);
    return;
  }
  const ByteSpan esp = ByteSpan(ip_packet).subspan(view->header_length, view->total_length - view->header_length);
  auto spi = esp::PeekSpi(esp);
  if (!spi) {
    g.counters.Count(Drop::kMalformed);
    return;
  }
  Job job;
  job.kind = Job::Kind::kEsp;
  job.spi = *spi;
  job.datagram.source.address.assign(view->src.begin(), view->src.end());
  job.datagram.destination.address.assign(view->dst.begin(), view->dst.end());
  job.packet.assign(esp.begin(), esp.end());
  RouteEsp(g, std::move(job));
}

void Gateway::ReceiveInner(Bytes ip_packet) {
  Impl& g = *impl_;
  g.counters.inner_in.fetch_add(1, std::memory_order_relaxed);
  auto selectors = spd::ExtractSelectors(ip_packet);
  if (!selectors) {
    g.counters.Count(Drop::kMalformed);
    return;
  }
  Job job;
  job.kind = Job::Kind::kInner;
  std::optional<size_t> trapped;
  {
    std::shared_lock routes(g.routes_mu);
    const spd::Policy* p = g.spd.LookupOutbound(*selectors);
    if (p == nullptr) {
      g.counters.Count(Drop::kNoPolicy);
      return;
    }
    if (p->action != spd::Action::kProtect) {
      g.counters.Count(Drop::kDiscardPolicy);
      return;
    }
    if (p->sa_id != 0) {
      job.spi = static_cast<uint32_t>(p->sa_id);
      job.packet = std::move(ip_packet);
      g.spus[p->sa_id >> 32]->Push(std::move(job));
      return;
    }
    trapped = g.TrapConnection(p->name);
  }
  // A trap policy: the packet is dropped and, once, the connection started.
  g.counters.Count(Drop::kTrapped);
  if (!trapped || g.trap_pending[*trapped].exchange(true)) return;
  const std::string& name = g.config.connections[*trapped].name;
  g.Log(LogLevel::kInfo, fmt::format("{}: traffic {} hit the trap: initiating", name, spd::Describe(*selectors)));
  if (auto started = Initiate(name); !started) {
    g.trap_pending[*trapped] = false;
    g.Log(LogLevel::kError, fmt::format("{}: start_action = trap: {}", name, started.error().ToString()));
  }
}

// ---------------------------------------------------------------------------
// Control

namespace {
// Runs `op` on the SPU that anchors `name`.
Status OnAnchor(Gateway::Impl& g, std::string_view name, const std::function<Status(SpuWorker&)>& op) {
  const std::optional<spu::SpuIndex> spu = g.SpuOf(name);
  ENSURE(spu, kInvalidArgument, kNoOffset, "", fmt::format("no IKE SA or CHILD SA named {}", name));
  Status result = OkStatus();
  SpuWorker& w = *g.spus[*spu];
  w.Run([&] { result = op(w); });
  return result;
}
}  // namespace

Result<std::string> Gateway::Initiate(std::string_view connection, std::string_view child) {
  Impl& g = *impl_;
  std::optional<size_t> index;
  for (size_t i = 0; i < g.config.connections.size(); ++i)
    if (g.config.connections[i].name == connection) index = i;
  ENSURE(index, kInvalidArgument, kNoOffset, "", fmt::format("no connection named {}", connection));
  const Connection& c = g.config.connections[*index];
  ENSURE(c.site_to_site(), kInvalidArgument, kNoOffset, "",
         fmt::format("connection {} has no remote address to initiate to (remote_addrs is %any)", connection));
  ENSURE(child.empty() || std::any_of(c.children.begin(), c.children.end(),
                                      [&](const ChildSettings& s) { return s.child.name == child; }),
         kInvalidArgument, kNoOffset, "", fmt::format("connection {} has no child {}", connection, child));
  size_t child_index = 0;
  for (size_t i = 0; i < c.children.size(); ++i)
    if (c.children[i].child.name == child) child_index = i;
  // A child of a connection that has an IKE SA already is added to it
  // (CREATE_CHILD_SA, RFC 7296 §1.3.1), as strongSwan does; the IKE SA
  // may still be on its way up (the CHILD SA waits for it).
  if (!child.empty())
    for (const IkeSaStatus& s : List())
      if (s.connection == connection && (s.state == "CREATED" || s.state == "CONNECTING" || s.state == "ESTABLISHED")) {
        TRY(OnAnchor(g, s.name, [&](SpuWorker& w) { return w.CreateChild(s.name, child_index); }));
        return s.name;
      }
  TRY_ASSIGN(auto placed, g.Place(*index));
  Result<std::string> name = MakeError(Code::kInvalidArgument, kNoOffset, "", "not run");
  g.spus[placed.first]->Run([&] { name = g.spus[placed.first]->Initiate(*index, placed.second); });
  //= ipsecref#choice
  //# A new IKE SA negotiates the connection's first child in IKE_AUTH (as
  //# the state machine does); another child asked for comes after it.
  if (name && child_index != 0)
    TRY(OnAnchor(g, *name, [&](SpuWorker& w) { return w.CreateChild(*name, child_index); }));
  return name;
}


std::vector<std::string> Gateway::SasNamed(std::string_view name, bool ike_only) {
  const std::vector<IkeSaStatus> all = List();
  for (const IkeSaStatus& s : all) {
    if (s.name == name) return {s.name};
    for (const ChildSaStatus& c : s.children)
      if (c.name == name) return {c.name};
  }
  //= ipsecref#choice
  //# Like swanctl's --ike and --child, a configuration's name stands for
  //# its SAs that are up: a connection for its ESTABLISHED IKE SAs, a child
  //# for its INSTALLED CHILD SAs.
  std::vector<std::string> out;
  const bool connection = std::any_of(impl_->config.connections.begin(), impl_->config.connections.end(),
                                      [&](const Connection& c) { return c.name == name; });
  for (const IkeSaStatus& s : all) {
    if (connection && s.connection == name && s.state == "ESTABLISHED") out.push_back(s.name);
    if (connection || ike_only) continue;
    for (const ChildSaStatus& c : s.children)
      if (c.config == name && c.state == "INSTALLED") out.push_back(c.name);
  }
  return out;
}

Status Gateway::Terminate(std::string_view name) {
  // A connection's name: every IKE SA of it, whatever its state.
  bool connection = false;
  for (const Connection& c : impl_->config.connections) connection = connection || c.name == name;
  if (connection) {
    for (const IkeSaStatus& s : List())
      if (s.connection == name) TRY(Terminate(s.name));
    return OkStatus();
  }
  return ForEachNamed(name, false, [](SpuWorker& w, const std::string& sa) { return w.Terminate(sa); });
}

Status Gateway::Rekey(std::string_view name) {
  return ForEachNamed(name, false, [](SpuWorker& w, const std::string& sa) { return w.Rekey(sa); });
}

Status Gateway::CheckLiveness(std::string_view name) {
  return ForEachNamed(name, true, [](SpuWorker& w, const std::string& sa) { return w.CheckLiveness(sa); });
}

Status Gateway::ForEachNamed(std::string_view name, bool ike_only,
                             const std::function<Status(SpuWorker&, const std::string&)>& op) {
  const std::vector<std::string> names = SasNamed(name, ike_only);
  ENSURE(!names.empty(), kInvalidArgument, kNoOffset, "",
         fmt::format("no {} named {} (or of a configuration of that name)", ike_only ? "IKE SA" : "IKE SA or CHILD SA",
                     name));
  for (const std::string& sa : names) TRY(OnAnchor(*impl_, sa, [&](SpuWorker& w) { return op(w, sa); }));
  return OkStatus();
}

std::vector<IkeSaStatus> Gateway::List() {
  std::vector<IkeSaStatus> out;
  for (auto& s : impl_->spus) s->Run([&] { s->List(out); });
  return out;
}

Stats Gateway::stats() {
  Impl& g = *impl_;
  Stats s;
  const Counters& c = g.counters;
  s.udp_in = c.udp_in;
  s.ike_in = c.ike_in;
  s.esp_in = c.esp_in;
  s.inner_in = c.inner_in;
  s.keepalives_in = c.keepalives_in;
  s.esp_out = c.esp_out;
  s.inner_out = c.inner_out;
  s.ike_out = c.ike_out;
  for (size_t i = 0; i < kDrops; ++i)
    s.dropped.emplace_back(std::string(DropName(static_cast<Drop>(i))), c.dropped[i].load());
  for (auto& w : g.spus)
    w->Run([&] {
      s.ike_sas_per_spu.push_back(w->ike_sas());
      s.half_open += w->half_open();
    });
  return s;
}

spu::Anchoring Gateway::anchoring() const {
  std::lock_guard lock(impl_->anchor_mu);
  return impl_->anchoring;
}

void Gateway::Drain() {
  for (auto& s : impl_->spus) s->Run([] {});
}

void Gateway::Tick() {
  for (auto& s : impl_->spus) s->Run([&] { s->Tick(); });
}

}  // namespace ipsecref::gateway
