// IKEv2 costs, in one binary and one run:
//  1. the codec on real messages: ike::Decode, SK decryption through
//     ike::MessageProtection and ike::Validate on every IKE message of the
//     strongSwan captures pcaps/strongswan-gcm and pcaps/strongswan-cbc,
//     against SkCrypter::Unprotect alone on the same SK body, so that a ratio
//     says what the codec costs on top of the crypto;
//  2. key derivation: SKEYSEED and the IKE SA keys (RFC 7296 §2.14) for the
//     two captures' suites, beside the Diffie-Hellman exchange that precedes
//     them (ECP-256, Curve25519, MODP-2048), and Child SA keys (§2.17) with
//     and without PFS.
//
// Benchmark names; those not under paired/ report items_per_second and
// counter median_ns:
//   ike/<capture>/<frame>-<exchange>-<request|response>
//                     Decode + (MessageProtection::Decrypt) + Validate: messages/s
//   ike/<capture>/all every IKE message of the capture in turn (items = messages)
//   decode/..., validate/..., unprotect/...  one stage of that message alone;
//   decrypt/...       Decode + Decrypt (SkCrypter::Unprotect + DecodeInner)
//   keymat/ike-sa/<IKE proposal>            Skeyseed + DeriveIkeSaKeys
//   keymat/ike-sa/<IKE proposal>/raw        the same bytes from bare Crypto++ HMAC<SHA256>
//   keymat/child-sa/<ESP proposal>/no-pfs   DeriveChildSaKeys from SK_d, Ni, Nr
//   keymat/child-sa/<ESP proposal>/pfs-ecp256            the same with g^ir (new)
//   keymat/child-sa/<ESP proposal>/pfs-ecp256+exchange   and this peer's ECP-256 exchange
//   ke/<group>/<key-pair|shared-secret|exchange|validate-public>
//   ke/<group>/raw-exchange                 the same exchange on bare Crypto++
//   paired/ike/<capture>/<message>      the message's stages in turn: <stage>_ns,
//                                       cost_ratio = whole receive path / unprotect
//   paired/ke/<group>                   the group's operations in turn: <op>_ns,
//                                       cost_ratio = exchange / raw_exchange
//   paired/keymat/ike-sa/<proposal>     derivation, raw derivation, each group's
//                                       exchange: over_raw = derivation / raw,
//                                       of_<group> = derivation / exchange
//   paired/keymat/child-sa/<proposal>   no PFS, PFS derivation, PFS with exchange:
//                                       pfs_*_over_no_pfs
// Proposals and groups carry strongSwan's keywords (aes256gcm16-prfsha256,
// ecp256, ...), as pcaps/strongswan-*/README.txt states them.
// A paired benchmark runs its sides in turn, a block of each per round (some
// 50 µs, or one operation where that takes longer), and reports medians over
// rounds: other load on the machine slows single blocks down, not one side,
// so these ratios stay steady where separately timed benchmarks drift.
//
// At start-up every message must decode, decrypt with the capture's keys and
// validate without a violation, and the derivations must give the keys
// strongSwan logged for the captures (vectors/ike/keymat_strongswan_*.json);
// otherwise ike_bench prints why and exits 1.
//
// Files: ike_captures.{h,cc} (the captures and the receive-path runners),
// ike_keymat.{h,cc} (the logged key material, derivation and key exchange
// runners), harness.{h,cc} (Runner, Bench, Interleaved).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "reference/iana/iana.h"
#include "tools/bench/harness.h"
#include "tools/bench/ike_captures.h"
#include "tools/bench/ike_keymat.h"

#ifndef IPSECREF_SOURCE_DIR
#error "IPSECREF_SOURCE_DIR must name the source tree (tools/bench/CMakeLists.txt sets it)"
#endif

