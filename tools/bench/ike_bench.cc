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
#include <benchmark/benchmark.h>
#include <cryptopp/dh.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/hmac.h>
#include <cryptopp/oids.h>
#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>
#include <cryptopp/xed25519.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/crypto/ke.h"
#include "reference/crypto/primitives.h"
#include "reference/iana/iana.h"
#include "reference/ike/keymat/keymat.h"
#include "reference/ike/wire/message.h"
#include "reference/ike/wire/protection.h"
#include "reference/ike/wire/rules.h"
#include "reference/io/ike_messages.h"
#include "reference/io/ikev2_table.h"

#ifndef IPSECREF_SOURCE_DIR
#error "IPSECREF_SOURCE_DIR must name the source tree (tools/bench/CMakeLists.txt sets it)"
#endif

namespace {

using ipsecref::Bytes;
using ipsecref::ByteSpan;
using ipsecref::Result;
using ipsecref::SecureBytes;
namespace iana = ipsecref::iana;
namespace ike = ipsecref::ike;
namespace io = ipsecref::io;
namespace keymat = ipsecref::ike::keymat;
namespace crypto = ipsecref::crypto;

const std::string kSourceDir = IPSECREF_SOURCE_DIR;

// One way of doing one operation, set up once; Bench() and Interleaved() drive it.
class Runner {
 public:
  virtual ~Runner() = default;
  // Sets up inputs and checks that the operation succeeds.
  virtual bool Init() = 0;
  // Does the operation once; false (with error()) if it failed.
  virtual bool Once() = 0;
  // Bytes handled per operation (0: none reported).
  virtual size_t bytes() const { return 0; }
  const std::string& error() const { return error_; }

 protected:
  bool Fail(std::string what) {
    error_ = std::move(what);
    return false;
  }

 private:
  std::string error_;
};

// ------------------------------------------------------------- captures

// One IKE message of a capture, with what it takes to decrypt it.
struct CapturedMessage {
  std::string name;  // "frame3-IKE_AUTH-request"
  Bytes datagram;
  ike::MessageProtection* protection = nullptr;  // null: plaintext (IKE_SA_INIT)
  // The SK payload's associated data ends (and its body starts) here.
  size_t body_at = 0;
  bool initiator = false;  // sent by the original initiator (SK_ei/SK_ai)
};

struct Capture {
  std::string name;  // "gcm"
  std::vector<io::Ikev2Keys> table;
  std::vector<std::unique_ptr<ike::MessageProtection>> protections;
  std::vector<CapturedMessage> messages;
};

ike::SkKeys Direction(const io::Ikev2Keys& k, bool initiator) {
  return ike::SkKeys{k.encr, k.encr_key_bits, k.integ, initiator ? k.sk_ei : k.sk_er, initiator ? k.sk_ai : k.sk_ar};
}

std::string Dashed(std::string s) {
  std::replace(s.begin(), s.end(), ' ', '-');
  return s;
}

// Decode, decrypt (when there is an SK payload), validate: what a receiver
// does with a datagram before it acts on the message.
Result<ike::Validation> Process(const CapturedMessage& c) {
  TRY_ASSIGN(ike::Message m, ike::Decode(c.datagram));
  if (c.protection != nullptr) TRY(c.protection->Decrypt(m, c.datagram));
  return ike::Validate(m);
}

Result<Capture> LoadCapture(const std::string& name) {
  const std::string dir = kSourceDir + "/pcaps/strongswan-" + name + "/";
  Capture cap;
  cap.name = name;
  TRY_ASSIGN(cap.table, io::ReadIkev2Table(dir + "ikev2_decryption_table"));
  TRY_ASSIGN(auto captured, io::ReadIkeMessages(dir + "capture.pcap"));
  for (io::CapturedIke& ci : captured) {
    TRY_ASSIGN(ike::Message m, ike::Decode(ci.message));
    CapturedMessage c;
    c.name = "frame" + std::to_string(ci.packet_number) + "-" + Dashed(ike::Describe(m.header));
    c.initiator = m.header.initiator();
    if (const ike::Payload* sk = m.Encrypted(); sk != nullptr) {
      const io::Ikev2Keys* k = io::Find(cap.table, m.header.spi_i, m.header.spi_r);
      if (k == nullptr)
        return ipsecref::Error{ipsecref::Code::kInvalidArgument, ipsecref::kNoOffset, "", c.name + ": no keys"};
      TRY_ASSIGN(auto p, ike::MessageProtection::Create({Direction(*k, true), Direction(*k, false)}));
      c.protection = p.get();
      cap.protections.push_back(std::move(p));
      c.body_at = sk->offset + ike::kGenericPayloadHeaderSize;
    }
    c.datagram = std::move(ci.message);
    cap.messages.push_back(std::move(c));
  }
  return cap;
}

// The whole receive path for one message.
class ProcessRunner final : public Runner {
 public:
  explicit ProcessRunner(const CapturedMessage& m) : m_(m) {}
  bool Init() override { return Once(); }
  bool Once() override {
    auto v = Process(m_);
    if (!v.ok()) return Fail(m_.name + ": " + v.error().ToString());
    if (!v->ok()) return Fail(m_.name + ": " + v->violations.front().error.ToString());
    benchmark::DoNotOptimize(v->shape);
    return true;
  }
  size_t bytes() const override { return m_.datagram.size(); }

