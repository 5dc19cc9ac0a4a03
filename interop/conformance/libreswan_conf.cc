#include "interop/conformance/libreswan_conf.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace ipsecref::conformance {
namespace {

using ike::Proposal;
using ike::Transform;
using iana::TransformType;

Error Unsupported(std::string what) { return Error{Code::kUnsupported, kNoOffset, "", "libreswan: " + std::move(what)}; }

std::string AddressText(ByteSpan a) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.size() == 16 ? AF_INET6 : AF_INET, a.data(), text, sizeof text);
  return text;
}

// libreswan's name of an encryption transform (ipsec.conf(5), ike and esp:
// aes, aes_gcm, aes_ccm, chacha20_poly1305, the _a/_b/_c suffixes for 8,
// 12 and 16-octet ICVs, the key size after the name).
Result<std::string> EncrName(const Transform& t, bool ike) {
  const std::string bits = t.key_length() ? std::to_string(*t.key_length()) : "";
  switch (static_cast<iana::Encr>(t.id)) {
    case iana::Encr::kAesCbc: return "aes" + bits;
    case iana::Encr::kAesCtr: return "aes_ctr" + bits;
    case iana::Encr::kAesGcm8: return "aes_gcm_a" + bits;
    case iana::Encr::kAesGcm12: return "aes_gcm_b" + bits;
    case iana::Encr::kAesGcm16: return "aes_gcm" + bits;
    case iana::Encr::kChaCha20Poly1305: return std::string("chacha20_poly1305");
    case iana::Encr::kNull: return std::string("null");
    case iana::Encr::kNullAuthAesGmac: return "aes_gmac" + bits;
    case iana::Encr::kAesCcm8:
    case iana::Encr::kAesCcm12:
    case iana::Encr::kAesCcm16:
      if (ike) return Unsupported("no AES-CCM in IKE (pluto: \"IKE encryption algorithm 'aes_ccm' is not supported\")");
      return std::string(t.id == static_cast<uint16_t>(iana::Encr::kAesCcm8)    ? "aes_ccm_a"
                         : t.id == static_cast<uint16_t>(iana::Encr::kAesCcm12) ? "aes_ccm_b"
                                                                                : "aes_ccm_c") +
             bits;
    default: return Unsupported(fmt::format("no name for encryption transform {}", t.id));
  }
}

Result<std::string> IntegName(uint16_t id) {
  switch (static_cast<iana::Integ>(id)) {
    case iana::Integ::kHmacSha1_96: return std::string("sha1");
    case iana::Integ::kAesXcbc96: return std::string("aes_xcbc");
    case iana::Integ::kHmacSha2_256_128: return std::string("sha2_256");
    case iana::Integ::kHmacSha2_384_192: return std::string("sha2_384");
    case iana::Integ::kHmacSha2_512_256: return std::string("sha2_512");
    default: return Unsupported(fmt::format("no name for integrity transform {}", id));
  }
}

// A PRF by the name of the integrity algorithm it goes with.
Result<std::string> PrfName(uint16_t id) {
  switch (static_cast<iana::Prf>(id)) {
    case iana::Prf::kHmacSha1: return std::string("sha1");
    case iana::Prf::kAes128Xcbc: return std::string("aes_xcbc");
    case iana::Prf::kHmacSha2_256: return std::string("sha2_256");
    case iana::Prf::kHmacSha2_384: return std::string("sha2_384");
    case iana::Prf::kHmacSha2_512: return std::string("sha2_512");
    default: return Unsupported(fmt::format("no name for PRF {}", id));
  }
}

// "modpN" for the MODP groups, "dhN" for the others (ipsec.conf(5): "the
// dh keyword can be used instead of the modp keyword").
std::string KeName(uint16_t id) {
  switch (static_cast<iana::KeGroup>(id)) {
    case iana::KeGroup::kModp2048: return "modp2048";
    case iana::KeGroup::kModp3072: return "modp3072";
    case iana::KeGroup::kModp4096: return "modp4096";
    default: return fmt::format("dh{}", id);
  }
}

// The names of one Transform Type's transforms of `p`, joined with "+"
// (ipsec.conf(5): elements combined into one proposal).
template <typename Name>
Result<std::string> Joined(const Proposal& p, TransformType type, Name name) {
  std::string out;
  for (const Transform& t : p.transforms) {
    if (t.type != type) continue;
    TRY_ASSIGN(std::string n, name(t));
    out += (out.empty() ? "" : "+") + n;
  }
  return out;
}

