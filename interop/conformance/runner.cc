#include "interop/conformance/runner.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "interop/exchange/capture.h"
#include "reference/ike/sa/ike_sa.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/sa/traffic_selectors.h"
#include "reference/io/pcap_writer.h"

extern char** environ;

namespace ipsecref::conformance {

using ike::sa::AuthConfig;
using ike::sa::AuthRound;
using ike::sa::IkeConfig;
using ike::sa::IkeSa;
using ike::sa::IkeState;
using ike::sa::Peer;
using ike::sa::Time;

std::string_view Name(Verdict v) {
  static constexpr std::string_view kNames[] = {"pass", "fail", "unsupported", "inconclusive", "expected-fail",
                                                "unexpected-pass"};
  return kNames[static_cast<size_t>(v)];
}

size_t Report::Count(Verdict v) const {
  size_t n = 0;
  for (const RunResult& r : results) n += r.verdict == v ? 1 : 0;
  return n;
}

bool Mutation::killed() const {
  for (const auto& [fault, failed] : faults)
    if (failed) return true;
  return false;
}

namespace {

//= ipsecref#choice
//# Every run settles for ten minutes of (fake) time after each step: past
//# every retransmission of the reference's schedule (4 s, growing by 1.8,
//# five tries) and the half-open timeout, so that a silent drop is told
//# from a late answer.
constexpr Time kHorizon = 600'000;

// --- configuration variants ("setup") -----------------------------------------

// A setup string changes both ends' configurations (or one end's, with a
// "tester-" or "iut-" prefix). What each one means is the table below;
// "ike=PROPOSALS", "esp=PROPOSALS" and "ah=PROPOSALS" take ParseProposals'
// syntax.
struct Setup {
  std::string_view name;
  std::string_view meaning;
  // `initiator`: whether `c` is the configuration of the end that initiates.
  void (*apply)(IkeConfig& c, std::string_view arg, bool initiator);
};

// The EAP user of the remote-access setups and its password.
constexpr std::string_view kEapUser = "carol";
constexpr std::string_view kEapPassword = "carol's EAP password";

// EAP (RFC 7296 §2.16) with `methods`: the initiator is the EAP peer
// `kEapUser` with `password`, the responder the authenticator (asking the
// EAP identity) that knows the user's password. `auth` is the round's.
void UseEap(AuthConfig& auth, std::vector<eap::Type> methods, bool initiator, std::string_view password = kEapPassword) {
  auth.eap_methods = std::move(methods);
  if (initiator) {
    auth.eap_peer.identity = std::string(kEapUser);
    auth.eap_peer.secret = SecureBytes(password.begin(), password.end());
    return;
  }
  auth.eap_ask_identity = true;
  auth.eap_authenticator.secret_for = [](std::string_view user) -> std::optional<SecureBytes> {
    if (user != kEapUser) return std::nullopt;
    return SecureBytes(kEapPassword.begin(), kEapPassword.end());
  };
  auth.eap_authenticator.gtc_check = [](std::string_view user, ByteSpan answer) -> Status {
    ENSURE(user == kEapUser && answer.size() == kEapPassword.size() &&
               std::equal(answer.begin(), answer.end(), kEapPassword.begin()),
           kAuthenticationFailed, kNoOffset, "rfc3748#section-5.6", "wrong GTC password");
    return OkStatus();
  };
}
std::vector<eap::Type> EapMethods(std::string_view arg) {
  if (arg == "gtc") return {eap::Type::kGtc};
  if (arg == "md5") return {eap::Type::kMd5Challenge};
  return {eap::Type::kMsChapV2};
}

const Setup kSetups[] = {
    {"ecp256", "IKE proposal AES-GCM-16/128, PRF-HMAC-SHA2-256, ECP-256",
     [](IkeConfig& c, std::string_view, bool) {
       c.proposals = *ike::sa::ParseProposals("aes128gcm16-prfsha256-ecp256", iana::SecurityProtocol::kIke);
     }},
    {"fragments", "IKE fragmentation at 200 octets (RFC 7383)", [](IkeConfig& c, std::string_view, bool) { c.fragment_mtu = 200; }},
    {"no-fragmentation", "IKE fragmentation not offered", [](IkeConfig& c, std::string_view, bool) { c.fragmentation = false; }},
    {"cookie", "COOKIE demanded of every IKE_SA_INIT request (threshold 0)",
     [](IkeConfig& c, std::string_view, bool) { c.cookie_threshold = 0; }},
    {"childless", "IKE SAs without a CHILD SA (RFC 6023)", [](IkeConfig& c, std::string_view, bool) { c.childless = true; }},
    {"window2", "a window of two requests", [](IkeConfig& c, std::string_view, bool) { c.window_size = 2; }},
    {"pfs", "ESP proposals with Curve25519 (a KE in CREATE_CHILD_SA)",
     [](IkeConfig& c, std::string_view, bool) {
       for (auto& child : c.children)
         child.proposals = *ike::sa::ParseProposals("aes128gcm16-x25519", iana::SecurityProtocol::kEsp);
     }},
    {"ike", "these IKE proposals",
     [](IkeConfig& c, std::string_view arg, bool) {
       c.proposals = *ike::sa::ParseProposals(arg, iana::SecurityProtocol::kIke);
     }},
    {"esp", "these ESP proposals",
     [](IkeConfig& c, std::string_view arg, bool) {
       for (auto& child : c.children) child.proposals = *ike::sa::ParseProposals(arg, iana::SecurityProtocol::kEsp);
     }},
    {"ah", "CHILD SAs of AH (RFC 4302) with these proposals, instead of ESP",
     [](IkeConfig& c, std::string_view arg, bool) {
       for (auto& child : c.children) child.proposals = *ike::sa::ParseProposals(arg, iana::SecurityProtocol::kAh);
     }},
    {"second-child", "a second CHILD SA configuration (10.3.0.0/16 and 10.4.0.0/16) for CREATE_CHILD_SA", nullptr},
    {"eap", "the initiator authenticates with EAP (RFC 7296 §2.16): eap=mschapv2 (the default), gtc or md5; the "
            "responder asks the EAP identity, the user is carol",
     [](IkeConfig& c, std::string_view arg, bool initiator) {
       UseEap(initiator ? c.local_auth : c.remote_auth, EapMethods(arg), initiator);
     }},
    {"eap-wrong-password", "with setup eap: the initiator's EAP password is not the one the responder knows",
     [](IkeConfig& c, std::string_view, bool initiator) {
       if (initiator) c.local_auth.eap_peer.secret = SecureBytes{'w', 'r', 'o', 'n', 'g'};
     }},
    {"two-rounds", "multiple authentication (RFC 4739): the PSK, then EAP-GTC with carol's password",
     [](IkeConfig& c, std::string_view, bool initiator) {
       AuthRound second;
       UseEap(second.auth, {eap::Type::kGtc}, initiator);
       (initiator ? c.local_rounds : c.remote_rounds).push_back(std::move(second));
     }},
    {"vip", "the initiator asks for a virtual IPv4 address (RFC 7296 §2.19), the responder leases one from 10.3.0.0/24 "
            "with the DNS server 10.1.0.53; the initiator's traffic selector is the address",
     [](IkeConfig& c, std::string_view, bool initiator) {
       for (auto& child : c.children)
         (initiator ? child.configured_local_ts : child.configured_remote_ts) =
             *ike::sa::ParseConfiguredSelectors("dynamic");
       if (initiator) c.vips = {Bytes(4, 0)};
       else c.pools = {*ike::sa::AddressPool::Create("rw", "10.3.0.0/24", {Bytes{10, 1, 0, 53}})};
     }},
    {"nat", "the tester behind a NAT (RFC 7296 §2.23); iut-nat: the IUT behind it", nullptr},
    {"cert-ecdsa", "ECDSA P-256 with SHA-256 signatures (RFC 7427) and the ee-p256 chain of vectors/x509/", nullptr},
    {"cert-rsa", "RSASSA-PKCS1-v1_5 with SHA-256 signatures (RFC 7427) and the ee-rsa-pkcs1 chain of vectors/x509/",
     nullptr},
    {"cert-rsa-pss", "RSASSA-PSS with SHA-256 signatures (RFC 7427) and the ee-rsa-pss chain of vectors/x509/", nullptr},
    {"cert-ed25519", "Ed25519 signatures (RFC 7427, RFC 8420) and the ee-ed25519 chain of vectors/x509/", nullptr},
};

// The certificate setups: the end signs with the family's end-entity key
// (AUTH method 14), sends its chain, and trusts the family's CA.
struct CertificateSetup {
  std::string_view setup, family;
  crypto::SignatureScheme scheme;
};
constexpr CertificateSetup kCertificateSetups[] = {
    {"cert-ecdsa", "p256", crypto::SignatureScheme::kEcdsaP256Sha256},
    {"cert-rsa", "rsa-pkcs1", crypto::SignatureScheme::kRsaPkcs1Sha256},
    {"cert-rsa-pss", "rsa-pss", crypto::SignatureScheme::kRsaPssSha256},
    {"cert-ed25519", "ed25519", crypto::SignatureScheme::kEd25519},
};

const CertificateSetup* FindCertificateSetup(std::string_view name) {
  for (const CertificateSetup& c : kCertificateSetups)
    if (c.setup == name) return &c;
  return nullptr;
}

// The feature a target needs to honour a setup: a target without it
// reports the run unsupported rather than running it otherwise configured.
constexpr std::pair<std::string_view, std::string_view> kSetupFeatures[] = {
    {"ecp256", "ecp256"},       {"fragments", "fragmentation"}, {"cookie", "cookies"},
    {"childless", "childless"}, {"window2", "window2"},         {"pfs", "pfs"},
    {"second-child", "second-child"}, {"nat", "nat-traversal"}, {"cert-ecdsa", "certificates"},
    {"cert-rsa", "certificates"}, {"cert-rsa-pss", "certificates"}, {"cert-ed25519", "certificates"},
    {"ah", "ah"}, {"eap", "eap"}, {"eap-wrong-password", "eap"}, {"two-rounds", "multiple-auth"},
    {"vip", "virtual-ip"},
};

// Every feature a case may need and a target may have.
struct Feature {
  std::string_view name;
  std::string_view meaning;
};
constexpr Feature kFeatures[] = {
    {"initiate", "the IUT can be made to start an IKE SA (cases with the IUT as initiator)"},
    {"iut-operations", "every `iut:OP` drive step (otherwise `iut:OP` names each one the IUT can be made to do)"},
    {"fragmentation", "RFC 7383 IKE fragmentation"},
    {"cookies", "the IUT asks for a COOKIE (RFC 7296 §2.6) when the tester's setup says so"},
    {"childless", "RFC 6023 childless IKE SAs"},
    {"nat-traversal", "a NAT between the ends (RFC 7296 §2.23, RFC 3948)"},
    {"ecp256", "the 256-bit random ECP group (19)"},
    {"modp", "the 2048-bit MODP group (14) in IKE_SA_INIT"},
    {"cbc", "ESP AES-CBC with HMAC-SHA2-256 (the ESP dataplane's padding cases)"},
    {"pfs", "a key exchange in CREATE_CHILD_SA for CHILD SAs"},
    {"window2", "a window of two outstanding requests (SET_WINDOW_SIZE)"},
    {"second-child", "a second CHILD SA configuration (10.3.0.0/16 <-> 10.4.0.0/16)"},
    {"certificates", "authentication with certificates (ECDSA, RSA, RSA-PSS, Ed25519)"},
    {"invalid-ike-spi", "the IUT takes the MAY of RFC 7296 §2.21.4: INVALID_IKE_SPI for an unknown IKE SPI"},
    {"esp-dataplane", "the tester's ESP path through a negotiated CHILD SA (tester:esp=SPEC)"},
    {"ah", "CHILD SAs of AH (RFC 4302) and the tester's AH path through them (tester:ah=SPEC; the reference target "
           "and the kernel targets, whose AH gets the tester's outer IPv4 header as built)"},
    {"anti-replay", "the IUT's ESP anti-replay window can be seen (RFC 4303 §3.4.3)"},
    {"esn", "ESP extended sequence numbers"},
    {"tfc", "ESP traffic flow confidentiality padding and dummy packets"},
    {"faults", "the reference's faults (--mutation)"},
    {"eap", "EAP in IKE_AUTH (RFC 7296 §2.16) with the user carol (setup eap: MSCHAPv2, GTC, MD5)"},
    {"multiple-auth", "multiple authentication exchanges (RFC 4739): the PSK, then EAP-GTC"},
    {"virtual-ip", "virtual IPs by configuration payloads (RFC 7296 §2.19, §3.15)"},
};

}  // namespace

bool IsFeature(std::string_view name) {
  if (name.starts_with("iut:"))
    return std::find(std::begin(kIutOperations), std::end(kIutOperations), name.substr(4)) != std::end(kIutOperations);
  return std::any_of(std::begin(kFeatures), std::end(kFeatures), [&](const Feature& f) { return f.name == name; });
}

std::string FeatureTableMarkdown() {
  std::string out = "| feature | the IUT has |\n|---|---|\n";
  for (const Feature& f : kFeatures) out += fmt::format("| `{}` | {} |\n", f.name, f.meaning);
  out += fmt::format("| `iut:OP` | the `iut:OP` drive step, for OP one of {} |\n", fmt::join(kIutOperations, ", "));
  return out;
}

namespace {

std::string_view FeatureOfSetup(std::string_view name) {
  for (const auto& [setup, feature] : kSetupFeatures)
    if (setup == name) return feature;
  return {};
}

struct ParsedSetup {
  const Setup* setup = nullptr;
  std::string side;  // "", "tester", "iut"
  std::string arg;
};

Result<ParsedSetup> ParseSetup(std::string_view text) {
  ParsedSetup p;
  for (std::string_view side : {"tester-", "iut-"})
    if (text.starts_with(side)) {
      p.side = std::string(side.substr(0, side.size() - 1));
      text.remove_prefix(side.size());
    }
  const size_t eq = text.find('=');
  const std::string_view name = text.substr(0, eq);
  if (eq != std::string_view::npos) p.arg = std::string(text.substr(eq + 1));
  for (const Setup& s : kSetups)
    if (s.name == name) p.setup = &s;
  ENSURE(p.setup != nullptr, kInvalidArgument, kNoOffset, "", fmt::format("unknown setup '{}'", text));
  if (p.setup->name == "ike" || p.setup->name == "esp" || p.setup->name == "ah") {
    auto parsed = ike::sa::ParseProposals(p.arg, p.setup->name == "ike"   ? iana::SecurityProtocol::kIke
                                                 : p.setup->name == "ah" ? iana::SecurityProtocol::kAh
                                                                         : iana::SecurityProtocol::kEsp);
    ENSURE(parsed.ok(), kInvalidArgument, kNoOffset, "",
           fmt::format("setup '{}': {}", text, parsed.ok() ? "" : parsed.error().detail));
  }
  return p;
}

void AddSecondChild(IkeConfig& c, bool initiator_side) {
  ike::sa::ChildConfig other = c.children.front();
  other.name = "other";
  other.local_ts = *ike::sa::ParseTrafficSelectors(initiator_side ? "10.3.0.0/16" : "10.4.0.0/16");
  other.remote_ts = *ike::sa::ParseTrafficSelectors(initiator_side ? "10.4.0.0/16" : "10.3.0.0/16");
  c.children.push_back(std::move(other));
}

}  // namespace

// --- the tester's operations ("drive") ----------------------------------------

Status Operate(Peer& p, std::string_view op) {
  IkeSa* sa = EstablishedSa(p);
  ENSURE(sa != nullptr, kUnsupported, kNoOffset, "", fmt::format("{}: no established IKE SA", op));
  const uint64_t spi = sa->local_spi();
  uint32_t child = 0;
  for (const ike::sa::ChildSa& c : sa->children)
    if (c.state == ike::sa::ChildState::kInstalled) child = child != 0 ? child : c.spi_in;
  if (op == "child-create") return p.CreateChild(spi, sa->config().children.size() > 1 ? 1 : 0);
  if (op == "child-rekey") return child != 0 ? p.RekeyChild(spi, child) : Error{Code::kUnsupported, kNoOffset, "", "no CHILD SA"};
  if (op == "child-delete") return child != 0 ? p.DeleteChild(spi, child) : Error{Code::kUnsupported, kNoOffset, "", "no CHILD SA"};
  if (op == "ike-rekey") return p.RekeyIke(spi);
  if (op == "ike-delete") return p.DeleteIke(spi);
  if (op == "liveness") return p.CheckLiveness(spi);
  if (op == "reauthenticate") return p.Reauthenticate(spi).ok() ? OkStatus() : Error{Code::kUnsupported, kNoOffset, "", "reauthentication refused"};
  return Error{Code::kInvalidArgument, kNoOffset, "", fmt::format("unknown operation '{}'", op)};
}

uint64_t SeedOf(std::string_view id) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: a run's seed from its id, the same every time
  for (char c : id) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

// The peer's first ESTABLISHED IKE SA, or nullptr.
IkeSa* EstablishedSa(Peer& p) {
  for (IkeSa* sa : p.IkeSas())
    if (sa->state == IkeState::kEstablished) return sa;
  return nullptr;
}

void MergeEsp(const dataplane::Link& link, Time start, Observation& o) {
  const std::vector<std::pair<size_t, size_t>>& marks = link.steps();
  std::vector<Observed> merged;
  size_t esp = 0, step = 0;
  auto emit_until = [&](size_t ike) {
    for (; esp < link.wire().size(); ++esp) {
      while (step + 1 < marks.size() && marks[step + 1].second <= esp) ++step;
      if (marks[step].first > ike) return;
      const dataplane::WirePacket& p = link.wire()[esp];
      Observed w;
      w.at = p.at - start;
      w.from_iut = p.from_iut;
      w.lost = p.lost;
      w.text = p.text;
      w.esp = true;
      w.message = p.packet;
      merged.push_back(std::move(w));
    }
  };
  for (size_t i = 0; i < o.wire.size(); ++i) {
    emit_until(i);
    merged.push_back(std::move(o.wire[i]));
  }
  emit_until(SIZE_MAX);
  for (size_t k = 0; k < merged.size(); ++k) merged[k].number = k + 1;
  o.wire = std::move(merged);
  o.esp_probes = link.probes();
  o.esp_replies = link.replies();
  o.esp_notes = link.notes();
}

Result<RunSetup> SetupOf(const Run& run, const std::vector<std::string>& faults, const IkeConfig* tester_base) {
  RunSetup r;
  r.iut_initiates = run.c->role == "initiator";
  const std::string tester_side = r.iut_initiates ? "responder" : "initiator";
  const std::string iut_side = r.iut_initiates ? "initiator" : "responder";
  for (const std::string& f : faults) {
    if (f == "lenient") r.lenient = true;
    else if (dataplane::IsHostFault(f)) r.host_faults.push_back(f);
    else r.deviations.push_back(iut_side + ":" + f);
  }
  if (!r.lenient)
    for (const std::string& t : run.tester) r.deviations.push_back(tester_side + ":" + t);
  r.initiator = testing::PskInitiatorConfig();
  r.responder = testing::PskResponderConfig();
  if (tester_base != nullptr) r.tester() = *tester_base;
  for (const std::string& text : run.setup) {
    TRY_ASSIGN(ParsedSetup p, ParseSetup(text));
    if (p.setup->name == "nat") {
      r.nat = p.side == "iut" ? "iut" : "tester";
      continue;
    }
    if (FindCertificateSetup(p.setup->name) != nullptr) {
      r.certificates.emplace_back(std::string(p.setup->name), p.side);
      continue;
    }
    if (p.setup->name == "second-child") {
      AddSecondChild(r.initiator, true);
      AddSecondChild(r.responder, false);
      continue;
    }
    if (p.setup->apply == nullptr) continue;
    if (p.side != "iut") p.setup->apply(r.tester(), p.arg, !r.iut_initiates);
    if (p.side != "tester") p.setup->apply(r.iut(), p.arg, r.iut_initiates);
  }
  return r;
}

Observation Conduct(const Run& run, exchange::Session& s, RunDriver& driver) {
  const bool iut_initiates = run.c->role == "initiator";
  testing::Exchange& x = s.x();
  Peer& tester = iut_initiates ? x.responder() : x.initiator();
  const Time start = x.clock().Now();
  if (iut_initiates) driver.InitiateIut();
  else tester.Initiate();
  driver.Settle();
  Observation o;
  if (IkeSa* sa = EstablishedSa(tester)) {
    o.first_spi_i = sa->spi_i;
    for (const auto& c : sa->children) o.first_children.insert(c.spi_in);
  }
  std::vector<std::string> esp_errors;
  for (const std::string& step : run.drive) {
    const size_t colon = step.find(':');
    const std::string who = step.substr(0, colon);
    const std::string what = colon == std::string::npos ? "" : step.substr(colon + 1);
    // An operation that cannot start (no IKE SA) leaves the run to be
    // judged on what happened: the checks say whether that was right.
    if (who == "wait") {
      driver.Wait(static_cast<Time>(std::stoull(what)));
    } else if (who == "tester" && dataplane::IsDataplaneStep(what)) {
      // What the tester could not send fails the ESP checks, with the reason.
      if (Status sent = driver.SendEsp(what); !sent)
        esp_errors.push_back(fmt::format("{}: {}", step, sent.error().ToString()));
    } else if (who == "tester") {
      (void)Operate(tester, what);
    } else if (who == "iut") {
      (void)driver.OperateIut(what);
    } else if (who == "both") {
      // Both ends start the operation before either hears from the other:
      // their requests cross (the collisions of RFC 7296 §2.8.1, §2.8.2, §2.25).
      (void)Operate(tester, what);
      (void)driver.OperateIut(what);
    }
    driver.Settle();
  }
  // The closing liveness check: does the IUT still answer on the IKE SA
  // the tester holds?
  if (IkeSa* sa = EstablishedSa(tester)) {
    const size_t before = x.network().captured.size();
    if (tester.CheckLiveness(sa->local_spi()).ok()) {
      driver.Settle();
      o.probe_answered = false;
      // The tester's first INFORMATIONAL request from here on is the
      // probe; an IUT response with its Message ID answers it.
      std::optional<uint32_t> id;
      const auto& captured = x.network().captured;
      for (size_t k = before; k < captured.size(); ++k) {
        const ike::sa::Datagram& d = captured[k].datagram;
        const auto h = ike::PeekHeader(exchange::IkeMessageOf(d));
        if (!h || h->exchange_type != iana::ExchangeType::kInformational) continue;
        // The IUT's datagrams go to the tester (through the NAT when the tester is behind it).
        const auto& nat = x.network().nat;
        const bool tester_behind_nat = nat && nat->inside_address.address == tester.local().address;
        const bool from_iut = d.destination.address == tester.local().address ||
                              (tester_behind_nat && d.destination.address == nat->outside.address);
        if (!from_iut && !h->response() && !id) id = h->message_id;
        if (from_iut && h->response() && id && h->message_id == *id) o.probe_answered = true;
      }
    }
  }
  s.Finish();
  o.established = false;
  o.ike_sas = tester.IkeSas().size();
  if (IkeSa* sa = EstablishedSa(tester)) {
    o.established = true;
    o.final_spi_i = sa->spi_i;
    o.final_spi_r = sa->spi_r;
    for (const auto& c : sa->children) {
      o.final_children.insert(c.spi_in);
      ++o.children;
    }
  }
  for (const ike::sa::Event& e : tester.events()) o.tester_log.push_back(e.text);
  std::vector<ike::MessageKeys> keys;
  for (const auto& [id, rec] : s.ike_sas()) {
    const io::Ikev2Keys& k = rec.keys;
    keys.push_back({ike::SkKeys{k.encr, k.encr_key_bits, k.integ, k.sk_ei, k.sk_ai},
                    ike::SkKeys{k.encr, k.encr_key_bits, k.integ, k.sk_er, k.sk_ar}});
  }
  for (const exchange::CapturedDatagram& d : s.datagrams()) {
    if (d.at < start) continue;  // an earlier run of a kept session
    Observed w;
    w.number = o.wire.size() + 1;
    w.at = d.at - start;
    w.from_iut = iut_initiates ? d.from_initiator : !d.from_initiator;
    w.lost = d.note.find("lost") != std::string::npos;
    const ByteSpan m = exchange::IkeMessageOf(d.datagram);
    w.message.assign(m.begin(), m.end());
    w.source_port = d.datagram.source.port;
    w.destination_port = d.datagram.destination.port;
    w.opened = deviations::Open(w.message, keys);
    w.text = deviations::Describe(w.message, keys);
    o.wire.push_back(std::move(w));
  }
  driver.Complete(o);
  o.esp_notes.insert(o.esp_notes.end(), esp_errors.begin(), esp_errors.end());
  return o;
}

namespace {

// --- the reference target -------------------------------------------------------

// The reference IUT's side of a run, in fake time; the ESP dataplane's
// reference host (dataplane.h) when the run has tester:esp steps.
class FakeTimeDriver final : public RunDriver {
 public:
  FakeTimeDriver(exchange::Session& s, Peer& tester, Peer& iut, const RunSetup& setup, uint64_t seed)
      : s_(s), tester_(tester), iut_(iut), setup_(setup), seed_(seed) {}
  void Settle() override { s_.Settle(kHorizon); }
  void InitiateIut() override { iut_.Initiate(); }
  Status OperateIut(std::string_view op) override { return Operate(iut_, op); }
  void Wait(Time ms) override {
    s_.x().clock().Advance(ms);
    for (Peer* p : {&s_.x().initiator(), &s_.x().responder()}) p->Tick();
  }
  Status SendEsp(std::string_view text) override {
    testing::Exchange& x = s_.x();
    if (!link_) {
      TRY_ASSIGN(host_, dataplane::MakeReferenceHost(setup_.host_faults, seed_ + 1));
      link_ = std::make_unique<dataplane::Link>(*host_, x.network().nat, seed_ + 2, setup_.lenient);
    }
    TRY_ASSIGN(dataplane::EspSpec spec, dataplane::ParseEspSpec(text));
    link_->Send(spec, EstablishedSa(tester_), EstablishedSa(iut_), x.clock().Now(), x.network().captured.size());
    return OkStatus();
  }
  void Complete(Observation& o) override {
    if (link_) MergeEsp(*link_, run_start_, o);
  }
  void set_run_start(Time t) { run_start_ = t; }

