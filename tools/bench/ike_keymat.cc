#include "tools/bench/ike_keymat.h"

#include <cryptopp/dh.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/hmac.h>
#include <cryptopp/oids.h>
#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>
#include <cryptopp/xed25519.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "reference/crypto/ke.h"
#include "reference/crypto/primitives.h"

namespace ipsecref::bench {

Result<LoggedKeymat> LoadLoggedKeymat(const std::string& source_dir, const std::string& capture) {
  const std::string path = source_dir + "/vectors/ike/keymat_strongswan_" + capture + ".json";
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

namespace {

bool Same(const SecureBytes& a, const Bytes& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// SKEYSEED = prf(Ni | Nr, g^ir), then the seven IKE SA keys from
// prf+(SKEYSEED, Ni | Nr | SPIi | SPIr): what each peer computes once per
// IKE SA after the Diffie-Hellman exchange.
class IkeSaKeys final : public Runner {
 public:
  explicit IkeSaKeys(const LoggedKeymat& k) : k_(k) {}
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
class RawIkeSaKeys final : public Runner {
 public:
  explicit RawIkeSaKeys(const LoggedKeymat& k) : k_(k) {}
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


class KeyExchangeOp final : public Runner {
 public:
  KeyExchangeOp(iana::KeGroup group, KeOp op) : group_(group), op_(op) {}
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
class RawKeyExchange final : public Runner {
 public:
  explicit RawKeyExchange(iana::KeGroup group) : group_(group) {}
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


// The keys of one Child SA from SK_d (RFC 7296 §2.17), with the capture's
// SK_d and nonces (those of the IKE_AUTH Child SA; a CREATE_CHILD_SA would
// bring fresh ones of the same size).
class ChildSaKeys final : public Runner {
 public:
  ChildSaKeys(const LoggedKeymat& k, Pfs pfs) : k_(k), pfs_(pfs), ke_(iana::KeGroup::kEcp256, KeOp::kExchange) {}
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
  KeyExchangeOp ke_;
  SecureBytes g_ir_;
};

}  // namespace

std::unique_ptr<Runner> IkeSaKeysRunner(const LoggedKeymat& k, bool raw) {
  if (raw) return std::make_unique<RawIkeSaKeys>(k);
  return std::make_unique<IkeSaKeys>(k);
}

std::unique_ptr<Runner> KeRunner(iana::KeGroup group, KeOp op) { return std::make_unique<KeyExchangeOp>(group, op); }

std::unique_ptr<Runner> RawKeRunner(iana::KeGroup group) { return std::make_unique<RawKeyExchange>(group); }

std::unique_ptr<Runner> ChildSaKeysRunner(const LoggedKeymat& k, Pfs pfs) {
  return std::make_unique<ChildSaKeys>(k, pfs);
}

}  // namespace ipsecref::bench
