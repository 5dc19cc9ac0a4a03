// keys.json: the bundled captures that Wireshark's key files cannot
// describe (ChaCha20-Poly1305, CCM, ESN, AH), checked with a keys.json alone
// (vectors/keys-json/, keys copied from the captures' keys.csv.a written by
// strongSwan's save-keys plugin). What every capture must yield comes from
// pcaps/manifest.json (tshark 4.0.17 and Scapy 2.5.0): 16 packets, two SAs
// of 5 packets each, every one verified.
#include <gtest/gtest.h>

#include <filesystem>

#include "interop/check/capture_check.h"
#include "reference/io/keys.h"
#include "reference/io/keys_json.h"
#include "reference/io/keys_json_test_util.h"

namespace ipsecref::io {
namespace {

using iana::Encr;
using iana::Integ;

using test::LoadKeys;
using test::TempDir;
const std::string& kVectors = test::kKeysJsonVectors;
KeysJson ParseFile(const std::string& path) { return test::ParseKeysJsonFile(path); }
KeyStore Load(const std::string& path) { return LoadKeys(path); }

struct ExpectedSa {
  uint32_t spi;
  SaProtocol protocol;
};

// pcaps/manifest.json: every SA 5 packets, 5 ok, 0 failed; 16 packets.
void ExpectEveryPacketVerified(const std::string& capture, const KeyStore& keys,
                               std::vector<ExpectedSa> sas) {
  auto report = CheckCapture(capture, keys);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->packets, 16u);
  EXPECT_EQ(report->failed(), 0u);
  EXPECT_EQ(report->findings(), 0u);
  ASSERT_EQ(report->sas.size(), sas.size());
  for (const ExpectedSa& want : sas) {
    SCOPED_TRACE(fmt::format("SPI {:#010x}", want.spi));
    const SaReport* found = nullptr;
    for (const SaReport& sa : report->sas)
      if (sa.spi == want.spi) found = &sa;
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->protocol, want.protocol);
    EXPECT_TRUE(found->keys_known);
    EXPECT_EQ(found->packets, 5u);
    EXPECT_EQ(found->ok, 5u);
    EXPECT_EQ(found->failed, 0u);
  }
}

TEST(KeysJson, ChaCha20Poly1305EspVerifiesEveryPacket) {
  const KeysJson keys = ParseFile(kVectors + "linux-xfrm-chacha.keys");
  ASSERT_EQ(keys.sas.size(), 2u);
  EXPECT_EQ(keys.sas[0].encr, Encr::kChaCha20Poly1305);
  EXPECT_EQ(keys.sas[0].origins, std::vector<std::string>{kVectors + "linux-xfrm-chacha.keys: /esp/0"});
  ExpectEveryPacketVerified("pcaps/linux-xfrm-chacha/capture.pcap",
                            Load(kVectors + "linux-xfrm-chacha.keys"),
                            {{0xca485a91, SaProtocol::kEsp}, {0xc156b4bd, SaProtocol::kEsp}});
}

TEST(KeysJson, CcmEspVerifiesEveryPacket) {
  const KeysJson keys = ParseFile(kVectors + "linux-xfrm-ccm.keys");
  ASSERT_EQ(keys.sas.size(), 2u);
  EXPECT_EQ(keys.sas[0].encr, Encr::kAesCcm16);
  EXPECT_EQ(keys.sas[0].encr_key.size(), 16u + 3u);  // RFC 4309 §7.1: key and 3-octet salt
  ExpectEveryPacketVerified("pcaps/linux-xfrm-ccm/capture.pcap",
                            Load(kVectors + "linux-xfrm-ccm.keys"),
                            {{0xc8d9921b, SaProtocol::kEsp}, {0xcbcbd560, SaProtocol::kEsp}});
}

TEST(KeysJson, EsnEspVerifiesEveryPacket) {
  const KeysJson keys = ParseFile(kVectors + "linux-xfrm-esn.keys");
  ASSERT_EQ(keys.sas.size(), 2u);
  // The file gives one SPI as a number and one transform as a number.
  EXPECT_EQ(keys.sas[0].spi, 0xcfcebd6au);
  EXPECT_EQ(keys.sas[1].encr, Encr::kAesGcm16);
  for (const SaKeys& k : keys.sas) EXPECT_EQ(k.esn, std::optional<bool>(true));
  ExpectEveryPacketVerified("pcaps/linux-xfrm-esn/capture.pcap",
                            Load(kVectors + "linux-xfrm-esn.keys"),
                            {{0xcfcebd6a, SaProtocol::kEsp}, {0xcb85c666, SaProtocol::kEsp}});
}

TEST(KeysJson, AhVerifiesEveryPacket) {
  const KeysJson keys = ParseFile(kVectors + "linux-xfrm-ah.keys");
  ASSERT_EQ(keys.sas.size(), 2u);
  EXPECT_EQ(keys.sas[0].protocol, SaProtocol::kAh);
  EXPECT_EQ(keys.sas[0].integ, Integ::kHmacSha2_256_128);
  EXPECT_EQ(keys.sas[0].origins, std::vector<std::string>{kVectors + "linux-xfrm-ah.keys: /ah/0"});
  ExpectEveryPacketVerified("pcaps/linux-xfrm-ah/capture.pcap",
                            Load(kVectors + "linux-xfrm-ah.keys"),
                            {{0xc28eefa5, SaProtocol::kAh}, {0xc0ebb00e, SaProtocol::kAh}});
}

// A directory's keys.json is read beside its other key files, and what
// they both say of an SA merges: Wireshark's esp_sa cannot state ESN (with
// it alone every packet fails, pcaps/manifest.json
// "linux-xfrm-esn-without-esn"); a keys.json beside it can.
TEST(KeysJson, DirectoryKeysJsonMergesWithEspSa) {
  const auto dir = TempDir("esn");
  std::filesystem::copy_file("pcaps/linux-xfrm-esn/esp_sa", dir / "esp_sa");
  std::filesystem::copy_file(kVectors + "linux-xfrm-esn.keys", dir / "keys.json");
  const KeyStore keys = Load(dir.string());
  EXPECT_EQ(keys.files(),
            (std::vector<std::string>{(dir / "esp_sa").string(), (dir / "keys.json").string()}));
  ASSERT_EQ(keys.sas().size(), 2u);
  EXPECT_EQ(keys.sas()[0].origins,
            (std::vector<std::string>{(dir / "esp_sa").string() + ":1",
                                      (dir / "keys.json").string() + ": /esp/0"}));
  EXPECT_EQ(keys.sas()[0].esn, std::optional<bool>(true));
  ExpectEveryPacketVerified("pcaps/linux-xfrm-esn/capture.pcap", keys,
                            {{0xcfcebd6a, SaProtocol::kEsp}, {0xcb85c666, SaProtocol::kEsp}});
  std::filesystem::remove_all(dir);
}


}  // namespace
}  // namespace ipsecref::io