 private:
  exchange::Session& s_;
  Peer& tester_;
  Peer& iut_;
  const RunSetup& setup_;
  uint64_t seed_;
  Time run_start_ = 0;
  std::unique_ptr<dataplane::Iut> host_;
  std::unique_ptr<dataplane::Link> link_;
};

class ReferenceTarget final : public Target {
 public:
  explicit ReferenceTarget(std::string vectors_dir) : vectors_dir_(std::move(vectors_dir)) {}
  std::string name() const override { return "reference"; }
  const std::set<std::string>& features() const override {
    static const std::set<std::string> f = {"initiate", "iut-operations", "fragmentation", "cookies", "childless",
                                            "nat-traversal", "ecp256", "pfs", "window2", "faults",
                                            "modp", "cbc", "second-child", "certificates", "invalid-ike-spi",
                                            "esp-dataplane", "anti-replay", "esn", "tfc", "ah", "eap",
                                            "multiple-auth", "virtual-ip"};
    return f;
  }

  Result<Observation> Execute(const Run& run, const std::vector<std::string>& faults, exchange::Session* keep) override {
    TRY_ASSIGN(RunSetup setup, SetupOf(run, faults));
    std::unique_ptr<exchange::Session> own;
    exchange::Session* s = keep;
    if (s == nullptr) {
      own = std::make_unique<exchange::Session>(SeedOf(run.id), setup.deviations);
      s = own.get();
    }
    if (!setup.certificates.empty()) {
      ENSURE(!vectors_dir_.empty(), kInvalidArgument, kNoOffset, "",
             fmt::format("case '{}': the certificate setups need the vectors directory", run.id));
      s->set_data_dir(vectors_dir_);
      for (const auto& [name, side] : setup.certificates) {
        const CertificateSetup& c = *FindCertificateSetup(name);
        if (side != "iut") setup.tester() = exchange::WithCertificate(*s, setup.tester(), c.family, c.scheme, c.family);
        if (side != "tester") setup.iut() = exchange::WithCertificate(*s, setup.iut(), c.family, c.scheme, c.family);
      }
      ENSURE(s->failures().empty(), kInvalidArgument, kNoOffset, "",
             fmt::format("case '{}': {}", run.id, s->failures().empty() ? "" : s->failures().front()));
    }
    testing::Exchange& x = s->Start(setup.initiator, setup.responder);
    if (s->deviation_error()) return *s->deviation_error();
    Peer& tester = setup.iut_initiates ? x.responder() : x.initiator();
    Peer& iut = setup.iut_initiates ? x.initiator() : x.responder();
    if (!setup.nat.empty())
      x.network().nat =
          testing::Nat{{(setup.nat == "iut" ? iut : tester).local().address, 0}, {Bytes{198, 51, 100, 1}, 31000}};
    FakeTimeDriver driver(*s, tester, iut, setup, SeedOf(run.id));
    driver.set_run_start(x.clock().Now());
    return Conduct(run, *s, driver);
  }

