// X.509 for IKE signature authentication. The certificates are
// vectors/x509/*.der, made by the openssl command line (vectors/x509/make.sh,
// PROVENANCE.md); the known answers are what openssl read in them, written
// beside each certificate by the same script: NAME.subject.txt (`openssl x509
// -subject -nameopt RFC2253 -ext subjectAltName`), NAME.subject.der (the
// subject Name cut out at `openssl asn1parse` offsets), NAME.spki.der
// (`openssl pkey -pubin -outform DER`) and verify.txt (`openssl verify
// -attime 1893456000` on each chain).
#include "reference/crypto/x509.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "reference/crypto/signature.h"

namespace ipsecref::crypto {
namespace {

using iana::IdType;

// 2030-01-01T00:00:00Z, inside every valid certificate's 2025..2125 window
// and the `-attime` of verify.txt.
constexpr int64_t k2030 = 1893456000;
constexpr int64_t k2025June = 1748736000;  // 2025-06-01, inside ee-expired's window
constexpr int64_t k2121 = 4765132800;      // 2121-01-01, inside ee-not-yet-valid's

std::string ReadText(const std::string& name) {
  std::ifstream in("vectors/x509/" + name, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open vectors/x509/" << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
Bytes Read(const std::string& name) {
  const std::string text = ReadText(name);
  return Bytes(text.begin(), text.end());
}

// openssl's verdict per end entity in verify.txt: "OK" or the first
// "depth N: reason" line.
std::map<std::string, std::string> OpensslVerdicts() {
  std::map<std::string, std::string> out;
  std::istringstream in(ReadText("verify.txt"));
  for (std::string line; std::getline(in, line);) {
    const size_t colon = line.find(": ");
    if (line.rfind("ee-", 0) != 0 || colon == std::string::npos) continue;
    out.emplace(line.substr(0, colon), line.substr(colon + 2));
  }
  return out;
}

struct Family {
  const char* name;
  SignatureScheme scheme;  // what the end entity's key signs AUTH with
};
constexpr Family kFamilies[] = {
    {"rsa-pkcs1", SignatureScheme::kRsaPkcs1Sha256}, {"rsa-pss", SignatureScheme::kRsaPssSha256},
    {"p256", SignatureScheme::kEcdsaP256Sha256},     {"p384", SignatureScheme::kEcdsaP384Sha384},
    {"p521", SignatureScheme::kEcdsaP521Sha512},     {"ed25519", SignatureScheme::kEd25519},
};

// What openssl printed for a certificate: its subject and subjectAltName.
struct OpensslView {
  std::string subject;
  std::vector<std::string> dns, email;
  std::vector<Bytes> ip;
};

OpensslView ReadOpensslView(const std::string& name) {
  OpensslView v;
  std::istringstream in(ReadText(name + ".subject.txt"));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("subject=", 0), 0u) << line;
  v.subject = line.substr(8);
  std::getline(in, line);  // "X509v3 Subject Alternative Name: " (absent for CAs)
  if (!std::getline(in, line)) return v;
  std::istringstream entries(line.substr(line.find_first_not_of(' ')));
  for (std::string e; std::getline(entries, e, ',');) {
    e = e.substr(e.find_first_not_of(' '));
    if (e.rfind("DNS:", 0) == 0) v.dns.push_back(e.substr(4));
    if (e.rfind("email:", 0) == 0) v.email.push_back(e.substr(6));
    if (e.rfind("IP Address:", 0) == 0) {
      const std::string text = e.substr(11);
      const bool v6 = text.find(':') != std::string::npos;
      Bytes address(v6 ? 16 : 4);
      EXPECT_EQ(inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), address.data()), 1) << text;
      v.ip.push_back(address);
    }
  }
  return v;
}

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

// ---------------------------------------------------------------------------
// ParseCertificate against openssl's reading of the same file.

class EveryCertificate : public testing::TestWithParam<std::string> {};

TEST_P(EveryCertificate, ParseMatchesOpenssl) {
  const std::string name = GetParam();
  const Bytes der = Read(name + ".der");
  auto c = ParseCertificate(der);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->der, der);
  EXPECT_EQ(c->subject_dn, Read(name + ".subject.der"));
  EXPECT_EQ(c->subject_public_key_info, Read(name + ".spki.der"));
  const OpensslView want = ReadOpensslView(name);
  EXPECT_EQ(c->subject_text, want.subject);
  EXPECT_EQ(c->dns_names, want.dns);
  EXPECT_EQ(c->rfc822_names, want.email);
  EXPECT_EQ(c->ip_addresses, want.ip);
}