namespace {

namespace bench = ipsecref::bench;
namespace iana = ipsecref::iana;
using bench::Capture;
using bench::CapturedMessage;
using bench::CaptureRunner;
using bench::ChildSaKeysRunner;
using bench::IkeSaKeysRunner;
using bench::KeOp;
using bench::KeRunner;
using bench::LoggedKeymat;
using bench::MessageRunner;
using bench::Pfs;
using bench::RawKeRunner;
using bench::Ratio;
using bench::Register;
using bench::RegisterInterleaved;
using bench::SideMaker;
using bench::Stage;

const std::string kSourceDir = IPSECREF_SOURCE_DIR;

struct KeGroupName {
  iana::KeGroup id;
  const char* name;  // strongSwan's proposal keyword
};
constexpr KeGroupName kGroups[] = {
    {iana::KeGroup::kEcp256, "ecp256"},
    {iana::KeGroup::kCurve25519, "curve25519"},
    {iana::KeGroup::kModp2048, "modp2048"},
};

// The captures, their IKE proposals and ESP proposals as strongSwan names them
// (pcaps/strongswan-*/README.txt).
struct CaptureName {
  const char* capture;
  const char* ike_proposal;
  const char* esp_proposal;
};
constexpr CaptureName kCaptures[] = {
    {"gcm", "aes256gcm16-prfsha256", "aes256gcm16"},
    {"cbc", "aes256-sha256", "aes256-sha256"},
};

// Loaded once in main and kept for the whole run (runners hold references).
std::vector<Capture> g_captures;
std::vector<LoggedKeymat> g_keymat;

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  g_captures.reserve(std::size(kCaptures));
  g_keymat.reserve(std::size(kCaptures));
  for (const CaptureName& c : kCaptures) {
    auto cap = bench::LoadCapture(kSourceDir, c.capture);
    if (!cap.ok()) {
      std::fprintf(stderr, "ike_bench: %s\n", cap.error().ToString().c_str());
      return 1;
    }
    g_captures.push_back(std::move(cap).value());
    auto k = bench::LoadLoggedKeymat(kSourceDir, c.capture);
    if (!k.ok()) {
      std::fprintf(stderr, "ike_bench: %s\n", k.error().ToString().c_str());
      return 1;
    }
    g_keymat.push_back(std::move(k).value());
  }

  // Every runner must work on these inputs before anything is timed.
  std::vector<std::unique_ptr<bench::Runner>> checks;
  for (const Capture& cap : g_captures) {
    for (const CapturedMessage& m : cap.messages) {
      checks.push_back(MessageRunner(Stage::kReceive, cap, m));
      if (m.protection != nullptr) checks.push_back(MessageRunner(Stage::kUnprotect, cap, m));
    }
  }
  for (const LoggedKeymat& k : g_keymat) {
    checks.push_back(IkeSaKeysRunner(k, /*raw=*/false));
    checks.push_back(IkeSaKeysRunner(k, /*raw=*/true));
    checks.push_back(ChildSaKeysRunner(k, Pfs::kNone));
  }
  for (auto& r : checks) {
    if (!r->Init()) {
      std::fprintf(stderr, "ike_bench: %s\n", r->error().c_str());
      return 1;
    }
  }

  using Make = std::function<std::unique_ptr<bench::Runner>()>;
  for (const Capture& cap : g_captures) {
    const Capture* c = &cap;
    for (const CapturedMessage& m : cap.messages) {
      const CapturedMessage* mp = &m;
      const std::string tail = cap.name + "/" + m.name;
      const Make process = [c, mp] { return MessageRunner(Stage::kReceive, *c, *mp); };
      const Make decode = [c, mp] { return MessageRunner(Stage::kDecode, *c, *mp); };
      const Make validate = [c, mp] { return MessageRunner(Stage::kValidate, *c, *mp); };
      Register("ike/" + tail, process);
      Register("decode/" + tail, decode);
      Register("validate/" + tail, validate);
      std::vector<SideMaker> sides = {{"ike", process}, {"decode", decode}, {"validate", validate}};
      std::vector<Ratio> ratios;
      if (m.protection != nullptr) {
        const Make unprotect = [c, mp] { return MessageRunner(Stage::kUnprotect, *c, *mp); };
        const Make decrypt = [c, mp] { return MessageRunner(Stage::kDecrypt, *c, *mp); };
        Register("unprotect/" + tail, unprotect);
        Register("decrypt/" + tail, decrypt);
        sides.push_back({"decrypt", decrypt});
        sides.push_back({"unprotect", unprotect});
        ratios.push_back({"cost_ratio", 0, 4});
      }
      RegisterInterleaved("ike/" + tail, sides, ratios);
    }
    Register("ike/" + cap.name + "/all", [c] { return CaptureRunner(*c); });
  }