bool Aead(const Proposal& p) {
  return std::none_of(p.transforms.begin(), p.transforms.end(), [](const Transform& t) {
    return t.type == TransformType::kInteg && t.id != static_cast<uint16_t>(iana::Integ::kNone);
  });
}

// One IKE proposal: ENCR-PRF;KE for an AEAD cipher, ENCR-INTEG;KE
// otherwise, where the PRF is the integrity algorithm's.
Result<std::string> IkeProposal(const Proposal& p) {
  TRY_ASSIGN(std::string encr, Joined(p, TransformType::kEncr, [](const Transform& t) { return EncrName(t, true); }));
  TRY_ASSIGN(std::string prf, Joined(p, TransformType::kPrf, [](const Transform& t) { return PrfName(t.id); }));
  TRY_ASSIGN(std::string ke, Joined(p, TransformType::kKe, [](const Transform& t) { return Result<std::string>(KeName(t.id)); }));
  if (!Aead(p)) {
    TRY_ASSIGN(std::string integ, Joined(p, TransformType::kInteg, [](const Transform& t) { return IntegName(t.id); }));
    if (integ != prf)
      return Unsupported(fmt::format("integrity {} with PRF {}: ipsec.conf(5) has the PRF follow the integrity algorithm",
                                     integ, prf));
  }
  return fmt::format("{}-{};{}", encr, prf, ke);
}

// One ESP proposal (ENCR[-INTEG][-KE]) or AH proposal (INTEG).
Result<std::string> ChildProposal(const Proposal& p) {
  TRY_ASSIGN(std::string integ, Joined(p, TransformType::kInteg, [](const Transform& t) -> Result<std::string> {
               if (t.id == static_cast<uint16_t>(iana::Integ::kNone)) return std::string("null");
               return IntegName(t.id);
             }));
  TRY_ASSIGN(std::string ke, Joined(p, TransformType::kKe, [](const Transform& t) { return Result<std::string>(KeName(t.id)); }));
  if (p.protocol_id == iana::SecurityProtocol::kAh) return integ;
  TRY_ASSIGN(std::string encr, Joined(p, TransformType::kEncr, [](const Transform& t) { return EncrName(t, false); }));
  std::string out = encr;
  if (!integ.empty() && integ != "null") out += "-" + integ;
  if (!ke.empty()) out += (integ.empty() || integ == "null" ? "-null-" : "-") + ke;
  return out;
}

// "esn=": yes when the proposals offer only ESN, no when only 32-bit
// sequence numbers, either when both.
std::string EsnOf(const std::vector<Proposal>& proposals) {
  bool esn = false, no_esn = false;
  for (const Proposal& p : proposals)
    for (const Transform& t : p.transforms)
      if (t.type == TransformType::kEsn) (t.id == 1 ? esn : no_esn) = true;
  return esn && no_esn ? "either" : esn ? "yes" : "no";
}

// leftsubnet= (an address prefix) and leftprotoport= (PROTOCOL[/PORT]).
Result<std::pair<std::string, std::string>> SubnetOf(const std::vector<ike::TrafficSelector>& list) {
  if (list.size() != 1) return Unsupported(fmt::format("{} traffic selectors in one list (one conn has one subnet)", list.size()));
  const ike::TrafficSelector& ts = list.front();
  const Bytes& a = ts.starting_address;
  const Bytes& b = ts.ending_address;
  if (!ts.address_range() || a.size() != b.size()) return Unsupported("a traffic selector that is no address range");
  // The prefix: a and b agree on the first bits, a has zeros and b ones after.
  size_t bits = a.size() * 8;
  for (size_t i = 0; i < a.size() * 8; ++i) {
    const bool x = (a[i / 8] >> (7 - i % 8)) & 1, y = (b[i / 8] >> (7 - i % 8)) & 1;
    if (x != y) {
      bits = i;
      break;
    }
  }
  for (size_t i = bits; i < a.size() * 8; ++i)
    if (((a[i / 8] >> (7 - i % 8)) & 1) != 0 || ((b[i / 8] >> (7 - i % 8)) & 1) != 1)
      return Unsupported(fmt::format("the range {}-{} is no address prefix", AddressText(a), AddressText(b)));
  std::string protoport;
  if (ts.ip_protocol_id != 0) {
    protoport = std::to_string(ts.ip_protocol_id);
    if (ts.start_port == ts.end_port) protoport += "/" + std::to_string(ts.start_port);
    else if (!(ts.start_port == 0 && ts.end_port == 65535)) return Unsupported("a port range other than one port or all");
  } else if (!(ts.start_port == 0 && ts.end_port == 65535)) {
    return Unsupported("ports without a protocol");
  }
  return std::make_pair(fmt::format("{}/{}", AddressText(a), bits), protoport);
}