std::vector<std::string> AllCertificateNames() {
  std::vector<std::string> out;
  for (const Family& f : kFamilies)
    for (const char* role : {"ca-", "int-", "ee-"}) out.push_back(std::string(role) + f.name);
  for (const char* n : {"other-ca", "ee-expired", "ee-not-yet-valid", "ee-wrong-issuer", "ee-bad-signature",
                        "ee-non-ca-issuer", "ee-key-encipherment", "ee-non-repudiation", "ee-without-key-usage"})
    out.push_back(n);
  return out;
}

std::string TestName(const testing::TestParamInfo<std::string>& info) {
  std::string out;
  for (char ch : info.param) out += ch == '-' ? '_' : ch;
  return out;
}

INSTANTIATE_TEST_SUITE_P(X509, EveryCertificate, testing::ValuesIn(AllCertificateNames()), TestName);

TEST(ParseCertificate, EndEntityOfP256HoldsWhatMakeShAsked) {
  // make.sh: SAN "DNS:ee-p256.ipsecref.test, DNS:*.ee-p256.ipsecref.test,
  // email:ee-p256@ipsecref.test, IP:192.0.2.3, IP:2001:db8::3".
  auto c = ParseCertificate(Read("ee-p256.der"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->subject_text, "CN=ee-p256.ipsecref.test,OU=vectors,O=ipsecref");
  EXPECT_EQ(c->dns_names, (std::vector<std::string>{"ee-p256.ipsecref.test", "*.ee-p256.ipsecref.test"}));
  EXPECT_EQ(c->rfc822_names, std::vector<std::string>{"ee-p256@ipsecref.test"});
  EXPECT_EQ(c->ip_addresses, (std::vector<Bytes>{{192, 0, 2, 3},
                                                 {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3}}));
}

// The end entity's certificate key and its PKCS#8 private key (both from
// openssl) work with signature.h: what IKE_AUTH will do with them.
class EveryFamily : public testing::TestWithParam<Family> {};

TEST_P(EveryFamily, EndEntityKeySignsAndCertificateKeyVerifies) {
  const std::string ee = std::string("ee-") + GetParam().name;
  auto c = ParseCertificate(Read(ee + ".der"));
  ASSERT_TRUE(c.ok());
  auto rng = MakeDeterministicRng(509);
  const Bytes message = B("InitiatorSignedOctets stand-in");
  auto signature = Sign(GetParam().scheme, Read(ee + ".key.der"), message, *rng);
  ASSERT_TRUE(signature.ok()) << signature.error().ToString();
  EXPECT_TRUE(Verify(GetParam().scheme, c->subject_public_key_info, message, *signature).ok());
  auto other = ParseCertificate(Read(std::string("int-") + GetParam().name + ".der"));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(Verify(GetParam().scheme, other->subject_public_key_info, message, *signature).ok());
}

TEST_P(EveryFamily, ChainVerifiesAsOpensslSays) {
  const std::string f = GetParam().name;
  ASSERT_EQ(OpensslVerdicts()["ee-" + f], "OK");
  const std::vector<Bytes> intermediates{Read("int-" + f + ".der")};
  const std::vector<Bytes> anchors{Read("ca-" + f + ".der")};
  const Status s = VerifyChain(Read("ee-" + f + ".der"), intermediates, anchors, k2030);
  EXPECT_TRUE(s.ok()) << s.error().ToString();
}

TEST_P(EveryFamily, IntermediatesInAnyOrderAndUnusedOnesIgnored) {
  const std::string f = GetParam().name;
  const std::string other = f == "p256" ? "p384" : "p256";
  const std::vector<Bytes> intermediates{Read("int-" + other + ".der"), Read("ee-" + other + ".der"),
                                         Read("int-" + f + ".der")};
  const std::vector<Bytes> anchors{Read("ca-" + other + ".der"), Read("ca-" + f + ".der")};
  const Status s = VerifyChain(Read("ee-" + f + ".der"), intermediates, anchors, k2030);
  EXPECT_TRUE(s.ok()) << s.error().ToString();
}

TEST_P(EveryFamily, AnotherFamilysRootIsNoAnchor) {
  const std::string f = GetParam().name;
  const std::string other = f == "ed25519" ? "p521" : "ed25519";
  const std::vector<Bytes> intermediates{Read("int-" + f + ".der")};
  const std::vector<Bytes> anchors{Read("ca-" + other + ".der")};
  const Status s = VerifyChain(Read("ee-" + f + ".der"), intermediates, anchors, k2030);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kAuthenticationFailed);
  EXPECT_EQ(s.error().requirement, "rfc5280#section-6.1");
  EXPECT_NE(s.error().detail.find("at depth 1"), std::string::npos) << s.error().ToString();
}

