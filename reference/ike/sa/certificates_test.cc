// IKE_AUTH with digital signatures (RFC 7427) and X.509 certificates: each
// end sends its certificate chain when the other asked with CERTREQ, and
// trusts the other's when it leads to a configured CA and vouches for the
// ID it authenticates as (RFC 4945 §3.1). The certificates and keys are
// openssl's (vectors/x509/PROVENANCE.md).
#include <fstream>
#include <iterator>

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

}  // namespace
}  // namespace ipsecref::ike::sa