 private:
  const CapturedMessage& m_;
};

// Every message of a capture in turn: one operation is the whole capture.
class CaptureRunner final : public Runner {
 public:
  explicit CaptureRunner(const Capture& c) : c_(c) {}
  bool Init() override { return Once(); }
  bool Once() override {
    for (const CapturedMessage& m : c_.messages) {
      auto v = Process(m);
      if (!v.ok() || !v->ok()) return Fail(m.name + " does not process cleanly");
      benchmark::DoNotOptimize(v->shape);
    }
    return true;
  }
  size_t bytes() const override {
    size_t n = 0;
    for (const CapturedMessage& m : c_.messages) n += m.datagram.size();
    return n;
  }

 private:
  const Capture& c_;
};

// ike::Decode alone (the outer layer; SK stays opaque).
class DecodeRunner final : public Runner {
 public:
  explicit DecodeRunner(const CapturedMessage& m) : m_(m) {}
  bool Init() override { return Once(); }
  bool Once() override {
    auto d = ike::Decode(m_.datagram);
    if (!d.ok()) return Fail(m_.name + ": " + d.error().ToString());
    benchmark::DoNotOptimize(d->payloads.data());
    return true;
  }
  size_t bytes() const override { return m_.datagram.size(); }

 private:
  const CapturedMessage& m_;
};

// ike::Decode and MessageProtection::Decrypt (which decodes the inner
// payloads), without Validate.
class DecryptRunner final : public Runner {
 public:
  explicit DecryptRunner(const CapturedMessage& m) : m_(m) {}
  bool Init() override { return Once(); }
  bool Once() override {
    auto d = ike::Decode(m_.datagram);
    if (!d.ok()) return Fail(m_.name + ": " + d.error().ToString());
    auto s = m_.protection->Decrypt(*d, m_.datagram);
    if (!s.ok()) return Fail(m_.name + ": " + s.error().ToString());
    benchmark::DoNotOptimize(d->inner.data());
    return true;
  }
  size_t bytes() const override { return m_.datagram.size(); }

 private:
  const CapturedMessage& m_;
};

// ike::Validate alone, on the message decoded and decrypted once beforehand.
class ValidateRunner final : public Runner {
 public:
  explicit ValidateRunner(const CapturedMessage& m) : m_(m) {}
  bool Init() override {
    auto d = ike::Decode(m_.datagram);
    if (!d.ok()) return Fail(m_.name + ": " + d.error().ToString());
    message_ = std::move(d).value();
    if (m_.protection != nullptr) {
      auto s = m_.protection->Decrypt(message_, m_.datagram);
      if (!s.ok()) return Fail(m_.name + ": " + s.error().ToString());
    }
    return Once();
  }
  bool Once() override {
    ike::Validation v = ike::Validate(message_);
    if (!v.ok()) return Fail(m_.name + ": " + v.violations.front().error.ToString());
    benchmark::DoNotOptimize(v.shape);
    return true;
  }
  size_t bytes() const override { return m_.datagram.size(); }