std::string FamilyName(const testing::TestParamInfo<Family>& info) {
  std::string out;
  for (const char* p = info.param.name; *p != '\0'; ++p) out += *p == '-' ? '_' : *p;
  return out;
}

INSTANTIATE_TEST_SUITE_P(X509, EveryFamily, testing::ValuesIn(kFamilies), FamilyName);

// ---------------------------------------------------------------------------
// Paths that must not hold (p256 family: root ca-p256, intermediate int-p256).

Status VerifyP256(const std::string& ee, std::vector<Bytes> intermediates, int64_t now = k2030) {
  intermediates.push_back(Read("int-p256.der"));
  const std::vector<Bytes> anchors{Read("ca-p256.der")};
  return VerifyChain(Read(ee + ".der"), intermediates, anchors, now);
}

void ExpectRefused(const Status& s, std::string_view requirement, std::string_view depth, std::string_view why) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kAuthenticationFailed);
  EXPECT_EQ(s.error().requirement, requirement);
  EXPECT_NE(s.error().detail.find(depth), std::string::npos) << s.error().ToString();
  EXPECT_NE(s.error().detail.find(why), std::string::npos) << s.error().ToString();
}

TEST(VerifyChain, ExpiredEndEntityIsRefusedAtDepth0) {
  EXPECT_EQ(OpensslVerdicts()["ee-expired"], "depth 0: certificate has expired");
  ExpectRefused(VerifyP256("ee-expired", {}), "rfc5280#section-6.1.3",
                "the end-entity certificate at depth 0 (CN=ee-expired.ipsecref.test,OU=vectors,O=ipsecref)",
                "expired");
}

TEST(VerifyChain, TheInjectedTimeDecides) {
  // ee-expired is valid 2025-01-01 .. 2026-01-01; ee-not-yet-valid 2120 .. 2125.
  EXPECT_TRUE(VerifyP256("ee-expired", {}, k2025June).ok());
  EXPECT_TRUE(VerifyP256("ee-not-yet-valid", {}, k2121).ok());
  EXPECT_FALSE(VerifyP256("ee-p256", {}, k2025June - 365 * 86400).ok());  // before the CA's notBefore
}

TEST(VerifyChain, NotYetValidEndEntityIsRefusedAtDepth0) {
  EXPECT_EQ(OpensslVerdicts()["ee-not-yet-valid"], "depth 0: certificate is not yet valid");
  ExpectRefused(VerifyP256("ee-not-yet-valid", {}), "rfc5280#section-6.1.3", "at depth 0", "not yet valid");
}

TEST(VerifyChain, IssuerNotGivenIsNamed) {
  EXPECT_EQ(OpensslVerdicts()["ee-wrong-issuer"], "depth 0: unable to get local issuer certificate");
  ExpectRefused(VerifyP256("ee-wrong-issuer", {}), "rfc5280#section-6.1", "at depth 0",
                "(issuer CN=ipsecref test other root CA,OU=vectors,O=ipsecref)");
}

TEST(VerifyChain, MissingIntermediateIsRefused) {
  const std::vector<Bytes> anchors{Read("ca-p256.der")};
  ExpectRefused(VerifyChain(Read("ee-p256.der"), {}, anchors, k2030), "rfc5280#section-6.1", "at depth 0",
                "neither an intermediate nor a trust anchor");
}

TEST(VerifyChain, SignatureByAnImpostorIsRefused) {
  EXPECT_EQ(OpensslVerdicts()["ee-bad-signature"], "depth 0: certificate signature failure");
  ExpectRefused(VerifyP256("ee-bad-signature", {}), "rfc5280#section-6.1.3", "at depth 0",
                "signature does not verify");
}

