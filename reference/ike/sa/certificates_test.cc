// IKE_AUTH with digital signatures (RFC 7427) and X.509 certificates: each
// end sends its certificate chain when the other asked with CERTREQ, and
// trusts the other's when it leads to a configured CA and vouches for the
// ID it authenticates as (RFC 4945 §3.1). The certificates and keys are
// openssl's (vectors/x509/PROVENANCE.md).
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "reference/crypto/signature.h"
#include "reference/testing/exchange.h"

namespace ipsecref::ike::sa {
namespace {

using testing::Exchange;
using testing::Ladder;

Bytes Read(const std::string& name) {
  std::ifstream in(std::string(IPSECREF_SOURCE_DIR) + "/vectors/x509/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

struct Family {
  std::string name;  // ee-<name>.der, int-<name>.der, ca-<name>.der
  crypto::SignatureScheme scheme;
};
const Family kFamilies[] = {
    {"p256", crypto::SignatureScheme::kEcdsaP256Sha256},  {"p384", crypto::SignatureScheme::kEcdsaP384Sha384},
    {"p521", crypto::SignatureScheme::kEcdsaP521Sha512},  {"ed25519", crypto::SignatureScheme::kEd25519},
    {"rsa-pkcs1", crypto::SignatureScheme::kRsaPkcs1Sha256}, {"rsa-pss", crypto::SignatureScheme::kRsaPssSha256},
};

IdPayload FqdnOf(const std::string& family) {
  const std::string fqdn = "ee-" + family + ".ipsecref.test";  // its dNSName (make.sh)
  return IdPayload{iana::IdType::kFqdn, Bytes(fqdn.begin(), fqdn.end())};
}

// A configuration that signs with `mine` and trusts `theirs`'s CA.
IkeConfig CertificateConfig(IkeConfig base, const Family& mine, const Family& theirs) {
  base.local_id = FqdnOf(mine.name);
  base.remote_id = FqdnOf(theirs.name);
  base.local_auth = AuthConfig{};
  base.local_auth.method = iana::AuthMethod::kDigitalSignature;
  base.local_auth.scheme = mine.scheme;
  const Bytes key = Read("ee-" + mine.name + ".key.der");
  base.local_auth.private_key.assign(key.begin(), key.end());
  base.local_auth.certificates = {Read("ee-" + mine.name + ".der"), Read("int-" + mine.name + ".der")};
  base.remote_auth = AuthConfig{};
  base.remote_auth.method = iana::AuthMethod::kDigitalSignature;
  base.remote_auth.trust_anchors = {Read("ca-" + theirs.name + ".der")};
  return base;
}

void ExpectUp(Exchange& x) {
  IkeSa* i = x.OnlyIkeSa(x.initiator());
  IkeSa* r = x.OnlyIkeSa(x.responder());
  ASSERT_TRUE(i && r);
  EXPECT_EQ(i->state, IkeState::kEstablished);
  EXPECT_EQ(r->state, IkeState::kEstablished);
  EXPECT_EQ(i->children.size(), 1u);
  EXPECT_EQ(r->children.size(), 1u);
}

TEST(CertificatesTest, EverySignatureFamilyAuthenticatesWithItsChain) {
  for (const Family& f : kFamilies) {
    SCOPED_TRACE(f.name);
    const Family& other = kFamilies[3];  // Ed25519 on the responder
    Exchange x(CertificateConfig(testing::PskInitiatorConfig(), f, other),
               CertificateConfig(testing::PskResponderConfig(), other, f));
    x.Establish();
    ExpectUp(x);
    /* IKE_SA_INIT <-- { SA KE Nr N... CERTREQ }
       IKE_AUTH { IDi CERT CERT CERTREQ IDr AUTH ... } -->
       <-- { IDr CERT CERT AUTH SA TSi TSr } */
    ASSERT_EQ(x.initiator_log().built.size(), 2u);
    EXPECT_EQ(Ladder(x.initiator_log().built[1]),
              "IKE_AUTH request { IDi CERT CERT CERTREQ IDr AUTH N(INITIAL_CONTACT) SA TSi TSr }");
    EXPECT_EQ(Ladder(x.responder_log().built[1]), "IKE_AUTH response { IDr CERT CERT AUTH SA TSi TSr }");
  }
}

TEST(CertificatesTest, PinnedPublicKeyWithoutCertificates) {
  const Family& f = kFamilies[0];
  IkeConfig ic = CertificateConfig(testing::PskInitiatorConfig(), f, f);
  IkeConfig rc = CertificateConfig(testing::PskResponderConfig(), f, f);
  ic.local_auth.certificates.clear();
  rc.local_auth.certificates.clear();
  ic.remote_auth.trust_anchors.clear();
  rc.remote_auth.trust_anchors.clear();
  ic.remote_auth.public_key = rc.remote_auth.public_key = Read("ee-p256.spki.der");
  Exchange x(ic, rc);
  x.Establish();
  ExpectUp(x);
}

// RFC 7296 §2.21.2: an untrusted certificate, or one that does not vouch
// for the ID, fails IKE_AUTH with AUTHENTICATION_FAILED.
TEST(CertificatesTest, UntrustedOrMismatchedCertificateFails) {
  const Family& f = kFamilies[0];
  const Family& g = kFamilies[1];
  {
    SCOPED_TRACE("the responder trusts another CA");
    IkeConfig rc = CertificateConfig(testing::PskResponderConfig(), g, f);
    rc.remote_auth.trust_anchors = {Read("other-ca.der")};
    Exchange x(CertificateConfig(testing::PskInitiatorConfig(), f, g), rc);
    EXPECT_EQ(x.Establish(), 0u);
    EXPECT_TRUE(x.responder().IkeSas().empty());
    EXPECT_EQ(Ladder(x.responder_log().built.back()), "IKE_AUTH response { N(AUTHENTICATION_FAILED) }");
  }
  {
    SCOPED_TRACE("the initiator claims an ID its certificate does not carry");
    IkeConfig ic = CertificateConfig(testing::PskInitiatorConfig(), f, g);
    IkeConfig rc = CertificateConfig(testing::PskResponderConfig(), g, f);
    const std::string other = "someone-else.ipsecref.test";
    ic.local_id = rc.remote_id = IdPayload{iana::IdType::kFqdn, Bytes(other.begin(), other.end())};
    Exchange x(ic, rc);
    EXPECT_EQ(x.Establish(), 0u);
    EXPECT_EQ(Ladder(x.responder_log().built.back()), "IKE_AUTH response { N(AUTHENTICATION_FAILED) }");
  }
  {
    SCOPED_TRACE("the initiator's certificate expired");
    IkeConfig ic = CertificateConfig(testing::PskInitiatorConfig(), f, g);
    ic.local_auth.certificates = {Read("ee-expired.der"), Read("int-p256.der")};
    Exchange x(ic, CertificateConfig(testing::PskResponderConfig(), g, f));
    EXPECT_EQ(x.Establish(), 0u);
    EXPECT_EQ(Ladder(x.responder_log().built.back()), "IKE_AUTH response { N(AUTHENTICATION_FAILED) }");
  }
}

// What a peer's IKE_SA_INIT message says in N(SIGNATURE_HASH_ALGORITHMS):
// nothing (the notification left out, as from an end without RFC 7427) or
// only `hashes`. The peer itself still believes it sent its usual list.
class HashAnnouncement final : public Hooks {
 public:
  explicit HashAnnouncement(std::vector<uint16_t> hashes = {}) : hashes_(std::move(hashes)) {}
  void OnBuilt(const IkeSa&, Message& m) override {
    if (m.header.exchange_type != iana::ExchangeType::kIkeSaInit) return;
    auto announces = [](const Payload& p) {
      const auto* n = p.as<NotifyPayload>();
      return n != nullptr && n->notify_message_type == iana::NotifyType::kSignatureHashAlgorithms;
    };
    if (hashes_.empty()) {
      std::erase_if(m.payloads, announces);
      return;
    }
    for (Payload& p : m.payloads)
      if (announces(p)) {
        Bytes data;
        for (uint16_t h : hashes_) data.insert(data.end(), {static_cast<uint8_t>(h >> 8), static_cast<uint8_t>(h)});
        std::get_if<NotifyPayload>(&p.body)->notification_data = data;
      }
  }

 private:
  std::vector<uint16_t> hashes_;
};

// The Auth Method of the AUTH payload in a built IKE_AUTH message, or
// nullopt without one.
std::optional<iana::AuthMethod> AuthMethodOf(const Message& m) {
  for (const Payload& p : m.inner)
    if (const auto* a = p.as<AuthPayload>()) return a->auth_method;
  return std::nullopt;
}

bool Logged(Peer& peer, std::string_view text) {
  for (const Event& e : peer.events())
    if (e.text.find(text) != std::string::npos) return true;
  return false;
}

// RFC 7427 §3: Digital Signature (14) only once both ends sent
// SIGNATURE_HASH_ALGORITHMS. Between two ends that sent none, each signs
// with the RFC 7296 method its key allows (RFC 7296 §3.8: RSA with SHA-1;
// RFC 4754 §3: ECDSA 9, 10, 11 by curve) and accepts the other's.
TEST(CertificatesTest, WithoutHashAnnouncementsTheRfc7296MethodsAreUsed) {
  const std::pair<size_t, iana::AuthMethod> kExpected[] = {
      {0, iana::AuthMethod::kEcdsaSha256P256},
      {1, iana::AuthMethod::kEcdsaSha384P384},
      {2, iana::AuthMethod::kEcdsaSha512P521},
      {4, iana::AuthMethod::kRsaDigitalSignature},
  };
  for (const auto& [family, method] : kExpected) {
    const Family& f = kFamilies[family];
    SCOPED_TRACE(f.name);
    Exchange x(CertificateConfig(testing::PskInitiatorConfig(), f, f),
               CertificateConfig(testing::PskResponderConfig(), f, f));
    HashAnnouncement none_i, none_r;
    x.SetHooks(x.initiator(), &none_i);
    x.SetHooks(x.responder(), &none_r);
    x.Establish();
    ExpectUp(x);
    ASSERT_EQ(x.initiator_log().built.size(), 2u);
    ASSERT_EQ(x.responder_log().built.size(), 2u);
    EXPECT_EQ(AuthMethodOf(x.initiator_log().built[1]), method);
    EXPECT_EQ(AuthMethodOf(x.responder_log().built[1]), method);
  }
}

// RSASSA-PSS and Ed25519 have no RFC 7296 method: without the peer's
// SIGNATURE_HASH_ALGORITHMS an end with such a key cannot authenticate.
// The initiator sends no IKE_AUTH request; the responder answers
// AUTHENTICATION_FAILED (RFC 7427 §5: the answer to a key it cannot use).
TEST(CertificatesTest, RsaPssAndEd25519CannotSignWithoutTheHashAnnouncement) {
  for (const Family& f : {kFamilies[3], kFamilies[5]}) {
    SCOPED_TRACE(f.name);
    {
      SCOPED_TRACE("initiator");
      const Family& other = kFamilies[0];
      Exchange x(CertificateConfig(testing::PskInitiatorConfig(), f, other),
                 CertificateConfig(testing::PskResponderConfig(), other, f));
      HashAnnouncement none;
      x.SetHooks(x.responder(), &none);
      EXPECT_EQ(x.Establish(), 0u);
      EXPECT_EQ(x.initiator_log().built.size(), 1u);  // IKE_SA_INIT only
      EXPECT_TRUE(Logged(x.initiator(), "has no RFC 7296 Auth Method"));
    }
    {
      SCOPED_TRACE("responder");
      // The initiator (P-256) got no list either, so it signs with method 9,
      // which the responder accepts before it finds it cannot answer.
      const Family& other = kFamilies[0];
      Exchange x(CertificateConfig(testing::PskInitiatorConfig(), other, f),
                 CertificateConfig(testing::PskResponderConfig(), f, other));
      HashAnnouncement none_i, none_r;
      x.SetHooks(x.initiator(), &none_i);
      x.SetHooks(x.responder(), &none_r);
      EXPECT_EQ(x.Establish(), 0u);
      ASSERT_EQ(x.initiator_log().built.size(), 2u);
      EXPECT_EQ(AuthMethodOf(x.initiator_log().built[1]), iana::AuthMethod::kEcdsaSha256P256);
      EXPECT_EQ(Ladder(x.responder_log().built.back()), "IKE_AUTH response { N(AUTHENTICATION_FAILED) }");
      EXPECT_TRUE(Logged(x.responder(), "has no RFC 7296 Auth Method"));
    }
  }
}

// RFC 7427 §4: the signer uses a hash the other end listed; RFC 8420 §2:
// Ed25519 only for an end that listed Identity (5).
TEST(CertificatesTest, SignerUsesAHashThePeerListed) {
  {
    SCOPED_TRACE("P-256 key, the responder lists SHA2-384 only");
    const Family& f = kFamilies[0];
    Exchange x(CertificateConfig(testing::PskInitiatorConfig(), f, f),
               CertificateConfig(testing::PskResponderConfig(), f, f));
    HashAnnouncement sha384({3});
    x.SetHooks(x.responder(), &sha384);
    x.Establish();
    ExpectUp(x);
    const Message& request = x.initiator_log().built[1];
    EXPECT_EQ(AuthMethodOf(request), iana::AuthMethod::kDigitalSignature);
    for (const Payload& p : request.inner)
      if (const auto* a = p.as<AuthPayload>()) {
        auto parsed = crypto::ParseDigitalSignatureAuth(a->authentication_data);
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(parsed->algorithm->name, "ecdsa-with-SHA384");  // RFC 7427 A.3.3
      }
  }
  {
    SCOPED_TRACE("Ed25519 key, the responder lists SHA2-256, SHA2-384, SHA2-512 but not Identity");
    const Family& f = kFamilies[3];
    Exchange x(CertificateConfig(testing::PskInitiatorConfig(), f, f),
               CertificateConfig(testing::PskResponderConfig(), f, f));
    HashAnnouncement sha2({2, 3, 4});
    x.SetHooks(x.responder(), &sha2);
    EXPECT_EQ(x.Establish(), 0u);
    EXPECT_EQ(x.initiator_log().built.size(), 1u);
    EXPECT_TRUE(Logged(x.initiator(), "lists no hash Ed25519 can sign with"));
  }
}

// RFC 7427 §3, the verifier's side: a peer that sent no
// SIGNATURE_HASH_ALGORITHMS is not allowed Digital Signature (14), and
// its method-14 AUTH fails with AUTHENTICATION_FAILED, in either role.
TEST(CertificatesTest, DigitalSignatureFromAPeerThatSentNoHashesIsRefused) {
  const Family& f = kFamilies[0];
  {
    SCOPED_TRACE("the initiator sent no list");
    Exchange x(CertificateConfig(testing::PskInitiatorConfig(), f, f),
               CertificateConfig(testing::PskResponderConfig(), f, f));
    HashAnnouncement none;
    x.SetHooks(x.initiator(), &none);
    EXPECT_EQ(x.Establish(), 0u);
    EXPECT_EQ(AuthMethodOf(x.initiator_log().built[1]), iana::AuthMethod::kDigitalSignature);
    EXPECT_EQ(Ladder(x.responder_log().built.back()), "IKE_AUTH response { N(AUTHENTICATION_FAILED) }");
    EXPECT_TRUE(Logged(x.responder(), "sent no SIGNATURE_HASH_ALGORITHMS in IKE_SA_INIT"));
  }
  {
    SCOPED_TRACE("the responder sent no list");
    // The initiator authenticates with a shared key, so that the responder
    // gets to answer with its signature.
    IkeConfig ic = CertificateConfig(testing::PskInitiatorConfig(), f, f);
    IkeConfig rc = CertificateConfig(testing::PskResponderConfig(), f, f);
    ic.local_auth = testing::PskInitiatorConfig().local_auth;
    rc.remote_auth = testing::PskResponderConfig().remote_auth;
    Exchange x(ic, rc);
    HashAnnouncement none;
    x.SetHooks(x.responder(), &none);
    EXPECT_EQ(x.Establish(), 0u);
    EXPECT_EQ(AuthMethodOf(x.responder_log().built[1]), iana::AuthMethod::kDigitalSignature);
    EXPECT_TRUE(x.initiator().IkeSas().empty());
    EXPECT_TRUE(Logged(x.initiator(), "sent no SIGNATURE_HASH_ALGORITHMS in IKE_SA_INIT"));
  }
  {
    SCOPED_TRACE("both sent a list, the peer signs with method 9");
    Exchange x(CertificateConfig(testing::PskInitiatorConfig(), f, f),
               CertificateConfig(testing::PskResponderConfig(), f, f));
    HashAnnouncement none;
    x.SetHooks(x.responder(), &none);  // the initiator falls back to 9; the responder believes it sent its list
    EXPECT_EQ(x.Establish(), 0u);
    EXPECT_EQ(AuthMethodOf(x.initiator_log().built[1]), iana::AuthMethod::kEcdsaSha256P256);
    EXPECT_EQ(Ladder(x.responder_log().built.back()), "IKE_AUTH response { N(AUTHENTICATION_FAILED) }");
    EXPECT_TRUE(Logged(x.responder(), "must sign with Digital Signature (14)"));
  }
}

// A peer that asks with no CERTREQ: libreswan 4.10 with rightca=%any sends
// none, yet needs the responder's certificate (interop/README.md).
class NoCertreq final : public Hooks {
 public:
  void OnBuilt(const IkeSa&, Message& m) override {
    auto certreq = [](const Payload& p) { return p.type == iana::PayloadType::kCertreq; };
    std::erase_if(m.payloads, certreq);
    std::erase_if(m.inner, certreq);
  }
};

// swanctl.conf's send_cert: ifasked (the default) sends the chain only after
// a CERTREQ (RFC 7296 §3.7), always sends it unasked, never sends none.
TEST(CertificatesTest, SendCertDecidesWhenTheChainIsSent) {
  const Family& f = kFamilies[0];
  const std::pair<AuthConfig::SendCert, std::string> cases[] = {
      {AuthConfig::SendCert::kIfAsked, "IKE_AUTH response { IDr AUTH SA TSi TSr }"},
      {AuthConfig::SendCert::kAlways, "IKE_AUTH response { IDr CERT CERT AUTH SA TSi TSr }"},
  };
  for (const auto& [when, response] : cases) {
    SCOPED_TRACE(response);
    IkeConfig rc = CertificateConfig(testing::PskResponderConfig(), f, f);
    rc.local_auth.send_cert = when;
    Exchange x(CertificateConfig(testing::PskInitiatorConfig(), f, f), rc);
    NoCertreq quiet;
    x.SetHooks(x.initiator(), &quiet);
    x.Establish();
    // (the responder's CERTREQ in IKE_SA_INIT asked the initiator for its chain)
    EXPECT_EQ(Ladder(x.initiator_log().built[1]),
              "IKE_AUTH request { IDi CERT CERT IDr AUTH N(INITIAL_CONTACT) SA TSi TSr }");
    ASSERT_EQ(x.responder_log().built.size(), 2u);
    EXPECT_EQ(Ladder(x.responder_log().built[1]), response);
    if (when == AuthConfig::SendCert::kAlways) {
      ExpectUp(x);
    } else {
      // without the chain the initiator, which pins no key, cannot verify the AUTH
      const IkeSa* i = x.initiator().IkeSas().empty() ? nullptr : x.OnlyIkeSa(x.initiator());
      EXPECT_TRUE(i == nullptr || i->state != IkeState::kEstablished);
    }
  }
  {
    SCOPED_TRACE("never: no chain even when asked");
    IkeConfig ic = CertificateConfig(testing::PskInitiatorConfig(), f, f);
    ic.local_auth.send_cert = AuthConfig::SendCert::kNever;
    Exchange x(ic, CertificateConfig(testing::PskResponderConfig(), f, f));
    EXPECT_EQ(x.Establish(), 0u);
    EXPECT_EQ(Ladder(x.initiator_log().built[1]), "IKE_AUTH request { IDi CERTREQ IDr AUTH N(INITIAL_CONTACT) SA TSi TSr }");
    EXPECT_EQ(Ladder(x.responder_log().built.back()), "IKE_AUTH response { N(AUTHENTICATION_FAILED) }");
  }
}

}  // namespace
}  // namespace ipsecref::ike::sa