 private:
  const CapturedMessage& m_;
  ike::Message message_;
};

// SkCrypter::Unprotect alone on the message's SK body: the crypto the
// receive path cannot do without (ICV check and decryption, padding
// removed), with the same associated data.
class UnprotectRunner final : public Runner {
 public:
  UnprotectRunner(const Capture& c, const CapturedMessage& m) : c_(c), m_(m) {}
  bool Init() override {
    auto d = ike::Decode(m_.datagram);
    if (!d.ok()) return Fail(m_.name + ": " + d.error().ToString());
    const io::Ikev2Keys* k = io::Find(c_.table, d->header.spi_i, d->header.spi_r);
    if (k == nullptr) return Fail(m_.name + ": no keys");
    auto crypter = ike::SkCrypter::Create(Direction(*k, m_.initiator), nullptr);
    if (!crypter.ok()) return Fail(m_.name + ": " + crypter.error().ToString());
    crypter_ = std::move(crypter).value();
    return Once();
  }
  bool Once() override {
    const ByteSpan datagram(m_.datagram);
    auto u = crypter_->Unprotect(datagram.first(m_.body_at), datagram.subspan(m_.body_at));
    if (!u.ok()) return Fail(m_.name + ": " + u.error().ToString());
    benchmark::DoNotOptimize(u->plaintext.data());
    return true;
  }
  size_t bytes() const override { return m_.datagram.size(); }