TEST(VerifyChain, EndEntityAsIssuerIsRefused) {
  EXPECT_EQ(OpensslVerdicts()["ee-non-ca-issuer"], "depth 1: invalid CA certificate");
  ExpectRefused(VerifyP256("ee-non-ca-issuer", {Read("ee-p256.der")}), "rfc5280#section-6.1.4",
                "the certificate at depth 1 (CN=ee-p256.ipsecref.test,OU=vectors,O=ipsecref)", "no CA");
}

TEST(VerifyChain, EndEntityWithoutASigningKeyUsageIsRefused) {
  // openssl verify has no IKE purpose and accepts the path; RFC 4945 does not.
  EXPECT_EQ(OpensslVerdicts()["ee-key-encipherment"], "OK");
  ExpectRefused(VerifyP256("ee-key-encipherment", {}), "rfc4945#section-5.1.3.2", "at depth 0",
                "neither digitalSignature nor nonRepudiation");
}

TEST(VerifyChain, NonRepudiationAloneOrNoKeyUsageIsFitForIke) {
  // RFC 4945 §5.1.3.2: without keyUsage, or with nonRepudiation, the
  // certificate may authenticate IKE.
  for (const char* ee : {"ee-non-repudiation", "ee-without-key-usage"}) {
    EXPECT_EQ(OpensslVerdicts()[ee], "OK");
    const Status s = VerifyP256(ee, {});
    EXPECT_TRUE(s.ok()) << ee << ": " << s.error().ToString();
  }
}

TEST(VerifyChain, AnIpAddressOfFiveOctetsIsMalformed) {
  // openssl verify accepts the path; `openssl x509 -text` prints the entry
  // as "IP Address:<invalid length=5>" (ee-ip-address-5-octets.txt).
  EXPECT_EQ(OpensslVerdicts()["ee-ip-address-5-octets"], "OK");
  EXPECT_NE(ReadText("ee-ip-address-5-octets.txt").find("IP Address:<invalid length=5>"), std::string::npos);
  auto c = ParseCertificate(Read("ee-ip-address-5-octets.der"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Code::kBadFile);
  EXPECT_EQ(c.error().requirement, "rfc5280#section-4.2.1.6");
  EXPECT_NE(c.error().detail.find("iPAddress 0 is 5 octets"), std::string::npos) << c.error().ToString();
  const Status s = VerifyP256("ee-ip-address-5-octets", {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kBadFile);
  EXPECT_NE(s.error().detail.find("the end-entity certificate: subjectAltName iPAddress 0"), std::string::npos)
      << s.error().ToString();
}

TEST(VerifyChain, AConfiguredIntermediateIsAnAnchor) {
  const std::vector<Bytes> anchors{Read("int-p256.der")};
  const Status s = VerifyChain(Read("ee-p256.der"), {}, anchors, k2030);
  EXPECT_TRUE(s.ok()) << s.error().ToString();
}

TEST(VerifyChain, APinnedEndEntityIsAnAnchor) {
  const std::vector<Bytes> anchors{Read("ee-ed25519.der")};
  const Status s = VerifyChain(Read("ee-ed25519.der"), {}, anchors, k2030);
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  // Still only within its validity period.
  ExpectRefused(VerifyChain(Read("ee-ed25519.der"), {}, anchors, k2025June - 365 * 86400), "rfc5280#section-6.1.3",
                "at depth 0", "not yet valid");
}

TEST(VerifyChain, NoTrustAnchorIsAUsageError) {
  const Status s = VerifyChain(Read("ee-p256.der"), {}, {}, k2030);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kInvalidArgument);
  EXPECT_EQ(s.error().requirement, "rfc5280#section-6.1.1");
}

TEST(VerifyChain, MalformedInputsAreNamed) {
  const Bytes ee = Read("ee-p256.der");
  const std::vector<Bytes> good{Read("ca-p256.der")};
  const std::vector<Bytes> bad{Read("int-p256.der"), Bytes(ee.begin(), ee.begin() + 40)};
  Status s = VerifyChain(ee, bad, good, k2030);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kBadFile);
  EXPECT_NE(s.error().detail.find("intermediate certificate 1"), std::string::npos) << s.error().ToString();
  s = VerifyChain(ee, {}, bad, k2030);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().detail.find("trust anchor 1"), std::string::npos) << s.error().ToString();
  s = VerifyChain(Bytes{0x30, 0x00}, {}, good, k2030);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().detail.find("the end-entity certificate"), std::string::npos) << s.error().ToString();
}

// ---------------------------------------------------------------------------
// Malformed certificates.