 private:
  std::string vectors_dir_;
};

// --- expected results -------------------------------------------------------------

std::string Sanitized(std::string_view id) {
  std::string s(id);
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') c = '_';
  return s;
}

std::vector<std::string> LadderOf(const Observation& o) {
  std::vector<std::string> out;
  for (const Observed& w : o.wire)
    out.push_back(fmt::format("{:3} {:4}.{:03} {} {}{}", w.number, w.at / 1000, w.at % 1000,
                              w.from_iut ? "<-- IUT   " : "    T --> ", w.text, w.lost ? "  (lost)" : ""));
  return out;
}

}  // namespace

// Writes the run's capture and keys under `dir` and runs `ipsecref check`
// on them; returns its verdict line.
std::string KeepEvidence(const exchange::Session& s, const std::string& dir, const std::string& ipsecref,
                         RunResult& result, const Observation& o) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fmt::format("cannot create {}: {}", dir, ec.message());
  const std::string pcap = (fs::path(dir) / "run.pcap").string();
  auto writer = io::PcapWriter::Create(pcap, io::TimestampResolution::kMicroseconds);
  if (!writer) return "cannot write " + pcap + ": " + writer.error().ToString();
  // The datagrams in the order the run's wire shows them, with the ESP
  // packets of the dataplane where they were sent (stamped with the time of
  // the datagram before them).
  const auto& datagrams = s.datagrams();
  size_t next = 0;
  io::Timestamp last{};
  for (const Observed& w : o.wire) {
    if (!w.esp && next == datagrams.size()) continue;
    if (!w.esp) last = exchange::TimestampOf(datagrams[next]);
    const Bytes frame = w.esp ? w.message : exchange::FrameOf(datagrams[next++]);
    if (Status st = (*writer)->Write(last, frame); !st) return "cannot write " + pcap + ": " + st.error().ToString();
  }
  for (; next < datagrams.size(); ++next)
    if (Status st = (*writer)->Write(exchange::TimestampOf(datagrams[next]), exchange::FrameOf(datagrams[next])); !st)
      return "cannot write " + pcap + ": " + st.error().ToString();
  if (Status st = (*writer)->Close(); !st) return "cannot write " + pcap + ": " + st.error().ToString();
  auto keys = exchange::KeyFilesOf(s);
  if (!keys) return "no key files: " + keys.error().ToString();
  for (const auto& [name, text] : {std::pair{"ikev2_decryption_table", &keys->ikev2_table},
                                   std::pair{"esp_sa", &keys->esp_sa}, std::pair{"keys.json", &keys->keys_json}}) {
    std::ofstream f(fs::path(dir) / name);
    f << *text;
    if (!f) return fmt::format("cannot write {}/{}", dir, name);
  }
  result.pcap = pcap;
  result.keys_dir = dir;
  if (ipsecref.empty()) return "";
  // `ipsecref check` re-judges the capture; its summary goes to check.txt.
  const std::string out = (fs::path(dir) / "check.txt").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> args = {ipsecref, "check", pcap, "--keys", dir};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, ipsecref.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fmt::format("cannot run {}: {}", ipsecref, std::strerror(rc));
  int status = 0;
  waitpid(pid, &status, 0);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return fmt::format("ipsecref check: exit {} ({}; {})", code,
                     code == 0 ? "every packet as it should be" : "findings, see check.txt", out);
}

