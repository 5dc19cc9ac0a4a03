// ipsecref's `manual` section (static-key ESP tunnels, an extension of the
// swanctl.conf syntax: strongSwan has none) mapped onto config.h's
// ManualTunnel (the keywords: reference/gateway/swanctl_conf.md).
#include <algorithm>

#include <fmt/format.h>

#include "reference/crypto/transforms.h"
#include "reference/gateway/swanctl_conf.h"
#include "reference/gateway/swanctl_internal.h"
#include "reference/ike/sa/traffic_selectors.h"

namespace ipsecref::gateway::swanctl {
namespace {

using iana::SecurityProtocol;

struct ManualState {
  ManualTunnel& t;
  const SettingsNode* proposal = nullptr;
  const SettingsNode* keys[4] = {};  // enc_key_in, enc_key_out, integ_key_in, integ_key_out
};

Result<Bytes> OneAddress(const SettingsNode& n) {
  std::optional<Bytes> address = ParseAddress(n.value);
  if (!address) return BadValue(n, "one IPv4 or IPv6 address");
  return std::move(*address);
}

Result<uint32_t> ParseSpi(const SettingsNode& n) {
  TRY_ASSIGN(const uint64_t spi, ParseNumber(n, UINT32_MAX));
  //= rfc4303#section-2.1
  //# SPI values 1 to 255 are reserved by IANA, and 0 is for local use only.
  if (spi < 256) return BadValue(n, "SPIs 0-255 are reserved (rfc4303#section-2.1)");
  return static_cast<uint32_t>(spi);
}

Result<std::vector<ike::TrafficSelector>> ParseTs(const SettingsNode& n) {
  auto ts = ike::sa::ParseTrafficSelectors(n.value);
  if (!ts.ok()) return BadValue(n, ts.error().detail);
  return std::move(*ts);
}

Status ReadManual(const SettingsNode& section, ManualTunnel& t) {
  TRY(RequireSection(section, "manual { NAME"));
  t.name = section.name;
  ManualState s{t};
  constexpr std::string_view kKeyNames[] = {"enc_key_in", "enc_key_out", "integ_key_in", "integ_key_out"};
  const SettingsNode* required[5] = {};  // local_addrs, remote_addrs, local_ts/remote_ts handled below, spi_in, spi_out
  bool have_local_ts = false, have_remote_ts = false;
  for (const SettingsNode& n : section.children) {
    TRY(RequireSetting(n));
    const auto key = std::find(std::begin(kKeyNames), std::end(kKeyNames), n.name);
    if (key != std::end(kKeyNames)) { s.keys[key - std::begin(kKeyNames)] = &n; continue; }
    if (n.name == "local_addrs") { TRY_ASSIGN(t.local_addr, OneAddress(n)); required[0] = &n; }
    else if (n.name == "remote_addrs") { TRY_ASSIGN(t.remote_addr, OneAddress(n)); required[1] = &n; }
    else if (n.name == "local_ts") { TRY_ASSIGN(t.local_ts, ParseTs(n)); have_local_ts = true; }
    else if (n.name == "remote_ts") { TRY_ASSIGN(t.remote_ts, ParseTs(n)); have_remote_ts = true; }
    else if (n.name == "spi_in") { TRY_ASSIGN(t.spi_in, ParseSpi(n)); required[3] = &n; }
    else if (n.name == "spi_out") { TRY_ASSIGN(t.spi_out, ParseSpi(n)); required[4] = &n; }
    else if (n.name == "esp_proposals") s.proposal = &n;
    else if (n.name == "encap") { TRY_ASSIGN(t.udp_encapsulation, ParseBool(n)); }
    else
      return ErrorAt(n, Code::kInvalidArgument,
                     fmt::format("unknown keyword '{}' in manual tunnel '{}' (accepted: local_addrs, remote_addrs, "
                                 "local_ts, remote_ts, spi_in, spi_out, esp_proposals, enc_key_in, enc_key_out, "
                                 "integ_key_in, integ_key_out, encap)", n.name, section.name));
  }
  constexpr std::string_view kRequired[] = {"local_addrs", "remote_addrs", "", "spi_in", "spi_out"};
  for (size_t i = 0; i < 5; ++i)
    if (!kRequired[i].empty() && required[i] == nullptr)
      return ErrorAt(section, Code::kInvalidArgument,
                     fmt::format("manual tunnel '{}' has no '{}'", section.name, kRequired[i]));
  if (!have_local_ts || !have_remote_ts || s.proposal == nullptr || s.keys[0] == nullptr || s.keys[1] == nullptr)
    return ErrorAt(section, Code::kInvalidArgument,
                   fmt::format("manual tunnel '{}' needs local_ts, remote_ts, esp_proposals, enc_key_in and enc_key_out",
                               section.name));
  if (t.local_addr.size() != t.remote_addr.size())
    return ErrorAt(*required[1], Code::kInvalidArgument, "remote_addrs: not of local_addrs' address family");
  TRY_ASSIGN(const std::vector<ike::Proposal> proposals, ParseProposalList(*s.proposal, SecurityProtocol::kEsp));
  const SettingsNode& p = *s.proposal;
  if (proposals.size() != 1) return BadValue(p, "a manual tunnel takes exactly one proposal");
  const ike::Proposal& proposal = proposals.front();
  const ike::Transform* encr = nullptr;
  const ike::Transform* integ = nullptr;
  const ike::Transform* esn = nullptr;
  for (const ike::Transform& x : proposal.transforms) {
    if (x.type == iana::TransformType::kKe && x.id != 0)
      return BadValue(p, "a manual tunnel has no key exchange (remove the KE transform)");
    //= rfc4303#section-2.2.1
    //# Whether the SA uses 64-bit sequence numbers is agreed when the SA is
    //# made: here the configuration says it for both ends (`-esn` or `-noesn`).
    if (x.type == iana::TransformType::kEsn) {
      if (esn != nullptr) return BadValue(p, "a manual tunnel takes esn or noesn, not both");
      if (x.id != static_cast<uint16_t>(iana::EsnType::kEsn) && x.id != static_cast<uint16_t>(iana::EsnType::kNoEsn))
        return BadValue(p, "a manual tunnel takes esn or noesn");
      esn = &x;
      t.esn = x.id == static_cast<uint16_t>(iana::EsnType::kEsn);
      continue;
    }
    const ike::Transform*& slot = x.type == iana::TransformType::kEncr ? encr : integ;
    if (x.type != iana::TransformType::kEncr && x.type != iana::TransformType::kInteg) continue;
    if (slot != nullptr) return BadValue(p, "a manual tunnel takes one encryption and at most one integrity algorithm");
    slot = &x;
  }
  const crypto::EncrTransform* e = encr == nullptr ? nullptr : crypto::FindEncr(static_cast<iana::Encr>(encr->id));
  if (e == nullptr) return BadValue(p, "no usable encryption algorithm");
  t.encr = e->id;
  t.encr_key_bits = encr->key_length().value_or(e->fixed_key_bits());
  t.integ = integ == nullptr ? iana::Integ::kNone : static_cast<iana::Integ>(integ->id);
  const crypto::IntegTransform* i = integ == nullptr ? nullptr : crypto::FindInteg(t.integ);
  if (integ != nullptr && i == nullptr) return BadValue(p, "no usable integrity algorithm");
  const size_t encr_size = t.encr_key_bits / 8 + e->salt_size;
  SecureBytes* targets[4] = {&t.encr_key_in, &t.encr_key_out, &t.integ_key_in, &t.integ_key_out};
  for (size_t k = 0; k < 4; ++k) {
    const size_t size = k < 2 ? encr_size : (i == nullptr ? 0 : i->key_size);
    if (s.keys[k] == nullptr) {
      if (size == 0) continue;
      return ErrorAt(section, Code::kInvalidArgument,
                     fmt::format("manual tunnel '{}' has no '{}' ({} bytes)", section.name, kKeyNames[k], size));
    }
    const SettingsNode& n = *s.keys[k];
    if (size == 0 && k < 2 && n.value.empty()) continue;  // NULL encryption (RFC 2410): no key
    if (size == 0)
      return BadValue(n, k < 2 ? "the proposal's encryption (NULL) takes no key: leave the value empty"
                               : "the proposal has no integrity algorithm");
    auto key = SecureFromHex(n.value);
    if (!key.ok()) return BadValue(n, "not hex");
    if (key->size() != size)
      return BadValue(n, fmt::format("{} bytes, the proposal needs {} (salt included)", key->size(), size));
    *targets[k] = std::move(*key);
  }
  return OkStatus();
}

}  // namespace

Status ReadManualTunnels(const SettingsNode& manual, GatewayConfig& out) {
  for (const SettingsNode& section : manual.children) {
    if (out.connections.size() + out.manual.size() >= kMaxConnections)
      return ErrorAt(section, Code::kInvalidArgument, fmt::format("more than {} connections", kMaxConnections));
    ManualTunnel t;
    TRY(ReadManual(section, t));
    out.manual.push_back(std::move(t));
  }
  return OkStatus();
}

}  // namespace ipsecref::gateway::swanctl