TEST(VerifyChain, RefusesWhatParseCertificateRefuses) {
  // fuzz/regressions/x509: ee-not-yet-valid with one octet of its
  // subjectAltName changed. ParseCertificate refused it, VerifyChain did not
  // look at subjectAltName and judged the path (pinned, at a time inside its
  // validity: accepted). Every certificate VerifyChain is given now passes
  // ParseCertificate's checks first.
  std::ifstream in("fuzz/regressions/x509/verify_chain_accepts_malformed_subject_alt_name", std::ios::binary);
  const Bytes der{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto parsed = ParseCertificate(der);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().requirement, "rfc5280#section-4.2.1.6");
  struct Case {
    Bytes end_entity;
    std::vector<Bytes> intermediates, anchors;
    std::string which;
  };
  const Bytes good = Read("ee-p256.der"), root = Read("ca-p256.der");
  const Case cases[] = {
      {der, {}, {der}, "the end-entity certificate"},
      {good, {der}, {root}, "intermediate certificate 0"},
      {good, {}, {root, der}, "trust anchor 1"},
  };
  for (const Case& c : cases) {
    const Status s = VerifyChain(c.end_entity, c.intermediates, c.anchors, k2121);
    ASSERT_FALSE(s.ok()) << c.which;
    EXPECT_EQ(s.error().code, Code::kBadFile) << s.error().ToString();
    EXPECT_EQ(s.error().requirement, "rfc5280#section-4.2.1.6");
    EXPECT_NE(s.error().detail.find(c.which + ": subjectAltName does not decode"), std::string::npos)
        << s.error().ToString();
  }
}

TEST(ParseCertificate, RefusesEmptyTruncatedAndTrailing) {
  const Bytes der = Read("ee-p384.der");
  EXPECT_EQ(ParseCertificate({}).error().code, Code::kBadFile);
  auto truncated = ParseCertificate(ByteSpan(der).first(der.size() - 1));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, Code::kBadFile);
  EXPECT_EQ(truncated.error().requirement, "rfc5280#section-4.1");
  Bytes trailing = der;
  trailing.push_back(0);
  auto t = ParseCertificate(trailing);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, Code::kTrailingBytes);
  EXPECT_EQ(t.error().offset, der.size());
}

TEST(ParseCertificate, RefusesBerLengths) {
  // The outer SEQUENCE length in a three-octet long form where DER takes two
  // (X.690 §10.1: the definite form with the fewest octets).
  const Bytes der = Read("ee-p256.der");
  ASSERT_EQ(der[0], 0x30);
  ASSERT_EQ(der[1], 0x82);
  Bytes ber{0x30, 0x83, 0x00};
  ber.insert(ber.end(), der.begin() + 2, der.end());
  auto c = ParseCertificate(ber);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Code::kBadFile);
  EXPECT_EQ(c.error().requirement, "rfc5280#section-4.1");
}

TEST(ParseCertificate, RefusesBerLengthInsideTbsCertificate) {
  // The issuer Name's length in the long form ("30 81 52" for "30 52"), the
  // tbsCertificate and Certificate lengths one larger to match. libcrypto
  // decodes it, and re-encodes tbsCertificate by copying what it read.
  const Bytes der = Read("ee-p256.der");
  ASSERT_EQ(Bytes(der.begin(), der.begin() + 2), (Bytes{0x30, 0x82}));      // Certificate, 2-octet length
  ASSERT_EQ(Bytes(der.begin() + 4, der.begin() + 6), (Bytes{0x30, 0x82}));  // tbsCertificate
  size_t at = 8;  // past the headers; then [0] version, serialNumber, signature
  for (int field = 0; field < 3; ++field) at += 2 + der[at + 1];
  ASSERT_EQ(der[at], 0x30);  // issuer
  ASSERT_LT(der[at + 1], 0x80);
  Bytes ber(der.begin(), der.begin() + static_cast<ptrdiff_t>(at + 1));
  ber.push_back(0x81);
  ber.insert(ber.end(), der.begin() + static_cast<ptrdiff_t>(at + 1), der.end());
  for (size_t length_at : {size_t{2}, size_t{6}}) {
    const unsigned value = (ber[length_at] << 8 | ber[length_at + 1]) + 1;
    ber[length_at] = static_cast<uint8_t>(value >> 8);
    ber[length_at + 1] = static_cast<uint8_t>(value);
  }
  auto c = ParseCertificate(ber);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Code::kBadFile);
  EXPECT_EQ(c.error().offset, at);
  EXPECT_NE(c.error().detail.find("not in its shortest form"), std::string::npos) << c.error().ToString();
}