 private:
  const Capture& c_;
  const CapturedMessage& m_;
  std::unique_ptr<ike::SkCrypter> crypter_;
};

// ------------------------------------------------------------ key material

// The inputs and outputs strongSwan logged for the IKE SA of a capture
// (tcId 1 of vectors/ike/keymat_strongswan_<capture>.json, transcribed from
// charon's level-4 log of the run that made the capture).
struct LoggedKeymat {
  keymat::Suite suite;
  iana::Encr child_encr;
  size_t child_encr_bits;
  iana::Integ child_integ;
  Bytes ni, nr, gir;
  uint64_t spi_i = 0, spi_r = 0;
  Bytes skeyseed, skd, skai, skar, skei, sker, skpi, skpr;
  Bytes child_encr_i, child_integ_i, child_encr_r, child_integ_r;
};

Result<LoggedKeymat> LoadLoggedKeymat(const std::string& capture) {
  const std::string path = kSourceDir + "/vectors/ike/keymat_strongswan_" + capture + ".json";
  std::ifstream in(path);
  const auto doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  auto fail = [&](const std::string& why) {
    return ipsecref::Error{ipsecref::Code::kBadFile, ipsecref::kNoOffset, "", path + ": " + why};
  };
  if (doc.is_discarded() || !doc.contains("testGroups")) return fail("not a keymat vector file");
  for (const auto& group : doc["testGroups"]) {
    for (const auto& t : group["tests"]) {
      if (!t.contains("gir")) continue;
      LoggedKeymat k;
      auto encr = [&](const char* field) { return iana::EncrFromName(group[field].get<std::string>()); };
      auto integ = [&](const char* field) { return iana::IntegFromName(group[field].get<std::string>()); };
      auto prf = iana::PrfFromName(group["prf"].get<std::string>());
      auto e = encr("encr"), ce = encr("childEncr");
      auto i = integ("integ"), ci = integ("childInteg");
      if (!prf || !e || !ce || !i || !ci) return fail("unknown transform name");
      k.suite = keymat::Suite{*prf, *e, group["encrKeySize"].get<size_t>(), *i};
      k.child_encr = *ce;
      k.child_encr_bits = group["childEncrKeySize"].get<size_t>();
      k.child_integ = *ci;
      auto hex = [&](const char* field, Bytes& out) -> bool {
        auto b = ipsecref::FromHex(t[field].get<std::string>());
        if (!b.ok()) return false;
        out = std::move(b).value();
        return true;
      };
      Bytes spi_i, spi_r;
      if (!hex("ni", k.ni) || !hex("nr", k.nr) || !hex("gir", k.gir) || !hex("spii", spi_i) || !hex("spir", spi_r) ||
          spi_i.size() != 8 || spi_r.size() != 8 || !hex("skeyseed", k.skeyseed) || !hex("skd", k.skd) ||
          !hex("skai", k.skai) || !hex("skar", k.skar) || !hex("skei", k.skei) || !hex("sker", k.sker) ||
          !hex("skpi", k.skpi) || !hex("skpr", k.skpr) || !hex("childEncrI", k.child_encr_i) ||
          !hex("childIntegI", k.child_integ_i) || !hex("childEncrR", k.child_encr_r) ||
          !hex("childIntegR", k.child_integ_r)) {
        return fail("bad hex field");
      }
      k.spi_i = ipsecref::LoadU64(spi_i.data());
      k.spi_r = ipsecref::LoadU64(spi_r.data());
      return k;
    }
  }
  return fail("no test with gir");
}

bool Same(const SecureBytes& a, const Bytes& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// SKEYSEED = prf(Ni | Nr, g^ir), then the seven IKE SA keys from
// prf+(SKEYSEED, Ni | Nr | SPIi | SPIr): what each peer computes once per
// IKE SA after the Diffie-Hellman exchange.
class IkeSaKeysRunner final : public Runner {
 public:
  explicit IkeSaKeysRunner(const LoggedKeymat& k) : k_(k) {}
  bool Init() override {
    auto seed = keymat::Skeyseed(k_.suite.prf, k_.ni, k_.nr, k_.gir);
    if (!seed.ok()) return Fail("Skeyseed: " + seed.error().ToString());
    auto keys = keymat::DeriveIkeSaKeys(k_.suite, *seed, k_.ni, k_.nr, k_.spi_i, k_.spi_r);
    if (!keys.ok()) return Fail("DeriveIkeSaKeys: " + keys.error().ToString());
    if (!Same(*seed, k_.skeyseed) || !Same(keys->sk_d, k_.skd) || !Same(keys->sk_ai, k_.skai) ||
        !Same(keys->sk_ar, k_.skar) || !Same(keys->sk_ei, k_.skei) || !Same(keys->sk_er, k_.sker) ||
        !Same(keys->sk_pi, k_.skpi) || !Same(keys->sk_pr, k_.skpr)) {
      return Fail("SKEYSEED or the IKE SA keys differ from strongSwan's log");
    }
    return true;
  }
  bool Once() override {
    auto seed = keymat::Skeyseed(k_.suite.prf, k_.ni, k_.nr, k_.gir);
    if (!seed.ok()) return Fail("Skeyseed: " + seed.error().ToString());
    auto keys = keymat::DeriveIkeSaKeys(k_.suite, *seed, k_.ni, k_.nr, k_.spi_i, k_.spi_r);
    if (!keys.ok()) return Fail("DeriveIkeSaKeys: " + keys.error().ToString());
    benchmark::DoNotOptimize(keys->sk_pr.data());
    return true;
  }

 private:
  const LoggedKeymat& k_;
};

// The same derivation on bare Crypto++ HMAC<SHA256> (both captures' PRF is
// PRF_HMAC_SHA2_256): SKEYSEED = HMAC(Ni | Nr, g^ir), then prf+ blocks
// T1 | T2 | ... with Tn = HMAC(SKEYSEED, Tn-1 | Ni | Nr | SPIi | SPIr | n),
// one keyed HMAC object reused for every block, cut at the same length.
class RawIkeSaKeysRunner final : public Runner {
 public:
  explicit RawIkeSaKeysRunner(const LoggedKeymat& k) : k_(k) {}
  bool Init() override {
    if (k_.suite.prf != iana::Prf::kHmacSha2_256) return Fail("the raw derivation is HMAC-SHA-256 only");
    auto sizes = keymat::SizesFor(k_.suite);
    if (!sizes.ok()) return Fail("SizesFor: " + sizes.error().ToString());
    length_ = sizes->sk_d + 2 * (sizes->sk_a + sizes->sk_e + sizes->sk_p);
    nonces_ = k_.ni;
    nonces_.insert(nonces_.end(), k_.nr.begin(), k_.nr.end());
    seed_ = nonces_;
    for (uint64_t spi : {k_.spi_i, k_.spi_r})
      for (int shift = 56; shift >= 0; shift -= 8) seed_.push_back(static_cast<uint8_t>(spi >> shift));
    if (!Once()) return false;
    Bytes logged;
    for (const Bytes* b : {&k_.skd, &k_.skai, &k_.skar, &k_.skei, &k_.sker, &k_.skpi, &k_.skpr})
      logged.insert(logged.end(), b->begin(), b->end());
    if (!Same(keymat_, logged)) return Fail("the raw HMAC-SHA-256 derivation differs from strongSwan's log");
    return true;
  }
  bool Once() override {
    CryptoPP::HMAC<CryptoPP::SHA256> skeyseed_mac(nonces_.data(), nonces_.size());
    skeyseed_mac.Update(k_.gir.data(), k_.gir.size());
    skeyseed_mac.Final(skeyseed_.data());
    CryptoPP::HMAC<CryptoPP::SHA256> prf(skeyseed_.data(), skeyseed_.size());
    keymat_.resize(length_);
    std::array<uint8_t, CryptoPP::SHA256::DIGESTSIZE> t{};
    size_t done = 0;
    for (uint8_t n = 1; done < length_; ++n) {
      if (n > 1) prf.Update(t.data(), t.size());
      prf.Update(seed_.data(), seed_.size());
      prf.Update(&n, 1);
      prf.Final(t.data());
      const size_t take = std::min(t.size(), length_ - done);
      std::copy_n(t.begin(), take, keymat_.begin() + static_cast<std::ptrdiff_t>(done));
      done += take;
    }
    benchmark::DoNotOptimize(keymat_.data());
    return true;
  }

 private:
  const LoggedKeymat& k_;
  size_t length_ = 0;
  Bytes nonces_, seed_;
  SecureBytes skeyseed_ = SecureBytes(CryptoPP::SHA256::DIGESTSIZE), keymat_;
};

// One peer's Diffie-Hellman work against a fixed peer public value.
enum class KeOp {
  kKeyPair,         // MakeKeyExchange: a private value and its public value
  kSharedSecret,    // SharedSecret on a kept key pair (includes the RFC 6989 checks)
  kExchange,        // both: what a peer spends per exchange
  kValidatePublic,  // ValidatePublicValue alone (what ike::Validate does per KE payload)
};

class KeRunner final : public Runner {
 public:
  KeRunner(iana::KeGroup group, KeOp op) : group_(group), op_(op) {}
  bool Init() override {
    rng_ = crypto::MakeSystemRng();
    auto peer = crypto::MakeKeyExchange(group_, *rng_);
    auto mine = crypto::MakeKeyExchange(group_, *rng_);
    if (!peer.ok() || !mine.ok()) return Fail("MakeKeyExchange failed");
    peer_ = std::move(peer).value();
    mine_ = std::move(mine).value();
    // Both ends must agree, or the loop would time something else.
    auto a = mine_->SharedSecret(peer_->public_value());
    auto b = peer_->SharedSecret(mine_->public_value());
    if (!a.ok() || !b.ok() || *a != *b) return Fail("the two ends do not agree on g^ir");
    return Once();
  }
  bool Once() override {
    if (op_ == KeOp::kValidatePublic) {
      auto s = crypto::ValidatePublicValue(group_, peer_->public_value());
      if (!s.ok()) return Fail("ValidatePublicValue: " + s.error().ToString());
      return true;
    }
    if (op_ != KeOp::kSharedSecret) {
      auto fresh = crypto::MakeKeyExchange(group_, *rng_);
      if (!fresh.ok()) return Fail("MakeKeyExchange: " + fresh.error().ToString());
      benchmark::DoNotOptimize((*fresh)->public_value().data());
      if (op_ == KeOp::kKeyPair) return true;
      mine_ = std::move(fresh).value();
    }
    auto s = mine_->SharedSecret(peer_->public_value());
    if (!s.ok()) return Fail("SharedSecret: " + s.error().ToString());
    benchmark::DoNotOptimize(s->data());
    return true;
  }
  // g^ir of the kept pair (for the PFS child derivation).
  Result<SecureBytes> Secret() { return mine_->SharedSecret(peer_->public_value()); }

 private:
  iana::KeGroup group_;
  KeOp op_;
  std::unique_ptr<crypto::Rng> rng_;
  std::unique_ptr<crypto::KeyExchange> peer_, mine_;
};

// The bare Crypto++ key agreement that reference/crypto/ke.cc wraps, its
// domain (curve or prime) set up once: per exchange a key pair and Agree
// without Crypto++'s own public value check (ipsecref makes the RFC 6989
// checks itself; ke/<group>/validate-public times them).
class RawKeRunner final : public Runner {
 public:
  explicit RawKeRunner(iana::KeGroup group) : group_(group) {}
  bool Init() override {
    const crypto::KeGroupInfo* info = crypto::FindKeGroup(group_);
    if (info == nullptr) return Fail("unknown group");
    switch (info->family) {
      case crypto::KeFamily::kModp: {
        auto p = ipsecref::FromHex(info->prime_hex);
        if (!p.ok()) return Fail("bad prime");
        domain_ = std::make_unique<CryptoPP::DH>(CryptoPP::Integer(p->data(), p->size()), CryptoPP::Integer::Two());
        break;
      }
      case crypto::KeFamily::kEcp:
        domain_ = std::make_unique<CryptoPP::ECDH<CryptoPP::ECP>::Domain>(CryptoPP::ASN1::secp256r1());
        break;
      case crypto::KeFamily::kMontgomery:
        domain_ = std::make_unique<CryptoPP::x25519>();
        break;
    }
    if (group_ != iana::KeGroup::kEcp256 && info->family == crypto::KeFamily::kEcp) return Fail("only P-256 here");
    priv_.New(domain_->PrivateKeyLength());
    pub_.New(domain_->PublicKeyLength());
    peer_pub_.New(domain_->PublicKeyLength());
    shared_.New(domain_->AgreedValueLength());
    CryptoPP::SecByteBlock peer_priv(domain_->PrivateKeyLength());
    domain_->GenerateKeyPair(rng_, peer_priv, peer_pub_);
    return Once();
  }
  bool Once() override {
    domain_->GenerateKeyPair(rng_, priv_, pub_);
    if (!domain_->Agree(shared_, priv_, peer_pub_, /*validateOtherPublicKey=*/false)) return Fail("Agree failed");
    benchmark::DoNotOptimize(shared_.data());
    return true;
  }

 private:
  iana::KeGroup group_;
  CryptoPP::AutoSeededRandomPool rng_;
  std::unique_ptr<CryptoPP::SimpleKeyAgreementDomain> domain_;
  CryptoPP::SecByteBlock priv_, pub_, peer_pub_, shared_;
};

enum class Pfs {
  kNone,          // KEYMAT = prf+(SK_d, Ni | Nr)
  kDeriveOnly,    // KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr), g^ir given
  kWithExchange,  // the same plus this peer's ECP-256 exchange
};

// The keys of one Child SA from SK_d (RFC 7296 §2.17), with the capture's
// SK_d and nonces (those of the IKE_AUTH Child SA; a CREATE_CHILD_SA would
// bring fresh ones of the same size).
class ChildSaKeysRunner final : public Runner {
 public:
  ChildSaKeysRunner(const LoggedKeymat& k, Pfs pfs) : k_(k), pfs_(pfs), ke_(iana::KeGroup::kEcp256, KeOp::kExchange) {}
  bool Init() override {
    if (pfs_ == Pfs::kNone) {
      auto keys = Derive({});
      if (!keys.ok()) return Fail("DeriveChildSaKeys: " + keys.error().ToString());
      if (!Same(keys->encr_i, k_.child_encr_i) || !Same(keys->integ_i, k_.child_integ_i) ||
          !Same(keys->encr_r, k_.child_encr_r) || !Same(keys->integ_r, k_.child_integ_r)) {
        return Fail("the Child SA keys differ from strongSwan's log");
      }
      return true;
    }
    // No logged PFS rekey to compare with: a fresh ECP-256 g^ir.
    if (!ke_.Init()) return Fail(ke_.error());
    auto secret = ke_.Secret();
    if (!secret.ok()) return Fail("SharedSecret: " + secret.error().ToString());
    g_ir_ = std::move(secret).value();
    return Once();
  }
  bool Once() override {
    if (pfs_ == Pfs::kWithExchange && !ke_.Once()) return Fail(ke_.error());
    auto keys = Derive(g_ir_);
    if (!keys.ok()) return Fail("DeriveChildSaKeys: " + keys.error().ToString());
    benchmark::DoNotOptimize(keys->encr_r.data());
    return true;
  }

 private:
  Result<keymat::ChildSaKeys> Derive(ByteSpan g_ir) {
    return keymat::DeriveChildSaKeys(k_.suite.prf, k_.skd, g_ir, k_.ni, k_.nr, k_.child_encr, k_.child_encr_bits,
                                     k_.child_integ);
  }
  const LoggedKeymat& k_;
  Pfs pfs_;
  KeRunner ke_;
  SecureBytes g_ir_;
};

// ------------------------------------------------------------------ drivers

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Median(std::vector<double>& v) {
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

constexpr double kBlockSeconds = 50e-6;

// How many operations of `r` fill about `target` seconds (at least one).
size_t BlockFor(Runner& r, double target) {
  size_t n = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < 4 * target && n < 100000) {
    if (!r.Once()) return 0;
    ++n;
    elapsed = Seconds(Clock::now() - t0);
  }
  const double per_op = elapsed / static_cast<double>(n);
  return std::max<size_t>(1, static_cast<size_t>(target / per_op));
}

// Operations per second (and bytes per second where the runner has bytes),
// and counter "median_ns": the median over blocks of some 50 µs of the time
// per operation, which other processes on the machine disturb less than the
// mean that items_per_second comes from.
void Bench(benchmark::State& state, Runner& r, int64_t items_per_op = 1) {
  if (!r.Init()) {
    state.SkipWithError(r.error().c_str());
    return;
  }
  const size_t block = BlockFor(r, kBlockSeconds);
  if (block == 0) {
    state.SkipWithError(r.error().c_str());
    return;
  }
  std::vector<double> per_op;
  size_t in_block = 0;
  auto t0 = Clock::now();
  for (auto _ : state) {
    if (!r.Once()) {
      state.SkipWithError(r.error().c_str());
      return;
    }
    if (++in_block == block) {
      const auto t1 = Clock::now();
      per_op.push_back(Seconds(t1 - t0) / static_cast<double>(block));
      t0 = t1;
      in_block = 0;
    }
  }
  const auto ops = static_cast<int64_t>(state.iterations());
  state.SetItemsProcessed(ops * items_per_op);
  if (r.bytes() > 0) state.SetBytesProcessed(ops * static_cast<int64_t>(r.bytes()));
  if (!per_op.empty()) state.counters["median_ns"] = 1e9 * Median(per_op);
}

// One side of an interleaved benchmark: a runner and the counter prefix.
struct Side {
  std::string name;  // counter "<name>_ns"
  std::unique_ptr<Runner> runner;
};

// A counter "<name>" = the median over rounds of time per operation of side
// `num` / that of side `den`.
struct Ratio {
  std::string name;
  size_t num, den;
};

// The sides in turn, one block of each per iteration (some 50 µs, or one
// operation where that takes longer), each block timed on its own, the
// order rotating so that no side always runs first. Counters: "<side>_ns",
// the median time per operation of each side, and the ratios asked for,
// each the median over rounds of the ratio within the round. Other
// processes on the machine slow single blocks down, not one side, so these
// stay steady where separately timed benchmarks drift apart.
void Interleaved(benchmark::State& state, std::vector<Side>& sides, const std::vector<Ratio>& ratios) {
  std::vector<size_t> block;
  for (Side& side : sides) {
    const size_t n = side.runner->Init() ? BlockFor(*side.runner, kBlockSeconds) : 0;
    if (n == 0) {
      state.SkipWithError((side.name + ": " + side.runner->error()).c_str());
      return;
    }
    block.push_back(n);
  }
  std::vector<std::vector<double>> times(sides.size()), ratio_values(ratios.size());
  std::vector<double> round(sides.size());
  size_t first = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < sides.size(); ++k) {
      const size_t i = (first + k) % sides.size();
      Runner& r = *sides[i].runner;
      const auto t0 = Clock::now();
      for (size_t j = 0; j < block[i]; ++j) {
        if (!r.Once()) {
          state.SkipWithError((sides[i].name + ": " + r.error()).c_str());
          return;
        }
      }
      round[i] = Seconds(Clock::now() - t0) / static_cast<double>(block[i]);
      times[i].push_back(round[i]);
    }
    first = (first + 1) % sides.size();
    for (size_t k = 0; k < ratios.size(); ++k) ratio_values[k].push_back(round[ratios[k].num] / round[ratios[k].den]);
  }
  if (times.front().empty()) return;
  for (size_t i = 0; i < sides.size(); ++i) state.counters[sides[i].name + "_ns"] = 1e9 * Median(times[i]);
  for (size_t k = 0; k < ratios.size(); ++k) state.counters[ratios[k].name] = Median(ratio_values[k]);
}