namespace {

bool Matches(const std::string& glob, const std::string& id) {
  return glob.empty() || fnmatch(glob.c_str(), id.c_str(), 0) == 0;
}

bool Wanted(const Run& r, const RunOptions& o) {
  if (!o.role.empty() && r.c->role != o.role) return false;
  if (o.cases_glob.empty()) return true;
  // Several globs, comma-separated; a glob matches the run id or its case id.
  std::stringstream globs(o.cases_glob);
  for (std::string g; std::getline(globs, g, ',');)
    if (Matches(g, r.id) || Matches(g, r.c->id)) return true;
  return false;
}

}  // namespace

Result<std::vector<Expectation>> ParseExpectations(const std::string& text, const std::string& name) {
  std::vector<Expectation> out;
  std::istringstream in(text);
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string id;
    if (!(words >> id)) continue;
    std::string reason;
    std::getline(words, reason);
    const size_t first = reason.find_first_not_of(" \t\r");
    reason = first == std::string::npos ? "" : reason.substr(first);
    ENSURE(!reason.empty(), kInvalidArgument, kNoOffset, "",
           fmt::format("{}:{}: '{}' needs a reason after the case id", name, n, id));
    out.push_back({id, reason});
  }
  return out;
}

std::string SetupTableMarkdown() {
  std::string out = "| setup | what both ends are configured with |\n|---|---|\n";
  for (const Setup& s : kSetups)
    out += fmt::format("| `{}{}` | {} |\n", s.name, s.name == "ike" || s.name == "esp" || s.name == "ah" ? "=PROPOSALS" : "",
                       s.meaning);
  return out;
}