TEST(ParseCertificate, RefusesASubjectInThePrimitiveForm) {
  // fuzz/regressions/x509 (libFuzzer, from ee-bad-signature): the subject
  // Name's tag is 10, a SEQUENCE in the primitive form, which X.690 §8.9.1
  // forbids; `openssl asn1parse` shows "147:d=2 hl=2 l= 78 prim: SEQUENCE".
  // libcrypto decoded it and handed back the octets with tag 10 as the
  // subject.
  std::ifstream in("fuzz/regressions/x509/subject_name_in_primitive_sequence_form", std::ios::binary);
  const Bytes der{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_EQ(der.size(), 570u);
  auto c = ParseCertificate(der);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Code::kBadFile);
  EXPECT_EQ(c.error().offset, 147u);
  EXPECT_EQ(c.error().requirement, "rfc5280#section-4.1");
  EXPECT_NE(c.error().detail.find("primitive form"), std::string::npos) << c.error().ToString();
}

RC_GTEST_PROP(ParseCertificate, EveryProperPrefixIsRefused, ()) {
  static const Bytes der = Read("ee-rsa-pss.der");
  const size_t size = *rc::gen::inRange<size_t>(0, der.size());
  auto c = ParseCertificate(ByteSpan(der).first(size));
  RC_ASSERT(!c.ok());
  RC_ASSERT(c.error().code == Code::kBadFile);
}

RC_GTEST_PROP(ParseCertificate, FlippedOctetsNeverCrashAndAcceptedOnesRoundTrip, ()) {
  static const Bytes der = Read("ee-p521.der");
  Bytes mutated = der;
  const size_t at = *rc::gen::inRange<size_t>(0, der.size());
  mutated[at] ^= *rc::gen::inRange<uint8_t>(1, 255);
  auto c = ParseCertificate(mutated);
  if (c.ok()) {
    RC_ASSERT(c->der == mutated);
    const std::vector<Bytes> anchors{Read("ca-p521.der")};
    const std::vector<Bytes> intermediates{Read("int-p521.der")};
    // Any accepted change to the signed part breaks the signature.
    const Status s = VerifyChain(mutated, intermediates, anchors, k2030);
    RC_ASSERT(!s.ok());
  } else {
    RC_ASSERT(!c.error().requirement.empty());
  }
}

// ---------------------------------------------------------------------------
// Identities (RFC 4945 §3.1).

class Identities : public testing::Test {
 protected:
  void SetUp() override {
    auto c = ParseCertificate(Read("ee-p256.der"));
    ASSERT_TRUE(c.ok());
    cert_ = *c;
  }
  bool Matches(IdType type, ByteSpan data) const { return CertificateMatchesId(cert_, type, data); }
  Certificate cert_;
};

TEST_F(Identities, FqdnMatchesADnsNameWithoutRegardToCase) {
  EXPECT_TRUE(Matches(IdType::kFqdn, B("ee-p256.ipsecref.test")));
  EXPECT_TRUE(Matches(IdType::kFqdn, B("EE-P256.IPSECREF.test")));
  EXPECT_FALSE(Matches(IdType::kFqdn, B("ee-p384.ipsecref.test")));
  EXPECT_FALSE(Matches(IdType::kFqdn, B("ee-p256.ipsecref.test.")));
  EXPECT_FALSE(Matches(IdType::kFqdn, B("ipsecref.test")));
  // A wildcard dNSName vouches for no name below it.
  EXPECT_FALSE(Matches(IdType::kFqdn, B("host.ee-p256.ipsecref.test")));
  EXPECT_TRUE(Matches(IdType::kFqdn, B("*.ee-p256.ipsecref.test")));  // the entry itself, literally
}

TEST_F(Identities, Rfc822MatchesLocalPartExactlyAndDomainWithoutCase) {
  EXPECT_TRUE(Matches(IdType::kRfc822Addr, B("ee-p256@ipsecref.test")));
  EXPECT_TRUE(Matches(IdType::kRfc822Addr, B("ee-p256@IPSECREF.TEST")));
  EXPECT_FALSE(Matches(IdType::kRfc822Addr, B("EE-p256@ipsecref.test")));
  EXPECT_FALSE(Matches(IdType::kRfc822Addr, B("ee-p256")));
  EXPECT_FALSE(Matches(IdType::kRfc822Addr, B("ee-p256.ipsecref.test")));
  EXPECT_FALSE(Matches(IdType::kFqdn, B("ee-p256@ipsecref.test")));
}