// An identity as leftid= takes it: "@" before an FQDN keeps pluto from
// resolving it (ipsec.conf(5), leftid).
Result<std::string> IdText(const ike::IdPayload& id) {
  const Bytes& d = id.identification_data;
  switch (id.id_type) {
    case iana::IdType::kFqdn: return "@" + std::string(d.begin(), d.end());
    case iana::IdType::kRfc822Addr: return std::string(d.begin(), d.end());
    case iana::IdType::kIpv4Addr:
    case iana::IdType::kIpv6Addr: return AddressText(d);
    default: return Unsupported("an identity of another type than FQDN, RFC822 or IP address");
  }
}

}  // namespace

//= ipsecref#choice
//# Rekeying on time is off (rekey=no) and every conn is only added
//# (auto=add): a run lasts seconds, and only the case's drive steps may
//# create, rekey or delete. No updown script runs (leftupdown=%disabled:
//# the default `ipsec _updown` would find strongSwan's `ipsec` on PATH);
//# the target routes the IUT's traffic to the tester itself.
Result<LibreswanFiles> LibreswanConf(const ike::sa::IkeConfig& c, ByteSpan local, ByteSpan remote) {
  if (c.local_auth.method != iana::AuthMethod::kSharedKeyMic || c.remote_auth.method != iana::AuthMethod::kSharedKeyMic)
    return Unsupported("the generated ipsec.conf authenticates with a PSK only");
  if (c.children.empty()) return Unsupported("a configuration without a CHILD SA (every conn names its subnets)");
  TRY_ASSIGN(std::string local_id, IdText(c.local_id));
  TRY_ASSIGN(std::string remote_id, IdText(c.remote_id));
  std::string ike;
  for (const Proposal& p : c.proposals) {
    TRY_ASSIGN(std::string one, IkeProposal(p));
    ike += (ike.empty() ? "" : ",") + one;
  }
  LibreswanFiles files;
  files.ipsec_conf = "config setup\n\tplutodebug=base\n";
  for (const ike::sa::ChildConfig& child : c.children) {
    TRY_ASSIGN(auto left, SubnetOf(child.local_ts));
    TRY_ASSIGN(auto right, SubnetOf(child.remote_ts));
    std::string proposals;
    bool ah = false, pfs = false;
    for (const Proposal& p : child.proposals) {
      TRY_ASSIGN(std::string one, ChildProposal(p));
      proposals += (proposals.empty() ? "" : ",") + one;
      ah = ah || p.protocol_id == iana::SecurityProtocol::kAh;
      pfs = pfs || std::any_of(p.transforms.begin(), p.transforms.end(),
                               [](const Transform& t) { return t.type == TransformType::kKe; });
    }
    files.ipsec_conf += fmt::format(
        "\nconn {}\n\tikev2=yes\n\tauthby=secret\n\tleft={}\n\tleftid={}\n\tleftsubnet={}\n", child.name,
        AddressText(local), local_id, left.first);
    if (!left.second.empty()) files.ipsec_conf += fmt::format("\tleftprotoport={}\n", left.second);
    files.ipsec_conf += fmt::format("\tright={}\n\trightid={}\n\trightsubnet={}\n", AddressText(remote), remote_id,
                                    right.first);
    if (!right.second.empty()) files.ipsec_conf += fmt::format("\trightprotoport={}\n", right.second);
    files.ipsec_conf += fmt::format(
        "\tike={}\n\tphase2={}\n\tesp={}\n\tpfs={}\n\tesn={}\n\ttype={}\n\tfragmentation={}\n\trekey=no\n"
        "\tleftupdown=%disabled\n\tauto=add\n",
        ike, ah ? "ah" : "esp", proposals, pfs ? "yes" : "no", EsnOf(child.proposals),
        child.transport_mode ? "transport" : "tunnel", c.fragmentation ? "yes" : "no");
  }
  files.ipsec_secrets = fmt::format("{} {} : PSK 0x{}\n", local_id, remote_id, ToHex(c.local_auth.psk));
  return files;
}

}  // namespace ipsecref::conformance