// A factory per side; the runners are made when the benchmark runs.
struct SideMaker {
  std::string name;
  std::function<std::unique_ptr<Runner>()> make;
};

void RegisterInterleaved(const std::string& name, std::vector<SideMaker> makers, std::vector<Ratio> ratios) {
  benchmark::RegisterBenchmark(("paired/" + name).c_str(), [makers, ratios](benchmark::State& s) {
    std::vector<Side> sides;
    for (const SideMaker& m : makers) sides.push_back({m.name, m.make()});
    Interleaved(s, sides, ratios);
  });
}

template <typename Make>
void Register(const std::string& name, Make make, int64_t items_per_op = 1) {
  benchmark::RegisterBenchmark(name.c_str(), [make, items_per_op](benchmark::State& s) {
    auto r = make();
    Bench(s, *r, items_per_op);
  });
}

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
    auto cap = LoadCapture(c.capture);
    if (!cap.ok()) {
      std::fprintf(stderr, "ike_bench: %s\n", cap.error().ToString().c_str());
      return 1;
    }
    g_captures.push_back(std::move(cap).value());
    auto k = LoadLoggedKeymat(c.capture);
    if (!k.ok()) {
      std::fprintf(stderr, "ike_bench: %s\n", k.error().ToString().c_str());
      return 1;
    }
    g_keymat.push_back(std::move(k).value());
  }

  // Every runner must work on these inputs before anything is timed.
  std::vector<std::unique_ptr<Runner>> checks;
  for (const Capture& cap : g_captures) {
    for (const CapturedMessage& m : cap.messages) {
      checks.push_back(std::make_unique<ProcessRunner>(m));
      if (m.protection != nullptr) checks.push_back(std::make_unique<UnprotectRunner>(cap, m));
    }
  }
  for (const LoggedKeymat& k : g_keymat) {
    checks.push_back(std::make_unique<IkeSaKeysRunner>(k));
    checks.push_back(std::make_unique<RawIkeSaKeysRunner>(k));
    checks.push_back(std::make_unique<ChildSaKeysRunner>(k, Pfs::kNone));
  }
  for (auto& r : checks) {
    if (!r->Init()) {
      std::fprintf(stderr, "ike_bench: %s\n", r->error().c_str());
      return 1;
    }
  }

  using Make = std::function<std::unique_ptr<Runner>()>;
  for (const Capture& cap : g_captures) {
    const Capture* c = &cap;
    for (const CapturedMessage& m : cap.messages) {
      const CapturedMessage* mp = &m;
      const std::string tail = cap.name + "/" + m.name;
      const Make process = [mp] { return std::make_unique<ProcessRunner>(*mp); };
      const Make decode = [mp] { return std::make_unique<DecodeRunner>(*mp); };
      const Make validate = [mp] { return std::make_unique<ValidateRunner>(*mp); };
      Register("ike/" + tail, process);
      Register("decode/" + tail, decode);
      Register("validate/" + tail, validate);
      std::vector<SideMaker> sides = {{"ike", process}, {"decode", decode}, {"validate", validate}};
      std::vector<Ratio> ratios;
      if (m.protection != nullptr) {
        const Make unprotect = [c, mp] { return std::make_unique<UnprotectRunner>(*c, *mp); };
        const Make decrypt = [mp] { return std::make_unique<DecryptRunner>(*mp); };
        Register("unprotect/" + tail, unprotect);
        Register("decrypt/" + tail, decrypt);
        sides.push_back({"decrypt", decrypt});
        sides.push_back({"unprotect", unprotect});
        ratios.push_back({"cost_ratio", 0, 4});
      }
      RegisterInterleaved("ike/" + tail, sides, ratios);
    }
    Register(
        "ike/" + cap.name + "/all", [c] { return std::make_unique<CaptureRunner>(*c); },
        static_cast<int64_t>(cap.messages.size()));
  }

  std::vector<SideMaker> exchanges;  // one per group, for the IKE SA derivation's rounds
  for (const KeGroupName& g : kGroups) {
    const std::string prefix = std::string("ke/") + g.name + "/";
    const iana::KeGroup id = g.id;
    const Make key_pair = [id] { return std::make_unique<KeRunner>(id, KeOp::kKeyPair); };
    const Make shared = [id] { return std::make_unique<KeRunner>(id, KeOp::kSharedSecret); };
    const Make exchange = [id] { return std::make_unique<KeRunner>(id, KeOp::kExchange); };
    const Make validate = [id] { return std::make_unique<KeRunner>(id, KeOp::kValidatePublic); };
    const Make raw = [id] { return std::make_unique<RawKeRunner>(id); };
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
    const Make derive = [k] { return std::make_unique<IkeSaKeysRunner>(*k); };
    const Make raw = [k] { return std::make_unique<RawIkeSaKeysRunner>(*k); };
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
    const Make no_pfs = [k] { return std::make_unique<ChildSaKeysRunner>(*k, Pfs::kNone); };
    const Make pfs = [k] { return std::make_unique<ChildSaKeysRunner>(*k, Pfs::kDeriveOnly); };
    const Make pfs_exchange = [k] { return std::make_unique<ChildSaKeysRunner>(*k, Pfs::kWithExchange); };
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