TEST_F(Identities, AddressesMatchTheirOwnFamily) {
  const Bytes v4{192, 0, 2, 3};
  const Bytes v6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
  EXPECT_TRUE(Matches(IdType::kIpv4Addr, v4));
  EXPECT_TRUE(Matches(IdType::kIpv6Addr, v6));
  EXPECT_FALSE(Matches(IdType::kIpv6Addr, v4));
  EXPECT_FALSE(Matches(IdType::kIpv4Addr, v6));
  EXPECT_FALSE(Matches(IdType::kIpv4Addr, Bytes{192, 0, 2, 4}));
  EXPECT_FALSE(Matches(IdType::kIpv4Addr, Bytes{192, 0, 2}));
  EXPECT_FALSE(Matches(IdType::kFqdn, B("192.0.2.3")));
}

TEST_F(Identities, DnMatchesTheSubjectOctetForOctet) {
  Bytes dn = Read("ee-p256.subject.der");
  EXPECT_TRUE(Matches(IdType::kDerAsn1Dn, dn));
  dn.back() ^= 0x20;  // one letter of the CN in the other case
  EXPECT_FALSE(Matches(IdType::kDerAsn1Dn, dn));
  EXPECT_FALSE(Matches(IdType::kDerAsn1Dn, Read("int-p256.subject.der")));
  EXPECT_FALSE(Matches(IdType::kDerAsn1Dn, Bytes{0x30, 0x00}));
}

TEST_F(Identities, OtherTypesAndEmptyDataNeverMatch) {
  EXPECT_FALSE(Matches(IdType::kKeyId, B("ee-p256.ipsecref.test")));
  EXPECT_FALSE(Matches(IdType::kDerAsn1Gn, cert_.subject_dn));
  EXPECT_FALSE(Matches(IdType::kNull, {}));
  EXPECT_FALSE(Matches(IdType::kFqdn, {}));
  Certificate empty_subject = cert_;
  empty_subject.subject_dn = {0x30, 0x00};
  EXPECT_FALSE(CertificateMatchesId(empty_subject, IdType::kDerAsn1Dn, Bytes{0x30, 0x00}));
}

// ReadPrivateKey: the formats strongSwan's swanctl directory holds, made by
// `openssl ec` / `openssl rsa -traditional` / `openssl pkey` from the PKCS#8
// keys above (vectors/swanctl/make.sh, PROVENANCE.md), give back openssl's
// own PKCS#8 DER of the same key.
std::string ReadSwanctl(const std::string& name) {
  std::ifstream in("vectors/swanctl/swanctl/" + name, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open vectors/swanctl/swanctl/" << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
ByteSpan Span(const std::string& s) { return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

TEST(ReadPrivateKey, Sec1Pkcs1AndPkcs8InPemAndDer) {
  struct Case {
    std::string file, pkcs8, spki;
    KeyType type;
  };
  const Case cases[] = {
      {"ecdsa/ee-p256.pem", "ee-p256.key.der", "ee-p256.spki.der", KeyType::kEcP256},           // SEC1 PEM
      {"rsa/ee-rsa-pkcs1.pem", "ee-rsa-pkcs1.key.der", "ee-rsa-pkcs1.spki.der", KeyType::kRsa},  // PKCS#1 PEM
      {"private/ee-p384.sec1.der", "ee-p384.key.der", "ee-p384.spki.der", KeyType::kEcP384},    // SEC1 DER
      {"pkcs8/ee-p384.pem", "ee-p384.key.der", "ee-p384.spki.der", KeyType::kEcP384},           // PKCS#8 PEM
      {"pkcs8/ee-p256.der", "ee-p256.key.der", "ee-p256.spki.der", KeyType::kEcP256},           // PKCS#8 DER
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string text = ReadSwanctl(c.file);
    auto key = ReadPrivateKey(Span(text));
    ASSERT_TRUE(key.ok()) << key.error().ToString();
    EXPECT_EQ(key->pkcs8, Read(c.pkcs8));
    EXPECT_EQ(key->subject_public_key_info, Read(c.spki));
    EXPECT_EQ(key->type, c.type);
  }
  const Bytes ed25519 = Read("ee-ed25519.key.der");
  auto key = ReadPrivateKey(ed25519);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->type, KeyType::kEd25519);
}

TEST(ReadPrivateKey, RefusesWhatIsNoKey) {
  for (const std::string& text : {std::string(""), std::string("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC "
                                                                 "PRIVATE KEY-----\n"),
                                 ReadSwanctl("x509/ee-p256.pem"), ReadSwanctl("pubkey/ee-rsa-pkcs1.pem")}) {
    auto key = ReadPrivateKey(Span(text));
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().code, Code::kBadFile);
    EXPECT_NE(key.error().detail.find("no unencrypted private key"), std::string::npos) << key.error().detail;
  }
}

TEST(CertificateToDer, PemAndDer) {
  const std::string pem = ReadSwanctl("x509/ee-p256.pem");
  auto der = CertificateToDer(Span(pem));
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(*der, Read("ee-p256.der"));
  auto same = CertificateToDer(Read("ee-p256.der"));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, Read("ee-p256.der"));
  const std::string key = ReadSwanctl("ecdsa/ee-p256.pem");
  EXPECT_EQ(CertificateToDer(Span(key)).error().code, Code::kBadFile);
}

