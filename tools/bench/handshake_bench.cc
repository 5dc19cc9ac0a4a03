// Responder handshakes per second over the in-memory exchange harness,
// against the crypto floor measured in the same run.
//
// A handshake is what an IKEv2 responder (reference/ike/sa/peer.h) does for
// IKE_SA_INIT + IKE_AUTH with the first CHILD SA: a fresh Peer (its
// configuration copied in), the IKE_SA_INIT request received and answered,
// the IKE_AUTH request received, decrypted, authenticated and answered, the
// CHILD SA installed; datagrams go to a testing::Network, time is a
// testing::FakeClock. The initiator's two requests are recorded once from a
// real run against a responder with the same deterministic random source,
// which each timed handshake starts afresh, so the recorded IKE_AUTH request
// is valid for every one of them (each is checked: two responses sent, the
// IKE SA ESTABLISHED with one CHILD SA).
//
// The floor is the cryptography one such handshake needs, done directly with
// reference/crypto calls on inputs of the same sizes:
//   ke      the responder's key pair and g^ir from the initiator's public value
//           (with its validation, RFC 6989);
//   prf     SKEYSEED = prf(Ni | Nr, g^ir), prf+ for SK_d .. SK_pr (RFC 7296 §2.14),
//           prf(SK_pi, IDi') and prf(SK_pr, IDr') (§2.15), KEYMAT for the CHILD SA (§2.17);
//   auth    PSK: prf(prf(PSK, "Key Pad for IKEv2"), octets) for the initiator's AUTH
//           and for the responder's; signatures: verifying the initiator's RFC 7427
//           signature and signing the responder's;
//   cipher  keying SK_ei and SK_er, opening the IKE_AUTH request's SK body and sealing
//           one of the response's size.
//
// Benchmarks:
//   handshake/<scenario>/responder      handshakes/s (items_per_second), median_ns
//   handshake/<scenario>/floor          the floor alone
//   paired/handshake/<scenario>         responder, floor and its parts in turn:
//                                       <side>_ns, and ratio = floor / responder time,
//                                       the responder's speed as a fraction of the floor's
// Scenarios: psk-ecp256, psk-x25519 (aes128gcm16-prfsha256 with the group),
// ecdsa-p256-x25519 (RFC 7427 method 14, ECDSA P-256 with SHA-256, keys
// generated at start-up: vectors/ holds no PKCS#8 private keys).
#include <benchmark/benchmark.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/filters.h>
#include <cryptopp/oids.h>
#include <cryptopp/osrng.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/crypto/ke.h"
#include "reference/crypto/prf.h"
#include "reference/crypto/signature.h"
#include "reference/crypto/transforms.h"
#include "reference/ike/sa/peer.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/wire/header.h"
#include "reference/testing/exchange.h"
#include "tools/bench/harness.h"

