// libreswan's ipsec.conf made from a run's setup (libreswan_conf.h),
// compared with text written by hand from libreswan 4.10's ipsec.conf(5)
// and ipsec.secrets(5) (Debian's libreswan 4.10, usr/share/man/man5/):
// "ike=... cipher-hash;modpgroup", AEAD ciphers followed by the PRF
// (ike=aes_gcm-sha2 "means propose AES_GCM with SHA2 as the prf"),
// "esp=" ENCRYPT_ALGS[-INTEG_ALGS[-DH_ALGS]], phase2=ah, esn=, "@" before
// an FQDN id, and a PSK "in any of supported formats" (0x hex).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "interop/conformance/catalogue.h"
#include "interop/conformance/libreswan_conf.h"
#include "interop/conformance/runner.h"

namespace ipsecref::conformance {
namespace {

// The IUT's configuration of a responder case with `setup`.
ike::sa::IkeConfig IutOf(const std::string& setup) {
  const std::string text = R"({"cases": [{"id": "X-01", "title": "t", "requirement": "rfc7296#section-2.5", "says": "s",
      "level": "MUST", "role": "responder", "expect": [{"check": "established"}], "faults": ["block-out=1"],
      "setup": [)" + setup + "]}]}";
  auto cat = ParseCatalogue(text, "x.json");
  EXPECT_TRUE(cat) << cat.error().ToString();
  Catalogue c{*cat};
  const std::vector<Run> runs = c.Runs();
  auto s = SetupOf(runs.at(0), {});
  EXPECT_TRUE(s) << s.error().ToString();
  return s->iut();
}

const Bytes kIut = {192, 0, 2, 2}, kTester = {192, 0, 2, 1};

constexpr std::string_view kConnHead =
    "config setup\n\tplutodebug=base\n"
    "\nconn net\n\tikev2=yes\n\tauthby=secret\n\tleft=192.0.2.2\n\tleftid=@sun.example\n\tleftsubnet=10.2.0.0/16\n"
    "\tright=192.0.2.1\n\trightid=@moon.example\n\trightsubnet=10.1.0.0/16\n";

// The whole file: the head above, then the conn's algorithms and the rest.
std::string Conf(std::string_view tail) { return fmt::format("{}{}", kConnHead, tail); }

TEST(LibreswanConf, TheDefaultSetup) {
  auto f = LibreswanConf(IutOf(""), kIut, kTester);
  ASSERT_TRUE(f) << f.error().ToString();
  EXPECT_EQ(f->ipsec_conf, Conf(
                               "\tike=aes_gcm128-sha2_256;dh31\n\tphase2=esp\n\tesp=aes_gcm128\n\tpfs=no\n\tesn=no\n"
                               "\ttype=tunnel\n\tfragmentation=yes\n\trekey=no\n\tleftupdown=%disabled\n\tauto=add\n"));
  EXPECT_TRUE(f->ipsec_secrets.starts_with("@sun.example @moon.example : PSK 0x")) << f->ipsec_secrets;
}

TEST(LibreswanConf, CbcWithIntegrityModpAndEsn) {
  auto f = LibreswanConf(IutOf(R"("ike=aes128-sha256-prfsha256-modp2048", "esp=aes128-sha256-esn")"), kIut, kTester);
  ASSERT_TRUE(f) << f.error().ToString();
  EXPECT_EQ(f->ipsec_conf, Conf(
                               "\tike=aes128-sha2_256;modp2048\n\tphase2=esp\n\tesp=aes128-sha2_256\n\tpfs=no\n"
                               "\tesn=yes\n\ttype=tunnel\n\tfragmentation=yes\n\trekey=no\n\tleftupdown=%disabled\n"
                               "\tauto=add\n"));
}

TEST(LibreswanConf, AhWithEsnAndPfs) {
  auto ah = LibreswanConf(IutOf(R"("ah=sha256-esn")"), kIut, kTester);
  ASSERT_TRUE(ah) << ah.error().ToString();
  EXPECT_NE(ah->ipsec_conf.find("\tphase2=ah\n\tesp=sha2_256\n\tpfs=no\n\tesn=yes\n"), std::string::npos) << ah->ipsec_conf;
  auto pfs = LibreswanConf(IutOf(R"("pfs")"), kIut, kTester);
  ASSERT_TRUE(pfs) << pfs.error().ToString();
  EXPECT_NE(pfs->ipsec_conf.find("\tesp=aes_gcm128-null-dh31\n\tpfs=yes\n"), std::string::npos) << pfs->ipsec_conf;
}

TEST(LibreswanConf, TwoChildrenAreTwoConns) {
  auto f = LibreswanConf(IutOf(R"("second-child")"), kIut, kTester);
  ASSERT_TRUE(f) << f.error().ToString();
  EXPECT_NE(f->ipsec_conf.find("\nconn net\n"), std::string::npos);
  EXPECT_NE(f->ipsec_conf.find("\tleftsubnet=10.4.0.0/16\n"), std::string::npos) << f->ipsec_conf;
  EXPECT_NE(f->ipsec_conf.find("\trightsubnet=10.3.0.0/16\n"), std::string::npos) << f->ipsec_conf;
}

// What ipsec.conf cannot say is unsupported, with the reason.
TEST(LibreswanConf, RefusesWhatItCannotWrite) {
  auto prf = LibreswanConf(IutOf(R"("ike=aes128-sha256-prfsha1-modp2048")"), kIut, kTester);
  ASSERT_FALSE(prf);
  EXPECT_EQ(prf.error().code, Code::kUnsupported);
  EXPECT_NE(prf.error().detail.find("PRF follow the integrity algorithm"), std::string::npos) << prf.error().detail;
  auto ccm = LibreswanConf(IutOf(R"("ike=aes128ccm8-prfsha256-modp2048")"), kIut, kTester);
  ASSERT_FALSE(ccm);
  EXPECT_EQ(ccm.error().code, Code::kUnsupported);
}

}  // namespace
}  // namespace ipsecref::conformance