  std::vector<SideMaker> exchanges;  // one per group, for the IKE SA derivation's rounds
  for (const KeGroupName& g : kGroups) {
    const std::string prefix = std::string("ke/") + g.name + "/";
    const iana::KeGroup id = g.id;
    const Make key_pair = [id] { return KeRunner(id, KeOp::kKeyPair); };
    const Make shared = [id] { return KeRunner(id, KeOp::kSharedSecret); };
    const Make exchange = [id] { return KeRunner(id, KeOp::kExchange); };
    const Make validate = [id] { return KeRunner(id, KeOp::kValidatePublic); };
    const Make raw = [id] { return RawKeRunner(id); };
    Register(prefix + "key-pair", key_pair);
    Register(prefix + "shared-secret", shared);
    Register(prefix + "exchange", exchange);
    Register(prefix + "validate-public", validate);
    Register(prefix + "raw-exchange", raw);
    RegisterInterleaved(std::string("ke/") + g.name,
                        {{"exchange", exchange},
                         {"raw_exchange", raw},
                         {"key_pair", key_pair},
                         {"shared_secret", shared},
                         {"validate_public", validate}},
                        {{"cost_ratio", 0, 1}});
    exchanges.push_back({g.name, exchange});
  }

  for (size_t ci = 0; ci < g_keymat.size(); ++ci) {
    const LoggedKeymat* k = &g_keymat[ci];
    const std::string ike_sa = std::string("keymat/ike-sa/") + kCaptures[ci].ike_proposal;
    const Make derive = [k] { return IkeSaKeysRunner(*k, /*raw=*/false); };
    const Make raw = [k] { return IkeSaKeysRunner(*k, /*raw=*/true); };
    Register(ike_sa, derive);
    Register(ike_sa + "/raw", raw);
    std::vector<SideMaker> sides = {{"keymat", derive}, {"raw_keymat", raw}};
    std::vector<Ratio> ratios = {{"over_raw", 0, 1}};
    for (const SideMaker& e : exchanges) {
      ratios.push_back({"of_" + e.name, 0, sides.size()});
      sides.push_back(e);
    }
    RegisterInterleaved(ike_sa, sides, ratios);

    const std::string child = std::string("keymat/child-sa/") + kCaptures[ci].esp_proposal;
    const Make no_pfs = [k] { return ChildSaKeysRunner(*k, Pfs::kNone); };
    const Make pfs = [k] { return ChildSaKeysRunner(*k, Pfs::kDeriveOnly); };
    const Make pfs_exchange = [k] { return ChildSaKeysRunner(*k, Pfs::kWithExchange); };
    Register(child + "/no-pfs", no_pfs);
    Register(child + "/pfs-ecp256", pfs);
    Register(child + "/pfs-ecp256+exchange", pfs_exchange);
    RegisterInterleaved(child, {{"no_pfs", no_pfs}, {"pfs_ecp256", pfs}, {"pfs_ecp256_exchange", pfs_exchange}},
                        {{"pfs_derive_over_no_pfs", 1, 0}, {"pfs_exchange_over_no_pfs", 2, 0}});
  }

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}