TEST(PublicKeyToDer, Pem) {
  const std::string pem = ReadSwanctl("pubkey/ee-rsa-pkcs1.pem");
  auto der = PublicKeyToDer(Span(pem));
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(*der, Read("ee-rsa-pkcs1.spki.der"));
}

// strongSwan's encoding of a DN written as text: what strongSwan 5.9.8's
// `pki --self --dn "C=CH, O=ipsecref, CN=..."` wrote as the subject of
// vectors/swanctl/swanctl/x509/pki-*.pem (PrintableString throughout).
TEST(EncodeDistinguishedName, MatchesStrongSwanPkiSubjects) {
  for (const std::string name : {"pki-p256", "pki-rsa"}) {
    const std::string pem = ReadSwanctl("x509/" + name + ".pem");
    auto der = CertificateToDer(Span(pem));
    ASSERT_TRUE(der.ok());
    auto cert = ParseCertificate(*der);
    ASSERT_TRUE(cert.ok());
    auto dn = EncodeDistinguishedName("C=CH, O=ipsecref, CN=" + name + ".ipsecref.test");
    ASSERT_TRUE(dn.ok()) << dn.error().ToString();
    EXPECT_EQ(*dn, cert->subject_dn);
    auto slashes = EncodeDistinguishedName("/C=CH/O=ipsecref/CN=" + name + ".ipsecref.test");
    ASSERT_TRUE(slashes.ok());
    EXPECT_EQ(*slashes, cert->subject_dn);
  }
  // A value outside PrintableString's characters is UTF8String (tag 0x0c).
  auto utf8 = EncodeDistinguishedName("CN=a@b");
  ASSERT_TRUE(utf8.ok());
  EXPECT_EQ(*utf8, (Bytes{0x30, 0x0e, 0x31, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x03, 'a', '@', 'b'}));
}

// make.sh's `-subj "/O=ipsecref/OU=vectors/CN=..."` (UTF8String values):
// the same name as the text, by RFC 5280 comparison, not the same octets.
TEST(SameDistinguishedName, IgnoresStringTypes) {
  auto dn = EncodeDistinguishedName("O=ipsecref, OU=vectors, CN=ee-p256.ipsecref.test");
  ASSERT_TRUE(dn.ok());
  EXPECT_NE(*dn, Read("ee-p256.subject.der"));
  EXPECT_TRUE(SameDistinguishedName(*dn, Read("ee-p256.subject.der")));
  EXPECT_FALSE(SameDistinguishedName(*dn, Read("ee-p384.subject.der")));
  EXPECT_FALSE(SameDistinguishedName(*dn, Bytes{0x30}));
}

TEST(EncodeDistinguishedName, Refusals) {
  EXPECT_EQ(EncodeDistinguishedName("").error().detail, "an empty DN");
  EXPECT_EQ(EncodeDistinguishedName("O=a, junk").error().detail, "RDN 2 'junk' of the DN is not ATTRIBUTE=value");
  EXPECT_EQ(EncodeDistinguishedName("XX=a").error().detail,
            "RDN 1 'XX=a' of the DN: unknown attribute 'XX' (C, ST, L, O, OU, CN, DC, UID, serialNumber, E)");
}

}  // namespace
}  // namespace ipsecref::crypto