namespace {

using namespace ipsecref;
namespace bench = ipsecref::bench;
using ike::sa::Datagram;
using ike::sa::Endpoint;
using ike::sa::IkeConfig;
using ike::sa::IkeSa;
using ike::sa::Peer;

constexpr uint64_t kInitiatorSeed = 2, kResponderSeed = 3;
const Endpoint kInitiatorAt{Bytes{192, 0, 2, 1}, 500};
const Endpoint kResponderAt{Bytes{192, 0, 2, 2}, 500};
constexpr std::string_view kKeyPad = "Key Pad for IKEv2";

struct Scenario {
  std::string name;
  std::string ike_proposal;
  bool signatures;
};

struct KeyPair {
  Bytes private_der;  // PKCS#8
  Bytes public_der;   // SubjectPublicKeyInfo
};

KeyPair MakeP256Key() {
  CryptoPP::AutoSeededRandomPool prng;
  CryptoPP::DL_PrivateKey_EC<CryptoPP::ECP> key;
  key.Initialize(prng, CryptoPP::ASN1::secp256r1());
  CryptoPP::DL_PublicKey_EC<CryptoPP::ECP> pub;
  key.MakePublicKey(pub);
  KeyPair out;
  CryptoPP::VectorSink private_sink(out.private_der), public_sink(out.public_der);
  key.Save(private_sink);
  pub.Save(public_sink);
  return out;
}

// "The rest of the ID payload" (§2.15): type, three RESERVED octets, data.
Bytes RestOfId(const ike::IdPayload& id) {
  ByteWriter w;
  w.U8(static_cast<uint8_t>(id.id_type)).Zeros(3).Append(id.identification_data);
  return std::move(w).Take();
}

// prf(SK_p, RestOfIDPayload) (§2.15), computed once for a part timed alone.
Bytes MacedId(iana::Prf prf, ByteSpan sk_p, ByteSpan rest_of_id) {
  auto p = crypto::MakePrf(prf, sk_p);
  Bytes out(p ? (*p)->output_size() : 0);
  if (p) (*p)->Compute({rest_of_id}, out);
  return out;
}

Bytes Concat(std::initializer_list<ByteSpan> pieces) {
  Bytes out;
  for (ByteSpan p : pieces) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// One scenario recorded: the configurations, the initiator's two requests,
// and what the floor needs from the real run.
struct Recorded {
  IkeConfig responder_config;
  Datagram init_request, auth_request;
  ike::sa::IkeSuite suite{};
  Bytes ni, nr, real_message_1, real_message_2;
  uint64_t spi_i = 0, spi_r = 0;
  Bytes id_i, id_r;  // rest of the ID payloads
  SecureBytes psk;
  bool signatures = false;
  crypto::SignatureScheme scheme{};
  Bytes initiator_public_der, responder_private_der;
  Bytes initiator_auth;  // the initiator's AUTH data (signatures)
  ike::keymat::IkeSaKeys keys;  // the real run's, for the cipher side
  size_t auth_response_size = 0;  // bytes of the IKE_AUTH response's SK plaintext and padding
  size_t child_keymat_size = 0;
};

Result<Recorded> Record(const Scenario& s) {
  IkeConfig ic = testing::PskInitiatorConfig(), rc = testing::PskResponderConfig();
  ic.proposals = *ike::sa::ParseProposals(s.ike_proposal, iana::SecurityProtocol::kIke);
  rc.proposals = ic.proposals;
  Recorded r;
  if (s.signatures) {
    const KeyPair initiator = MakeP256Key(), responder = MakeP256Key();
    for (auto [config, local, remote] : {std::tuple{&ic, &initiator, &responder}, std::tuple{&rc, &responder, &initiator}}) {
      config->local_auth = {};
      config->local_auth.method = iana::AuthMethod::kDigitalSignature;
      config->local_auth.scheme = crypto::SignatureScheme::kEcdsaP256Sha256;
      config->local_auth.private_key = local->private_der;
      config->remote_auth = {};
      config->remote_auth.method = iana::AuthMethod::kDigitalSignature;
      config->remote_auth.public_key = remote->public_der;
    }
    r.signatures = true;
    r.scheme = crypto::SignatureScheme::kEcdsaP256Sha256;
    r.initiator_public_der = initiator.public_der;
    r.responder_private_der = responder.private_der;
  }
  r.responder_config = rc;

  testing::FakeClock clock;
  testing::Network network;
  auto irng = crypto::MakeDeterministicRng(kInitiatorSeed), rrng = crypto::MakeDeterministicRng(kResponderSeed);
  Peer initiator(ic, {&clock, &network, irng.get()}, kInitiatorAt, kResponderAt);
  Peer responder(rc, {&clock, &network, rrng.get()}, kResponderAt, kInitiatorAt);
  initiator.Initiate();
  std::vector<Datagram> to_responder, to_initiator;
  while (!network.in_flight.empty()) {
    Datagram d = std::move(network.in_flight.front().datagram);
    network.in_flight.pop_front();
    if (d.destination == kResponderAt) {
      to_responder.push_back(d);
      responder.Receive(d);
    } else {
      to_initiator.push_back(d);
      initiator.Receive(d);
    }
  }
  const std::vector<IkeSa*> sas = responder.IkeSas();
  if (to_responder.size() != 2 || to_initiator.size() != 2 || sas.size() != 1 ||
      sas[0]->state != ike::sa::IkeState::kEstablished || sas[0]->children.size() != 1)
    return MakeError(Code::kInvalidArgument, kNoOffset, "", s.name + ": the recorded run did not establish in two exchanges");
  const IkeSa& sa = *sas[0];
  r.init_request = to_responder[0];
  r.auth_request = to_responder[1];
  r.suite = sa.suite;
  r.ni = sa.ni;
  r.nr = sa.nr;
  r.real_message_1 = sa.init_request;
  r.real_message_2 = sa.init_response;
  r.spi_i = sa.spi_i;
  r.spi_r = sa.spi_r;
  r.id_i = RestOfId(ic.local_id);
  r.id_r = RestOfId(rc.local_id);
  r.psk = rc.local_auth.psk;
  r.keys = sa.keys;
  // The response's SK body: all but the IKE header, the SK payload header, IV and ICV.
  const crypto::EncrTransform* encr = crypto::FindEncr(sa.suite.encr);
  if (encr == nullptr) return MakeError(Code::kInvalidArgument, kNoOffset, "", s.name + ": unknown ENCR");
  r.auth_response_size = to_initiator[1].data.size() - ike::kHeaderSize - ike::kGenericPayloadHeaderSize -
                         encr->iv_size - encr->icv_size;
  const ike::sa::ChildSa& child = sa.children[0];
  r.child_keymat_size = 2 * (child.encr_in().size() + child.integ_in().size());
  if (s.signatures) {
    // The initiator's AUTH: signed over InitiatorSignedOctets, as the run did.
    const Bytes maced = MacedId(sa.suite.prf, sa.keys.sk_pi, r.id_i);
    auto rng = crypto::MakeDeterministicRng(7);
    auto auth = crypto::SignAuth(iana::AuthMethod::kDigitalSignature, r.scheme,
                                 ic.local_auth.private_key, Concat({r.real_message_1, r.nr, maced}), *rng);
    if (!auth) return auth.error();
    r.initiator_auth = std::move(*auth);
  }
  return r;
}

// One handshake by a fresh responder.
class ResponderRunner final : public bench::Runner {
 public:
  explicit ResponderRunner(const Recorded& r) : r_(r) {}
  bool Init() override { return Once(); }
  bool Once() override {
    network_.in_flight.clear();
    network_.captured.clear();
    auto rng = crypto::MakeDeterministicRng(kResponderSeed);
    Peer responder(r_.responder_config, {&clock_, &network_, rng.get()}, kResponderAt, kInitiatorAt);
    responder.Receive(r_.init_request);
    responder.Receive(r_.auth_request);
    const std::vector<IkeSa*> sas = responder.IkeSas();
    if (network_.captured.size() != 2 || sas.size() != 1 || sas[0]->state != ike::sa::IkeState::kEstablished ||
        sas[0]->children.size() != 1)
      return Fail("the responder did not establish the IKE SA and its CHILD SA");
    return true;
  }

 private:
  const Recorded& r_;
  testing::FakeClock clock_;
  testing::Network network_;
};

// The floor, or one part of it.
enum class Part { kAll, kKe, kPrf, kAuth, kCipher };

class FloorRunner final : public bench::Runner {
 public:
  FloorRunner(const Recorded& r, Part part) : r_(r), part_(part), rng_(crypto::MakeDeterministicRng(11)) {}

  bool Init() override {
    // A public value of the group for the responder to agree with (the
    // same work as with the initiator's).
    auto peer = crypto::MakeKeyExchange(r_.suite.ke, *rng_);
    if (!peer) return Fail(peer.error().ToString());
    initiator_public_.assign((*peer)->public_value().begin(), (*peer)->public_value().end());
    const crypto::EncrTransform* encr = crypto::FindEncr(r_.suite.encr);
    if (encr == nullptr || encr->icv_size == 0) return Fail("the floor knows AEAD ciphers only");
    iv_size_ = encr->iv_size;
    icv_size_ = encr->icv_size;
    request_ = r_.auth_request.data;
    return Once();
  }

  bool Once() override {
    const iana::Prf prf = r_.suite.prf;
    SecureBytes g_ir;
    if (part_ == Part::kAll || part_ == Part::kKe) {
      auto ke = crypto::MakeKeyExchange(r_.suite.ke, *rng_);
      if (!ke) return Fail(ke.error().ToString());
      auto shared = (*ke)->SharedSecret(initiator_public_);
      if (!shared) return Fail(shared.error().ToString());
      g_ir = std::move(*shared);
    } else {
      g_ir.assign(crypto::FindKeGroup(r_.suite.ke)->shared_size, 0x5a);
    }
    if (part_ == Part::kAll || part_ == Part::kPrf) {
      // SKEYSEED and the IKE SA keys (§2.14).
      auto skeyseed_prf = crypto::MakePrf(prf, Concat({r_.ni, r_.nr}));
      if (!skeyseed_prf) return Fail(skeyseed_prf.error().ToString());
      SecureBytes skeyseed((*skeyseed_prf)->output_size());
      (*skeyseed_prf)->Compute({g_ir}, skeyseed);
      Bytes spis(16);
      StoreU64(spis.data(), r_.spi_i);
      StoreU64(spis.data() + 8, r_.spi_r);
      const size_t key_bytes = r_.keys.sk_d.size() + r_.keys.sk_ai.size() + r_.keys.sk_ar.size() +
                               r_.keys.sk_ei.size() + r_.keys.sk_er.size() + r_.keys.sk_pi.size() +
                               r_.keys.sk_pr.size();
      auto keys = crypto::PrfPlus(prf, skeyseed, Concat({r_.ni, r_.nr, spis}), key_bytes);
      if (!keys) return Fail(keys.error().ToString());
      // prf(SK_pi, IDi') and prf(SK_pr, IDr') (§2.15).
      for (const auto& [key, id, maced] : {std::tuple{&r_.keys.sk_pi, &r_.id_i, &maced_i_},
                                            std::tuple{&r_.keys.sk_pr, &r_.id_r, &maced_r_}}) {
        auto p = crypto::MakePrf(prf, *key);
        if (!p) return Fail(p.error().ToString());
        maced->resize((*p)->output_size());
        (*p)->Compute({*id}, *maced);
      }
      // KEYMAT of the CHILD SA (§2.17).
      auto keymat = crypto::PrfPlus(prf, r_.keys.sk_d, Concat({r_.ni, r_.nr}), r_.child_keymat_size);
      if (!keymat) return Fail(keymat.error().ToString());
    }
    if (part_ == Part::kAll || part_ == Part::kAuth) {
      if (maced_i_.empty()) {  // the auth part alone: the MACed IDs as the run had them
        maced_i_ = MacedId(prf, r_.keys.sk_pi, r_.id_i);
        maced_r_ = MacedId(prf, r_.keys.sk_pr, r_.id_r);
      }
      if (r_.signatures) {
        Status verified = crypto::VerifyAuth(iana::AuthMethod::kDigitalSignature, r_.initiator_public_der,
                                             Concat({r_.real_message_1, r_.nr, maced_i_}), r_.initiator_auth);
        if (!verified.ok()) return Fail("the initiator's signature: " + verified.error().ToString());
        auto signature = crypto::SignAuth(iana::AuthMethod::kDigitalSignature, r_.scheme, r_.responder_private_der,
                                          Concat({r_.real_message_2, r_.ni, maced_r_}), *rng_);
        if (!signature) return Fail(signature.error().ToString());
      } else {
        // AUTH = prf(prf(PSK, "Key Pad for IKEv2"), octets), the initiator's and the responder's.
        for (const auto& [message, nonce, maced] :
             {std::tuple{ByteSpan(r_.real_message_1), ByteSpan(r_.nr), ByteSpan(maced_i_)},
              std::tuple{ByteSpan(r_.real_message_2), ByteSpan(r_.ni), ByteSpan(maced_r_)}}) {
          auto pad = crypto::MakePrf(prf, r_.psk);
          if (!pad) return Fail(pad.error().ToString());
          SecureBytes key((*pad)->output_size());
          (*pad)->Compute({ByteSpan(reinterpret_cast<const uint8_t*>(kKeyPad.data()), kKeyPad.size())}, key);
          auto auth = crypto::MakePrf(prf, key);
          if (!auth) return Fail(auth.error().ToString());
          Bytes value((*auth)->output_size());
          (*auth)->Compute({message, nonce, maced}, value);
        }
      }
    }
    if (part_ == Part::kAll || part_ == Part::kCipher) {
      // The IKE_AUTH request's SK body opened with SK_ei, the response sealed with SK_er.
      constexpr size_t kAad = ike::kHeaderSize + ike::kGenericPayloadHeaderSize;
      auto in = crypto::MakeAead(r_.suite.encr, r_.keys.sk_ei);
      auto out = crypto::MakeAead(r_.suite.encr, r_.keys.sk_er);
      if (!in || !out) return Fail("MakeAead");
      work_.assign(request_.begin(), request_.end());
      const ByteSpan all(work_);
      MutableByteSpan text(work_.data() + kAad + iv_size_, work_.size() - kAad - iv_size_ - icv_size_);
      if (!(*in)->Open(all.subspan(kAad, iv_size_), all.first(kAad), text, all.last(icv_size_)))
        return Fail("the IKE_AUTH request does not open under SK_ei");
      response_.assign(kAad + iv_size_ + r_.auth_response_size + icv_size_, 0);
      MutableByteSpan resp(response_);
      (*out)->Seal(resp.subspan(kAad, iv_size_), resp.first(kAad), resp.subspan(kAad + iv_size_, r_.auth_response_size),
                   resp.last(icv_size_));
    }
    return true;
  }

 private:
  const Recorded& r_;
  const Part part_;
  std::unique_ptr<crypto::Rng> rng_;
  Bytes initiator_public_, request_, work_, response_, maced_i_, maced_r_;
  size_t iv_size_ = 0, icv_size_ = 0;
};

std::vector<Recorded> g_recorded;  // kept for the whole run: runners hold references

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const std::vector<Scenario> scenarios = {
      {"psk-ecp256", "aes128gcm16-prfsha256-ecp256", false},
      {"psk-x25519", "aes128gcm16-prfsha256-x25519", false},
      {"ecdsa-p256-x25519", "aes128gcm16-prfsha256-x25519", true},
  };
  g_recorded.reserve(scenarios.size());
  for (const Scenario& s : scenarios) {
    auto r = Record(s);
    if (!r) {
      std::fprintf(stderr, "handshake_bench: %s\n", r.error().ToString().c_str());
      return 1;
    }
    g_recorded.push_back(std::move(*r));
  }
  using Make = std::function<std::unique_ptr<bench::Runner>()>;
  for (size_t i = 0; i < scenarios.size(); ++i) {
    const Recorded* r = &g_recorded[i];
    const Make responder = [r] { return std::make_unique<ResponderRunner>(*r); };
    const auto floor = [r](Part p) -> Make { return [r, p] { return std::make_unique<FloorRunner>(*r, p); }; };
    // Every runner must work before anything is timed.
    for (const Make& make : {responder, floor(Part::kAll)}) {
      auto runner = make();
      if (!runner->Init()) {
        std::fprintf(stderr, "handshake_bench: %s: %s\n", scenarios[i].name.c_str(), runner->error().c_str());
        return 1;
      }
    }
    const std::string name = "handshake/" + scenarios[i].name;
    bench::Register(name + "/responder", responder);
    bench::Register(name + "/floor", floor(Part::kAll));
    bench::RegisterInterleaved(name,
                               {{"responder", responder},
                                {"floor", floor(Part::kAll)},
                                {"ke", floor(Part::kKe)},
                                {"prf", floor(Part::kPrf)},
                                {"auth", floor(Part::kAuth)},
                                {"cipher", floor(Part::kCipher)}},
                               {{"ratio", 1, 0}});
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