std::unique_ptr<Target> MakeReferenceTarget(std::string vectors_dir) {
  return std::make_unique<ReferenceTarget>(std::move(vectors_dir));
}

Result<Report> RunCatalogue(const Catalogue& catalogue, Target& target, const RunOptions& options) {
  std::vector<Expectation> expected;
  if (!options.expect_file.empty()) {
    std::ifstream in(options.expect_file, std::ios::binary);
    ENSURE(in.good(), kInvalidArgument, kNoOffset, "", fmt::format("--expect {}: cannot be read", options.expect_file));
    //= ipsecref#choice
    //# An expected-results file is read up to 1 MiB (a line per known
    //# failure is far less): a device or an endless pipe is refused, not
    //# read for ever.
    constexpr size_t kMaxExpectFile = 1 << 20;
    std::string text(kMaxExpectFile + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    ENSURE(text.size() <= kMaxExpectFile, kInvalidArgument, kNoOffset, "",
           fmt::format("--expect {}: larger than 1 MiB", options.expect_file));
    TRY_ASSIGN(expected, ParseExpectations(text, options.expect_file));
  }
  static thread_local std::vector<Run> runs;  // the report points into them
  runs = catalogue.Runs();
  Report report;
  report.target = target.name();
  std::vector<const Run*> chosen;
  for (const Run& r : runs) {
    TRY(Validate(r));
    for (const std::string& step : r.drive) {
      const size_t colon = step.find(':');
      const std::string who = step.substr(0, colon), what = colon == std::string::npos ? "" : step.substr(colon + 1);
      const bool known = (who == "wait" && !what.empty() && what.find_first_not_of("0123456789") == std::string::npos) ||
                         (who == "tester" && dataplane::ParseEspSpec(what).ok()) ||
                         ((who == "tester" || who == "iut" || who == "both") &&
                          std::find(std::begin(kIutOperations), std::end(kIutOperations), what) != std::end(kIutOperations));
      ENSURE(known, kInvalidArgument, kNoOffset, "",
             fmt::format("{}: case '{}': drive step '{}' is not tester:OP, iut:OP, both:OP, tester:esp=SPEC, tester:ah=SPEC or wait:MS",
                         r.c->file, r.id, step));
    }
    for (const std::string& need : r.c->needs)
      ENSURE(IsFeature(need), kInvalidArgument, kNoOffset, "",
             fmt::format("{}: case '{}': needs '{}', which is no feature (interop/conformance/README.md lists them)",
                         r.c->file, r.id, need));
    for (const std::string& setup : r.setup) {
      auto p = ParseSetup(setup);
      if (!p) return Error{Code::kInvalidArgument, kNoOffset, "", fmt::format("{}: case '{}': {}", r.c->file, r.id, p.error().detail)};
    }
    if (Wanted(r, options)) chosen.push_back(&r);
  }
  ENSURE(!chosen.empty(), kInvalidArgument, kNoOffset, "",
         fmt::format("no case matches --cases '{}'{}", options.cases_glob,
                     options.role.empty() ? "" : " with --role " + options.role));
  // The health check after an inconclusive run: the undeviated initial
  // exchanges with the IUT as responder. A target that no longer answers
  // it is not judged further: the runs left are inconclusive.
  static const Case kHealth = [] {
    Case c;
    c.id = "HEALTH";
    c.title = "the IUT still answers the initial exchanges";
    c.requirement = "rfc7296#section-1.2";
    c.role = "responder";
    c.file = "(the runner's health check)";
    return c;
  }();
  Run health;
  health.c = &kHealth;
  health.id = kHealth.id;
  std::string dead_after;
  for (const Run* r : chosen) {
    RunResult result;
    result.run = r;
    const auto began = std::chrono::steady_clock::now();
    if (!dead_after.empty()) {
      result.verdict = Verdict::kInconclusive;
      result.reason = fmt::format("not run: the target stopped answering after {}", dead_after);
      report.results.push_back(std::move(result));
      if (options.progress) options.progress(report.results.size(), chosen.size(), report.results.back());
      continue;
    }
    std::vector<std::string> missing;
    for (const std::string& need : r->c->needs)
      if (target.features().count(need) == 0) missing.push_back(need);
    for (const std::string& text : r->setup) {
      const std::string_view need = FeatureOfSetup(ParseSetup(text)->setup->name);
      if (!need.empty() && target.features().count(std::string(need)) == 0 &&
          std::find(missing.begin(), missing.end(), need) == missing.end())
        missing.emplace_back(need);
    }
    if (r->c->role == "initiator" && target.features().count("initiate") == 0) missing.push_back("initiate");
    for (const std::string& step : r->drive)
      if ((step.starts_with("iut:") || step.starts_with("both:")) && target.features().count("iut-operations") == 0 &&
          target.features().count("iut:" + step.substr(step.find(':') + 1)) == 0)
        missing.push_back("iut:" + step.substr(step.find(':') + 1));
    if (!missing.empty()) {
      result.verdict = Verdict::kUnsupported;
      result.reason = fmt::format("the target lacks {}", fmt::join(missing, ", "));
    } else {
      std::unique_ptr<exchange::Session> keep;
      if (!options.keep_dir.empty()) keep = std::make_unique<exchange::Session>(SeedOf(r->id), [&] {
        // The same deviations the target installs, so that the kept session is the run.
        std::vector<std::string> specs;
        const std::string side = r->c->role == "initiator" ? "responder" : "initiator";
        for (const std::string& t : r->tester) specs.push_back(side + ":" + t);
        return specs;
      }());
      //= ipsecref#choice
      //# A target whose IUT cannot be configured as a run's setup says (a
      //# proposal its configuration language cannot write) reports the run
      //# unsupported with the reason, as for a feature it lacks.
      auto executed = target.Execute(*r, {}, keep.get());
      if (!executed && executed.error().code == Code::kUnsupported) {
        result.verdict = Verdict::kUnsupported;
        result.reason = executed.error().detail;
      } else {
        TRY_ASSIGN(Observation o, std::move(executed));
        result.ladder = LadderOf(o);
        result.checks = Judge(*r, o);
        bool iut_spoke = false;
        for (const Observed& w : o.wire) iut_spoke = iut_spoke || w.from_iut;
        std::vector<std::string> failed;
        for (const CheckResult& c : result.checks)
          if (!c.held) failed.push_back(c.check);
        result.verdict = failed.empty() ? Verdict::kPass : Verdict::kFail;
        if (!failed.empty()) result.reason = fmt::format("{}", fmt::join(failed, "; "));
        if (!failed.empty() && !iut_spoke) {
          result.verdict = Verdict::kInconclusive;
          result.reason = "the IUT sent nothing at all; " + result.reason;
          TRY_ASSIGN(Observation alive, target.Execute(health, {}, nullptr));
          if (!alive.established) {
            dead_after = r->id;
            result.reason += "; and it does not answer the initial exchanges any more: the runs left are not run";
          }
        }
        if (keep) {
          const std::string dir = (std::filesystem::path(options.keep_dir) / Sanitized(r->id)).string();
          result.recheck = KeepEvidence(*keep, dir, options.ipsecref, result, o);
        }
      }
    }
    for (const Expectation& e : expected)
      if (Matches(e.glob, r->id) || Matches(e.glob, r->c->id)) result.expected_failure = e.reason;
    if (!result.expected_failure.empty()) {
      if (result.verdict == Verdict::kFail) result.verdict = Verdict::kExpectedFail;
      else if (result.verdict == Verdict::kPass) result.verdict = Verdict::kUnexpectedPass;
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    report.results.push_back(std::move(result));
    if (options.progress) options.progress(report.results.size(), chosen.size(), report.results.back());
  }
  return report;
}

Result<std::vector<Mutation>> MutationTest(const Catalogue& catalogue, const RunOptions& options) {
  static thread_local std::vector<Run> runs;
  runs = catalogue.Runs();
  auto target = MakeReferenceTarget(options.vectors_dir);
  std::vector<Mutation> out;
  size_t total = 0;
  for (const Run& r : runs) total += Wanted(r, options) ? 1 : 0;
  for (const Run& r : runs) {
    if (!Wanted(r, options)) continue;
    TRY(Validate(r));
    Mutation m;
    m.run = &r;
    for (const std::string& fault : r.faults) {
      TRY_ASSIGN(Observation o, target->Execute(r, {fault}, nullptr));
      bool failed = false;
      for (const CheckResult& c : Judge(r, o)) failed = failed || !c.held;
      m.faults.emplace_back(fault, failed);
    }
    out.push_back(std::move(m));
    if (options.progress) {
      RunResult shown;
      shown.run = &r;
      shown.verdict = out.back().killed() ? Verdict::kPass : Verdict::kFail;
      options.progress(out.size(), total, shown);
    }
  }
  return out;
}

}  // namespace ipsecref::conformance
