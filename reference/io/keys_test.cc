// Key files as strongSwan's save-keys plugin and Wireshark wrote them
// (pcaps/*/esp_sa, esp_sa.a, keys.csv.a), and every algorithm name that
// Wireshark 4.0's ESP dissector knows.
#include "reference/io/keys.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "reference/io/esp_sa_file.h"
#include "reference/io/keys_csv.h"

namespace ipsecref::io {
namespace {

using iana::Encr;
using iana::Integ;

std::string Slurp(const std::string& path) { return ReadKeyFile(path).value(); }

SecureBytes Key(std::string_view hex) { return ToSecure(FromHex(hex).value()); }
Bytes Ip(std::string_view text) { return ParseAddress(text).value(); }

std::string Line(std::string_view encr, std::string_view encr_key, std::string_view integ,
                 std::string_view integ_key) {
  return fmt::format(
      "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00001234\",\"{}\",\"{}\",\"{}\",\"{}\"\n", encr,
      encr_key, integ, integ_key);
}

const std::string k32 = "0x" + std::string(64, '1');
const std::string k36 = "0x" + std::string(72, '2');
const std::string k20 = "0x" + std::string(40, '3');

TEST(EspSaFile, WiresharkDialectFromStrongswanCapture) {
  const std::string path = "pcaps/strongswan-gcm/esp_sa";
  auto sas = ParseEspSaFile(Slurp(path), path);
  ASSERT_TRUE(sas.ok()) << sas.error().ToString();
  ASSERT_EQ(sas->size(), 2u);
  const SaKeys& a = (*sas)[0];
  EXPECT_EQ(a.protocol, SaProtocol::kEsp);
  EXPECT_EQ(a.spi, 0x30855da0u);
  EXPECT_EQ(a.src, Ip("192.0.2.1"));
  EXPECT_EQ(a.dst, Ip("192.0.2.2"));
  EXPECT_EQ(a.encr, Encr::kAesGcm16);
  EXPECT_EQ(a.encr_key,
            Key("e58780413ea67511f11cf840f65f5850a19a865db060840d7c415e3a097d76e39b3f001f"));
  EXPECT_EQ(a.integ, Integ::kNone);
  EXPECT_TRUE(a.integ_key.empty());
  EXPECT_FALSE(a.mode.has_value());  // esp_sa does not say
  EXPECT_FALSE(a.esn.has_value());
  EXPECT_EQ(a.origins, std::vector<std::string>{path + ":1"});
  EXPECT_EQ((*sas)[1].spi, 0xf4befda5u);
  EXPECT_EQ((*sas)[1].origins, std::vector<std::string>{path + ":2"});
}

TEST(EspSaFile, StrongswanDialectGivesTheSameSas) {
  auto wireshark = ParseEspSaFile(Slurp("pcaps/strongswan-gcm/esp_sa"), "esp_sa");
  auto strongswan = ParseEspSaFile(Slurp("pcaps/strongswan-gcm/esp_sa.a"), "esp_sa.a");
  ASSERT_TRUE(wireshark.ok());
  ASSERT_TRUE(strongswan.ok()) << strongswan.error().ToString();
  ASSERT_EQ(strongswan->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*strongswan)[i].spi, (*wireshark)[i].spi);
    EXPECT_EQ((*strongswan)[i].encr, Encr::kAesGcm16);  // "ANY 128 bit" = 16-octet ICV
    EXPECT_EQ((*strongswan)[i].encr_key, (*wireshark)[i].encr_key);
    EXPECT_EQ((*strongswan)[i].integ, Integ::kNone);
  }
}

TEST(EspSaFile, CbcWithHmacSha256) {
  auto sas = ParseEspSaFile(Slurp("pcaps/strongswan-cbc/esp_sa"), "esp_sa");
  ASSERT_TRUE(sas.ok()) << sas.error().ToString();
  ASSERT_EQ(sas->size(), 2u);
  EXPECT_EQ((*sas)[0].spi, 0x70df769bu);
  EXPECT_EQ((*sas)[0].encr, Encr::kAesCbc);
  EXPECT_EQ((*sas)[0].encr_key,
            Key("e8d6097c9518d6c2efcfa8a51ecf52e81df8e68ec9da8c63e1b2c3107e54c241"));
  EXPECT_EQ((*sas)[0].integ, Integ::kHmacSha2_256_128);
  EXPECT_EQ((*sas)[0].integ_key,
            Key("be7fde1f0bf48481d86bc1a66483dbeec57bb06abce11b2fc8fc38e8116a2b8f"));
}

// Every name of Wireshark 4.0's esp_encryption_type_vals and
// esp_authentication_type_vals (strings of libwireshark.so.16).
TEST(EspSaFile, EveryWiresharkEncryptionName) {
  struct Case {
    std::string_view name;
    std::string key;
    std::optional<Encr> id;  // nullopt: refused
    Code error = Code::kUnknownTransform;
  };
  const Case cases[] = {
      {"NULL", "", Encr::kNull},
      {"TripleDES-CBC [RFC2451]", "0x" + std::string(48, '4'), Encr::k3Des},
      {"AES-CBC [RFC3602]", k32, Encr::kAesCbc},
      {"AES-CTR [RFC3686]", k36, Encr::kAesCtr},
      {"DES-CBC [RFC2405]", "0x" + std::string(16, '5'), std::nullopt},
      {"CAST5-CBC [RFC2144]", k32, std::nullopt},
      {"BLOWFISH-CBC [RFC2451]", k32, std::nullopt},
      {"TWOFISH-CBC", k32, std::nullopt},
      {"AES-GCM with 8 octet ICV [RFC4106]", k36, Encr::kAesGcm8},
      {"AES-GCM with 12 octet ICV [RFC4106]", k36, Encr::kAesGcm12},
      {"AES-GCM with 16 octet ICV [RFC4106]", k36, Encr::kAesGcm16},
      {"AES-GCM [RFC4106]", k36, std::nullopt, Code::kBadFile},  // ICV size unstated
      {"ROT13", k32, std::nullopt, Code::kBadFile},
  };
  for (const Case& c : cases) {
    const bool aead = c.name.starts_with("AES-GCM");
    auto sas = ParseEspSaFile(
        Line(c.name, c.key, aead ? "NULL" : "HMAC-SHA-1-96 [RFC2404]", aead ? "" : k20), "esp_sa");
    if (c.id) {
      ASSERT_TRUE(sas.ok()) << c.name << ": " << sas.error().ToString();
      EXPECT_EQ((*sas)[0].encr, *c.id) << c.name;
    } else {
      ASSERT_FALSE(sas.ok()) << c.name;
      EXPECT_EQ(sas.error().code, c.error) << c.name << ": " << sas.error().ToString();
      EXPECT_NE(sas.error().detail.find("esp_sa:1"), std::string::npos) << sas.error().detail;
    }
  }
}

TEST(EspSaFile, EveryWiresharkAuthenticationName) {
  struct Case {
    std::string_view name;
    std::string key;
    std::optional<Integ> id;
  };
  const Case cases[] = {
      {"HMAC-SHA-1-96 [RFC2404]", k20, Integ::kHmacSha1_96},
      {"HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]", k32, std::nullopt},
      {"HMAC-SHA-256-128 [RFC4868]", k32, Integ::kHmacSha2_256_128},
      {"HMAC-SHA-384-192 [RFC4868]", "0x" + std::string(96, '6'), Integ::kHmacSha2_384_192},
      {"HMAC-SHA-512-256 [RFC4868]", "0x" + std::string(128, '7'), Integ::kHmacSha2_512_256},
      {"HMAC-MD5-96 [RFC2403]", "0x" + std::string(32, '8'), std::nullopt},  // not implemented
      {"MAC-RIPEMD-160-96 [RFC2857]", k20, std::nullopt},
      {"ANY 96 bit authentication [no checking]", "", std::nullopt},  // would check nothing
  };
  for (const Case& c : cases) {
    auto sas = ParseEspSaFile(Line("AES-CBC [RFC3602]", k32, c.name, c.key), "esp_sa");
    if (c.id) {
      ASSERT_TRUE(sas.ok()) << c.name << ": " << sas.error().ToString();
      EXPECT_EQ((*sas)[0].integ, *c.id) << c.name;
    } else {
      ASSERT_FALSE(sas.ok()) << c.name;
      EXPECT_NE(sas.error().detail.find("esp_sa:1"), std::string::npos) << sas.error().detail;
    }
  }
  // AES-CBC without integrity is legal ESP (RFC 4303 §3.2), if unwise.
  auto none = ParseEspSaFile(Line("AES-CBC [RFC3602]", k32, "NULL", ""), "esp_sa");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)[0].integ, Integ::kNone);
}

TEST(EspSaFile, DeprecatedGcmTakesItsIcvFromTheAnyColumn) {
  const std::pair<std::string_view, Encr> ok[] = {
      {"ANY 64 bit authentication [no checking]", Encr::kAesGcm8},
      {"ANY 96 bit authentication [no checking]", Encr::kAesGcm12},
      {"ANY 128 bit authentication [no checking]", Encr::kAesGcm16},
  };
  for (const auto& [integ, encr] : ok) {
    auto sas = ParseEspSaFile(Line("AES-GCM [RFC4106]", k36, integ, "0x"), "esp_sa");
    ASSERT_TRUE(sas.ok()) << integ;
    EXPECT_EQ((*sas)[0].encr, encr);
  }
  EXPECT_FALSE(
      ParseEspSaFile(Line("AES-GCM [RFC4106]", k36, "ANY 192 bit authentication [no checking]", ""),
                     "esp_sa")
          .ok());
  // An explicit ICV size must agree with the ANY column.
  EXPECT_TRUE(ParseEspSaFile(Line("AES-GCM with 16 octet ICV [RFC4106]", k36,
                                  "ANY 128 bit authentication [no checking]", ""),
                             "esp_sa")
                  .ok());
  EXPECT_FALSE(ParseEspSaFile(Line("AES-GCM with 8 octet ICV [RFC4106]", k36,
                                   "ANY 128 bit authentication [no checking]", ""),
                              "esp_sa")
                   .ok());
  // A combined mode with a separate integrity algorithm is not ESP.
  auto both = ParseEspSaFile(
      Line("AES-GCM with 16 octet ICV [RFC4106]", k36, "HMAC-SHA-1-96 [RFC2404]", k20), "esp_sa");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().code, Code::kBadTransformCombination);
}

TEST(EspSaFile, SyntaxThatWiresharkAccepts) {
  // Comments, blank lines, CRLF, spaces around commas, escapes, an odd
  // number of hex digits (a leading zero nibble), and a text key.
  const std::string text =
      "# This file is automatically generated, DO NOT MODIFY.\r\n"
      "\r\n"
      "\"IPv6\" , \"2001:db8::1\",\"*\",\"4660\",\"AES-CBC [RFC3602]\",\"0123456789abcdef\","
      "\"HMAC-SHA-1-96 [RFC2404]\",\"0x\\x41bcdef0123456789abcdef0123456789abcdef0\"\r\n";
  auto sas = ParseEspSaFile(text, "esp_sa");
  ASSERT_TRUE(sas.ok()) << sas.error().ToString();
  ASSERT_EQ(sas->size(), 1u);
  const SaKeys& k = (*sas)[0];
  EXPECT_EQ(k.spi, 4660u);
  EXPECT_EQ(k.src, Ip("2001:db8::1"));
  EXPECT_TRUE(k.dst.empty());  // any
  const std::string text_key = "0123456789abcdef";
  EXPECT_EQ(k.encr_key, SecureBytes(text_key.begin(), text_key.end()));
  // "0xAbcdef...": 39 hex digits, so a zero nibble goes in front.
  EXPECT_EQ(k.integ_key, Key("0abcdef0123456789abcdef0123456789abcdef0"));
}

TEST(EspSaFile, ErrorsNameFileAndLine) {
  struct Case {
    std::string text;
    Code code;
    std::string_view says;
  };
  const std::string good = Line("AES-CBC [RFC3602]", k32, "NULL", "");
  const Case cases[] = {
      {good + "garbage\n", Code::kBadFile, "esp_sa:2"},
      {good + "\n\"IPv4\",\"192.0.2.1\"\n", Code::kBadFile, "esp_sa:3: 2 fields"},
      {"\"IPv4\",\"192.0.2.1\n", Code::kBadFile, "no closing"},
      {"\"IPv5\",\"192.0.2.1\",\"192.0.2.2\",\"0x1\",\"NULL\",\"\",\"NULL\",\"\"\n", Code::kBadFile,
       "IPv5"},
      {"\"IPv4\",\"2001:db8::1\",\"192.0.2.2\",\"0x1\",\"NULL\",\"\",\"NULL\",\"\"\n",
       Code::kBadFile, "source address"},
      {"\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x1ffffffff\",\"NULL\",\"\",\"NULL\",\"\"\n",
       Code::kBadFile, "SPI"},
      {"\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"*\",\"NULL\",\"\",\"NULL\",\"\"\n",
       Code::kUnsupported, "wildcard"},
      {Line("AES-CBC [RFC3602]", "0xzz", "NULL", ""), Code::kBadFile, "not hexadecimal"},
      {Line("AES-CBC [RFC3602]", "0x0011", "NULL", ""), Code::kBadKeyLength, "16, 24, 32"},
      {Line("AES-CBC [RFC3602]", k32, "HMAC-SHA-1-96 [RFC2404]", "0x00"), Code::kBadKeyLength,
       "20-byte"},
      {"\"IPv4\",\"192.0.2.1\" \"x\"", Code::kBadFile, "expected ','"},
      {"\"a\\x4\"", Code::kBadFile, "escape"},
  };
  for (const Case& c : cases) {
    auto sas = ParseEspSaFile(c.text, "esp_sa");
    ASSERT_FALSE(sas.ok()) << c.text;
    EXPECT_EQ(sas.error().code, c.code) << sas.error().ToString();
    EXPECT_NE(sas.error().detail.find(c.says), std::string::npos) << sas.error().detail;
    EXPECT_EQ(sas.error().detail.rfind("esp_sa:", 0), 0u) << sas.error().detail;
  }
}

TEST(EspSaFile, WriterRoundTrips) {
  // Wireshark's dialect is written back byte for byte.
  for (const char* path : {"pcaps/strongswan-gcm/esp_sa", "pcaps/strongswan-cbc/esp_sa",
                           "pcaps/linux-xfrm-gcm/esp_sa"}) {
    const std::string text = Slurp(path);
    auto sas = ParseEspSaFile(text, path);
    ASSERT_TRUE(sas.ok()) << sas.error().ToString();
    auto written = WriteEspSaFile(*sas);
    ASSERT_TRUE(written.ok()) << written.error().ToString();
    EXPECT_EQ(*written, text) << path;
  }
  // strongSwan's dialect comes back in Wireshark's.
  auto ss = ParseEspSaFile(Slurp("pcaps/strongswan-gcm/esp_sa.a"), "esp_sa.a");
  ASSERT_TRUE(ss.ok());
  auto written = WriteEspSaFile(*ss);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, Slurp("pcaps/strongswan-gcm/esp_sa"));
}

TEST(EspSaFile, WriterRefusesWhatWiresharkCannotName) {
  SaKeys ah;
  ah.protocol = SaProtocol::kAh;
  ah.integ = Integ::kHmacSha1_96;
  EXPECT_EQ(WriteEspSaFile(std::vector<SaKeys>{ah}).error().code, Code::kUnsupported);
  SaKeys chacha;
  chacha.encr = Encr::kChaCha20Poly1305;
  auto r = WriteEspSaFile(std::vector<SaKeys>{chacha});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("ENCR_CHACHA20_POLY1305"), std::string::npos);
}

TEST(KeysCsv, AhTransportFromLinuxXfrm) {
  const std::string path = "pcaps/linux-xfrm-ah-transport/keys.csv.a";
  auto sas = ParseKeysCsv(Slurp(path), path);
  ASSERT_TRUE(sas.ok()) << sas.error().ToString();
  ASSERT_EQ(sas->size(), 2u);
  const SaKeys& a = (*sas)[0];
  EXPECT_EQ(a.protocol, SaProtocol::kAh);
  EXPECT_EQ(a.spi, 0xcf8a79e1u);
  EXPECT_EQ(a.src, Ip("192.0.2.1"));
  EXPECT_EQ(a.dst, Ip("192.0.2.2"));
  EXPECT_EQ(a.integ, Integ::kHmacSha1_96);
  EXPECT_EQ(a.integ_key, Key("afa04913d1d41e286c5581c2169722e37dd27571"));
  EXPECT_EQ(a.mode, esp::Mode::kTransport);
  EXPECT_EQ(a.esn, false);
  EXPECT_EQ(a.udp_encapsulation, false);
  EXPECT_EQ(a.origins, std::vector<std::string>{path + ":2"});
  EXPECT_EQ((*sas)[1].spi, 0xcff6410fu);
}

TEST(KeysCsv, EspTunnelUdpEncapsulated) {
  auto sas = ParseKeysCsv(Slurp("pcaps/strongswan-gcm/keys.csv.a"), "keys.csv.a");
  ASSERT_TRUE(sas.ok()) << sas.error().ToString();
  ASSERT_EQ(sas->size(), 2u);
  EXPECT_EQ((*sas)[0].protocol, SaProtocol::kEsp);
  EXPECT_EQ((*sas)[0].encr, Encr::kAesGcm16);
  EXPECT_EQ((*sas)[0].mode, esp::Mode::kTunnel);
  EXPECT_EQ((*sas)[0].udp_encapsulation, true);
  auto xfrm = ParseKeysCsv(Slurp("pcaps/linux-xfrm-gcm/keys.csv.a"), "keys.csv.a");
  ASSERT_TRUE(xfrm.ok());
  EXPECT_EQ((*xfrm)[0].udp_encapsulation, false);  // raw ESP
}

TEST(KeysCsv, FixedLengthTransformWithKeyLengthZero) {
  //= rfc7296#section-3.3.5
  //# strongSwan writes key length 0 for ChaCha20-Poly1305, which has no Key
  //# Length attribute (capture made by the Linux kernel, pcaps/linux-xfrm-chacha).
  const std::string path = "pcaps/linux-xfrm-chacha/keys.csv.a";
  auto sas = ParseKeysCsv(Slurp(path), path);
  ASSERT_TRUE(sas.ok()) << sas.error().ToString();
  ASSERT_EQ(sas->size(), 2u);
  EXPECT_EQ((*sas)[0].encr, Encr::kChaCha20Poly1305);
  EXPECT_EQ((*sas)[0].encr_key.size(), 36u);
  // A variable-length transform still needs its length stated.
  auto gcm = ParseKeysCsv(
      "esp,192.0.2.1,192.0.2.2,12345678,20,0,0,0,2,0," + std::string(40, 'a') + ",,0,0,50\n", "x");
  ASSERT_FALSE(gcm.ok());
  EXPECT_EQ(gcm.error().code, Code::kBadKeyLength);
}

TEST(KeysCsv, ErrorsNameFileAndLine) {
  const std::string good = "esp,192.0.2.1[4500],192.0.2.2[4500],30855da0,20,256,0,0,2,1," +
                           std::string(72, 'a') + ",,80ea419260b5b6ec,2c239fb98b89226d,50\n";
  struct Case {
    std::string line;
    Code code;
    std::string_view says;
  };
  auto with = [&](int field, std::string value) {
    std::vector<std::string> f;
    std::stringstream s(good.substr(0, good.size() - 1));
    for (std::string x; std::getline(s, x, ',');) f.push_back(x);
    f[field] = std::move(value);
    std::string out;
    for (const auto& x : f) out += (out.empty() ? "" : ",") + x;
    return out + "\n";
  };
  const Case cases[] = {
      {with(5, "255"), Code::kBadKeyLength, "255-bit key and 32-bit salt"},
      {with(4, "7"), Code::kUnknownTransform, "transform 7"},
      {with(8, "3"), Code::kBadFile, "mode 3"},
      {with(14, "52"), Code::kBadFile, "protocol 52"},
      {with(3, "xyz"), Code::kBadFile, "SPI"},
      {with(1, "192.0.2[4500]"), Code::kBadFile, "source"},
      {with(2, "192.0.2.2[4500"), Code::kBadFile, "closing"},
      {with(7, "2"), Code::kBadFile, "esn"},
      {with(10, "abc"), Code::kBadFile, "not hexadecimal"},
      {"esp,1,2,3\n", Code::kBadFile, "4 fields"},
      {"ike,2,1\n", Code::kBadFile, "ike record has 3 fields"},
      {"\x01\x02garbage\n", Code::kBadFile, "unknown record type"},
      {"esp,192.0.2.1,192.0.2.2,cf8a79e1,12,256,2,0,1,0," + std::string(64, 'a') + "," +
           std::string(40, 'b') + ",e32f90b5a9da2798,b572078570d1d739,51\n",
       Code::kBadFile, "an AH SA has no encryption"},
  };
  for (const Case& c : cases) {
    auto sas = ParseKeysCsv("# comment\n" + good + c.line, "keys.csv");
    ASSERT_FALSE(sas.ok()) << c.line;
    EXPECT_EQ(sas.error().code, c.code) << sas.error().ToString();
    EXPECT_EQ(sas.error().detail.rfind("keys.csv:3: ", 0), 0u) << sas.error().detail;
    EXPECT_NE(sas.error().detail.find(c.says), std::string::npos) << sas.error().detail;
  }
  EXPECT_TRUE(ParseKeysCsv(good, "keys.csv").ok());
}

TEST(KeyStore, DirectoryMergesEspSaAndKeysCsv) {
  auto store = KeyStore::Load("pcaps/strongswan-cbc");
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ(store->files(),
            (std::vector<std::string>{"pcaps/strongswan-cbc/esp_sa",
                                      "pcaps/strongswan-cbc/ikev2_decryption_table",
                                      "pcaps/strongswan-cbc/keys.csv.a"}));
  ASSERT_EQ(store->sas().size(), 2u);
  const SaKeys* k = store->Find(SaProtocol::kEsp, 0x178ec24f, Ip("192.0.2.1"));
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->mode, esp::Mode::kTunnel);  // from keys.csv.a
  EXPECT_EQ(k->origins, (std::vector<std::string>{"pcaps/strongswan-cbc/esp_sa:2",
                                                  "pcaps/strongswan-cbc/keys.csv.a:3"}));
  // The only SA with that SPI, whatever the destination (RFC 4301 §4.1:
  // the SPI alone specifies a unicast SA); not under the other protocol.
  EXPECT_EQ(store->Find(SaProtocol::kEsp, 0x178ec24f, Ip("192.0.2.2")), k);
  EXPECT_EQ(store->Find(SaProtocol::kAh, 0x178ec24f, Ip("192.0.2.1")), nullptr);
}

TEST(KeyStore, SingleFileAndWildcardDestination) {
  auto store = KeyStore::Load("pcaps/strongswan-gcm/esp_sa.a");
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ(store->sas().size(), 2u);
  KeyStore any;
  SaKeys k;
  k.spi = 0x1234;
  k.encr = Encr::kAesCbc;
  k.encr_key = Key(std::string(32, '1'));
  k.integ = Integ::kHmacSha1_96;
  k.integ_key = Key(std::string(40, '2'));
  ASSERT_TRUE(any.Add(k).ok());
  EXPECT_NE(any.Find(SaProtocol::kEsp, 0x1234, Ip("198.51.100.7")), nullptr);
}

TEST(KeyStore, SingleFileFormatIsToldByItsContent) {
  char path[] = "/tmp/ipsecref-ah-keys-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    out << "# keys of host a\n" << Slurp("pcaps/linux-xfrm-ah-transport/keys.csv.a");
  }
  auto store = KeyStore::Load(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  ASSERT_EQ(store->sas().size(), 2u);
  EXPECT_EQ(store->sas()[0].protocol, SaProtocol::kAh);
  EXPECT_EQ(store->sas()[0].origins, std::vector<std::string>{std::string(path) + ":3"});
}

TEST(KeyStore, ConflictingKeysNameBothOrigins) {
  KeyStore store;
  SaKeys a;
  a.spi = 0x1234;
  a.dst = Ip("192.0.2.2");
  a.encr = Encr::kAesCbc;
  a.encr_key = Key(std::string(32, '1'));
  a.integ = Integ::kHmacSha1_96;
  a.integ_key = Key(std::string(40, '2'));
  a.origins = {"x/esp_sa:1"};
  SaKeys b = a;
  b.origins = {"x/keys.csv:2"};
  b.integ_key = Key(std::string(40, '3'));
  ASSERT_TRUE(store.Add(a).ok());
  auto r = store.Add(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("x/esp_sa:1 and x/keys.csv:2"), std::string::npos)
      << r.error().detail;
  SaKeys c = a;
  c.mode = esp::Mode::kTransport;
  SaKeys d = a;
  d.mode = esp::Mode::kTunnel;
  KeyStore modes;
  ASSERT_TRUE(modes.Add(c).ok());
  EXPECT_FALSE(modes.Add(d).ok());
}

// The IKE SA of pcaps/strongswan-cbc as both its ikev2_decryption_table
// and its keys.csv.a "ike" record give it (SPIs 66d041a177693c39 and
// 1b692f25f9e33211, AES-CBC-256 with HMAC-SHA2-256-128, read off the files).
TEST(KeyStore, IkeKeysOfTableAndKeysCsvMerge) {
  auto store = KeyStore::Load("pcaps/strongswan-cbc");
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  ASSERT_EQ(store->ike_sas().size(), 1u);
  const Ikev2Keys& k = store->ike_sas()[0];
  EXPECT_EQ(k.spi_i, 0x66d041a177693c39u);
  EXPECT_EQ(k.spi_r, 0x1b692f25f9e33211u);
  EXPECT_EQ(k.encr, Encr::kAesCbc);
  EXPECT_EQ(k.encr_key_bits, 256u);
  EXPECT_EQ(k.integ, Integ::kHmacSha2_256_128);
  EXPECT_EQ(store->ike_origins()[0],
            (std::vector<std::string>{"pcaps/strongswan-cbc/ikev2_decryption_table",
                                      "pcaps/strongswan-cbc/keys.csv.a"}));
  EXPECT_EQ(store->FindIke(0x66d041a177693c39u, 0x1b692f25f9e33211u), &k);
  EXPECT_EQ(store->FindIke(0x66d041a177693c39u, 0), nullptr);
}

TEST(KeyStore, DirectoryWithOnlyIkeKeysLoads) {
  char dir[] = "/tmp/ipsecref-ike-keys-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string table = std::string(dir) + "/ikev2_decryption_table";
  {
    std::ofstream out(table, std::ios::binary);
    out << Slurp("pcaps/strongswan-gcm/ikev2_decryption_table");
  }
  auto store = KeyStore::Load(dir);
  auto alone = KeyStore::Load(table);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_TRUE(store->sas().empty());
  ASSERT_EQ(store->ike_sas().size(), 1u);
  // pcaps/strongswan-gcm/ikev2_decryption_table, first two fields.
  EXPECT_EQ(store->ike_sas()[0].spi_i, 0x80ea419260b5b6ecu);
  EXPECT_EQ(store->ike_sas()[0].spi_r, 0x2c239fb98b89226du);
  EXPECT_EQ(store->ike_sas()[0].encr, Encr::kAesGcm16);
  ASSERT_TRUE(alone.ok()) << alone.error().ToString();
  EXPECT_EQ(alone->ike_sas().size(), 1u);
}

TEST(KeyStore, ChaChaIkeKeysComeFromKeysCsvAlone) {
  // Wireshark's table has no name for ChaCha20-Poly1305: keys.csv.a is all
  // that pcaps/linux-xfrm-chacha has, and it gives ESP and IKE keys.
  auto store = KeyStore::Load("pcaps/linux-xfrm-chacha");
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_FALSE(store->sas().empty());
  ASSERT_FALSE(store->ike_sas().empty());
  EXPECT_EQ(store->ike_sas()[0].encr, Encr::kChaCha20Poly1305);
}

TEST(KeyStore, ConflictingIkeKeysAreRefused) {
  KeyStore store;
  Ikev2Keys a;
  a.spi_i = 1;
  a.spi_r = 2;
  a.encr = Encr::kAesCbc;
  a.encr_key_bits = 128;
  a.integ = Integ::kHmacSha2_256_128;
  a.sk_ei = a.sk_er = Key(std::string(32, '1'));
  a.sk_ai = a.sk_ar = Key(std::string(64, '2'));
  Ikev2Keys same = a;
  Ikev2Keys other = a;
  other.sk_er = Key(std::string(32, '3'));
  ASSERT_TRUE(store.AddIke(a, "x/ikev2_decryption_table").ok());
  ASSERT_TRUE(store.AddIke(same, "x/keys.csv.a").ok());
  ASSERT_TRUE(store.AddIke(same, "x/keys.csv.a").ok());
  EXPECT_EQ(store.ike_sas().size(), 1u);
  EXPECT_EQ(store.ike_origins()[0],
            (std::vector<std::string>{"x/ikev2_decryption_table", "x/keys.csv.a"}));
  auto r = store.AddIke(other, "x/keys.csv.b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kBadFile);
  EXPECT_NE(r.error().detail.find("x/ikev2_decryption_table, x/keys.csv.a and x/keys.csv.b"),
            std::string::npos)
      << r.error().detail;
  Ikev2Keys next = a;
  next.spi_r = 3;
  EXPECT_TRUE(store.AddIke(next).ok());
  EXPECT_EQ(store.ike_sas().size(), 2u);
}

// An SA of a NAT'd tunnel as each end writes it (the example of issue 11):
// the initiator 192.0.2.1 -> 198.18.0.2, the responder behind the NAT
// 198.18.0.1[31134] -> 198.18.0.2 in its keys.csv; and the SA of the other
// direction, whose destination the NAT rewrites.
SaKeys NatSa(std::string_view src, std::string_view dst, uint32_t spi, char key,
             std::string origin) {
  SaKeys k;
  k.spi = spi;
  k.src = Ip(src);
  k.dst = Ip(dst);
  k.encr = Encr::kAesGcm16;
  k.encr_key = Key(std::string(72, key));
  k.origins = {std::move(origin)};
  return k;
}

TEST(KeyStore, NatViewsOfOneSaAreOneSa) {
  KeyStore store;
  ASSERT_TRUE(store.Add(NatSa("192.0.2.1", "198.18.0.2", 0xc0000001, '1', "a/esp_sa:1")).ok());
  ASSERT_TRUE(store.Add(NatSa("198.18.0.2", "192.0.2.1", 0xc0000002, '2', "a/esp_sa:2")).ok());
  SaKeys b1 = NatSa("198.18.0.1", "198.18.0.2", 0xc0000001, '1', "b/keys.csv.b:2");
  b1.src_port = 31134;
  b1.dst_port = 4500;
  b1.udp_encapsulation = true;
  SaKeys b2 = NatSa("198.18.0.2", "198.18.0.1", 0xc0000002, '2', "b/keys.csv.b:3");
  b2.src_port = 4500;
  b2.dst_port = 31134;
  auto added = store.Add(b1);
  ASSERT_TRUE(added.ok()) << added.error().ToString();
  added = store.Add(b2);
  ASSERT_TRUE(added.ok()) << added.error().ToString();
  // The responder's own view again (its esp_sa): the same view, ports kept.
  ASSERT_TRUE(store.Add(NatSa("198.18.0.1", "198.18.0.2", 0xc0000001, '1', "b/esp_sa:1")).ok());

  ASSERT_EQ(store.sas().size(), 2u);
  const SaKeys& out = store.sas()[0];
  EXPECT_EQ(out.src, Ip("192.0.2.1"));  // the first file's view stays first
  EXPECT_EQ(out.udp_encapsulation, true);
  ASSERT_EQ(out.other_views.size(), 1u);
  EXPECT_EQ(out.other_views[0].Describe(), "198.18.0.1[31134] -> 198.18.0.2[4500]");
  EXPECT_EQ(out.other_views[0].origins,
            (std::vector<std::string>{"b/keys.csv.b:2", "b/esp_sa:1"}));
  const std::vector<SaView> views = out.Views();
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[0].Describe(), "192.0.2.1 -> 198.18.0.2");
  EXPECT_EQ(views[0].origins, std::vector<std::string>{"a/esp_sa:1"});
  EXPECT_EQ(out.origins,
            (std::vector<std::string>{"a/esp_sa:1", "b/keys.csv.b:2", "b/esp_sa:1"}));

  // Packets are matched by SPI: through either view's destination.
  const SaKeys* back = &store.sas()[1];
  EXPECT_EQ(store.Find(SaProtocol::kEsp, 0xc0000001, Ip("198.18.0.2")), &out);
  EXPECT_EQ(store.Find(SaProtocol::kEsp, 0xc0000002, Ip("192.0.2.1")), back);
  EXPECT_EQ(store.Find(SaProtocol::kEsp, 0xc0000002, Ip("198.18.0.1")), back);
  ASSERT_EQ(back->other_views.size(), 1u);
  EXPECT_EQ(back->other_views[0].Describe(), "198.18.0.2[4500] -> 198.18.0.1[31134]");
}

TEST(KeyStore, KeysThatDisagreeForOneSpiAndDestinationAreRefused) {
  KeyStore store;
  ASSERT_TRUE(store.Add(NatSa("192.0.2.1", "198.18.0.2", 0xc0000001, '1', "a/esp_sa:1")).ok());
  // The responder's view with another key: not a view of the same SA.
  auto r = store.Add(NatSa("198.18.0.1", "198.18.0.2", 0xc0000001, '3', "b/keys.csv.b:2"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kBadFile);
  EXPECT_NE(r.error().detail.find("a/esp_sa:1 and b/keys.csv.b:2 give different algorithms or "
                                  "keys for ESP SPI 0xc0000001"),
            std::string::npos)
      << r.error().detail;
  // Another transform with the same key bytes is just as different.
  SaKeys ctr = NatSa("198.18.0.1", "198.18.0.2", 0xc0000001, '1', "b/keys.csv.b:2");
  ctr.encr = Encr::kAesCtr;
  EXPECT_FALSE(store.Add(ctr).ok());
  // Views that agree on the keys but not on the mode stay an error.
  SaKeys tunnel = NatSa("198.18.0.1", "198.18.0.2", 0xc0000001, '1', "b/keys.csv.b:2");
  tunnel.mode = esp::Mode::kTunnel;
  ASSERT_TRUE(store.Add(tunnel).ok());
  SaKeys transport = NatSa("192.0.2.1", "198.18.0.2", 0xc0000001, '1', "a/keys.csv.a:2");
  transport.mode = esp::Mode::kTransport;
  EXPECT_FALSE(store.Add(transport).ok());
}

TEST(KeyStore, OneSpiToTwoDestinationsIsTwoSas) {
  // Receivers choose SPIs, so two of them may choose the same one: the
  // destination tells their SAs apart (RFC 4303 §2.1 lookup order).
  KeyStore store;
  ASSERT_TRUE(store.Add(NatSa("192.0.2.1", "192.0.2.2", 0xc0000001, '1', "x:1")).ok());
  ASSERT_TRUE(store.Add(NatSa("192.0.2.1", "192.0.2.3", 0xc0000001, '2', "x:2")).ok());
  ASSERT_EQ(store.sas().size(), 2u);
  EXPECT_EQ(store.Find(SaProtocol::kEsp, 0xc0000001, Ip("192.0.2.2")), &store.sas()[0]);
  EXPECT_EQ(store.Find(SaProtocol::kEsp, 0xc0000001, Ip("192.0.2.3")), &store.sas()[1]);
  // Neither destination: the SPI alone does not say which.
  EXPECT_EQ(store.Find(SaProtocol::kEsp, 0xc0000001, Ip("192.0.2.4")), nullptr);
  // With a wildcard destination, that one takes the others.
  SaKeys any = NatSa("192.0.2.1", "192.0.2.2", 0xc0000001, '3', "x:3");
  any.dst.clear();
  ASSERT_TRUE(store.Add(any).ok());
  EXPECT_EQ(store.Find(SaProtocol::kEsp, 0xc0000001, Ip("192.0.2.4")), &store.sas()[2]);
  EXPECT_EQ(store.Find(SaProtocol::kEsp, 0xc0000001, Ip("192.0.2.2")), &store.sas()[0]);
}

TEST(KeyStore, SameSpiAndKeysBothWaysAreTheTwoSasOfAPair) {
  // Manual keying may give both directions one SPI and one key; an SA is
  // simplex (RFC 4301 §4.1), so the reverse direction is the other SA.
  KeyStore store;
  ASSERT_TRUE(store.Add(NatSa("192.0.2.1", "192.0.2.2", 0x100, '1', "x:1")).ok());
  ASSERT_TRUE(store.Add(NatSa("192.0.2.2", "192.0.2.1", 0x100, '1', "x:2")).ok());
  ASSERT_EQ(store.sas().size(), 2u);
  EXPECT_TRUE(store.sas()[0].other_views.empty());
  EXPECT_EQ(store.Find(SaProtocol::kEsp, 0x100, Ip("192.0.2.2")), &store.sas()[0]);
  EXPECT_EQ(store.Find(SaProtocol::kEsp, 0x100, Ip("192.0.2.1")), &store.sas()[1]);
  // The other end's files: the same two SAs again.
  ASSERT_TRUE(store.Add(NatSa("192.0.2.2", "192.0.2.1", 0x100, '1', "y:1")).ok());
  ASSERT_TRUE(store.Add(NatSa("192.0.2.1", "192.0.2.2", 0x100, '1', "y:2")).ok());
  ASSERT_EQ(store.sas().size(), 2u);
  EXPECT_EQ(store.sas()[0].origins, (std::vector<std::string>{"x:1", "y:2"}));
  EXPECT_EQ(store.sas()[1].origins, (std::vector<std::string>{"x:2", "y:1"}));
}

// pcaps/linux-xfrm-natt/two-ends: keys.csv.a of host a as the recipe wrote
// it, and keys.csv.b, host b's view were host a behind a NAT (PROVENANCE.md
// there). What ike-decode --keys DIR and check read.
TEST(KeyStore, DirectoryWithBothEndsOfANatdTunnel) {
  auto store = KeyStore::Load("pcaps/linux-xfrm-natt/two-ends");
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  ASSERT_EQ(store->sas().size(), 2u);
  const SaKeys* ab = store->Find(SaProtocol::kEsp, 0xc79c45e2, Ip("192.0.2.2"));
  ASSERT_NE(ab, nullptr);
  EXPECT_EQ(ab->src_port, 4500);
  ASSERT_EQ(ab->other_views.size(), 1u);
  EXPECT_EQ(ab->other_views[0].Describe(), "198.18.0.1[31134] -> 192.0.2.2[4500]");
  EXPECT_EQ(ab->other_views[0].origins,
            std::vector<std::string>{"pcaps/linux-xfrm-natt/two-ends/keys.csv.b:2"});
  const SaKeys* ba = store->Find(SaProtocol::kEsp, 0xcc6922c7, Ip("198.18.0.1"));
  ASSERT_NE(ba, nullptr);
  EXPECT_EQ(store->Find(SaProtocol::kEsp, 0xcc6922c7, Ip("192.0.2.1")), ba);
  ASSERT_EQ(store->ike_sas().size(), 1u);
  EXPECT_EQ(store->ike_origins()[0].size(), 2u);
  auto ike = LoadIkeKeys("pcaps/linux-xfrm-natt/two-ends");
  ASSERT_TRUE(ike.ok()) << ike.error().ToString();
  EXPECT_EQ(ike->size(), 1u);
}

TEST(KeyStore, LoadsTwoHundredThousandSas) {
  // KeyStore::Add once compared each SA with every earlier one: 190k SAs
  // took 46 s. Indexed by SPI, this loads in about a second.
  constexpr uint32_t kSas = 200000;
  char path[] = "/tmp/ipsecref-many-sas-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    for (uint32_t i = 0; i < kSas; ++i)
      out << fmt::format("\"IPv4\",\"10.0.{}.{}\",\"10.1.{}.{}\",\"{:#010x}\",\"NULL\",\"\","
                         "\"NULL\",\"\"\n",
                         i >> 8 & 0xff, i & 0xff, i >> 8 & 0xff, i & 0xff, 0x1000 + i);
  }
  auto store = KeyStore::Load(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ(store->sas().size(), kSas);
  const SaKeys* k = store->Find(SaProtocol::kEsp, 0x1000 + 123456, Ip("10.1.226.64"));
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->src, Ip("10.0.226.64"));  // 123456 = 0x1e240
  EXPECT_EQ(k->origins, std::vector<std::string>{std::string(path) + ":123457"});
}

TEST(KeyStore, SpiZeroIsRefusedByEveryFormat) {
  // RFC 4303 §2.1 (RFC 4302 §2.4 for AH): SPI 0 is never sent, so no SA of
  // a capture has it; keys.json refused it already (keys_json_test.cc).
  auto esp_sa = ParseEspSaFile(
      "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00000000\",\"NULL\",\"\",\"NULL\",\"\"\n",
      "esp_sa");
  ASSERT_FALSE(esp_sa.ok());
  EXPECT_EQ(esp_sa.error().code, Code::kBadFile);
  EXPECT_EQ(esp_sa.error().requirement, "rfc4303#section-2.1");
  EXPECT_NE(esp_sa.error().detail.find("esp_sa:1: SPI 0 is reserved"), std::string::npos)
      << esp_sa.error().detail;
  EXPECT_FALSE(ParseEspSaFile("\"IPv4\",\"*\",\"*\",\"0\",\"NULL\",\"\",\"NULL\",\"\"\n", "esp_sa")
                   .ok());

  const std::string esp =
      "esp,192.0.2.1[4500],192.0.2.2[4500],{},12,128,12,0,2,1," + std::string(32, '1') + "," +
      std::string(64, '2') + ",0102030405060708,1112131415161718,50\n";
  ASSERT_TRUE(ParseKeysCsv(fmt::format(fmt::runtime(esp), "c0000001"), "keys.csv").ok());
  auto csv = ParseKeysCsv(fmt::format(fmt::runtime(esp), "0"), "keys.csv");
  ASSERT_FALSE(csv.ok());
  EXPECT_EQ(csv.error().requirement, "rfc4303#section-2.1");
  EXPECT_NE(csv.error().detail.find("keys.csv:1: SPI 0 is reserved"), std::string::npos)
      << csv.error().detail;

  // An ike record whose initiator SPI is 0 (RFC 7296 §3.1: never zero).
  const std::string ike = "ike,2,1,192.0.2.1[4500],192.0.2.2[4500],{},1112131415161718,12,128,12,"
                          "5,19,," + std::string(64, '2') + "," + std::string(64, '3') + "," +
                          std::string(32, '4') + "," + std::string(32, '5') + ",,\n";
  ASSERT_TRUE(ParseIkeKeysCsv(fmt::format(fmt::runtime(ike), "0102030405060708"), "keys.csv").ok());
  auto zero = ParseIkeKeysCsv(fmt::format(fmt::runtime(ike), "0000000000000000"), "keys.csv");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().requirement, "rfc7296#section-3.1");
  EXPECT_NE(zero.error().detail.find("keys.csv:1: the IKE initiator SPI is 0"), std::string::npos)
      << zero.error().detail;
  EXPECT_FALSE(ParseKeysCsv(fmt::format(fmt::runtime(ike), "0"), "keys.csv").ok());
}

TEST(ParseAddress, RefusesANulCharacter) {
  // inet_pton stops at a NUL: the text must not pass as the shorter address.
  using namespace std::string_view_literals;
  EXPECT_TRUE(ParseAddress("192.0.2.1"sv).ok());
  EXPECT_FALSE(ParseAddress("192.0.2.1\0junk"sv).ok());
  EXPECT_FALSE(ParseAddress("2001:db8::1\0"sv).ok());
  // As esp_sa writes one: \x00 in a quoted field.
  auto sa = ParseEspSaFile(
      "\"IPv4\",\"192.0.2.1\\x00.7\",\"192.0.2.2\",\"0x1234\",\"NULL\",\"\",\"NULL\",\"\"\n",
      "esp_sa");
  ASSERT_FALSE(sa.ok());
  EXPECT_NE(sa.error().detail.find("esp_sa:1: source address"), std::string::npos)
      << sa.error().detail;
}

TEST(KeyStore, MissingOrEmptyDirectory) {
  auto missing = KeyStore::Load("pcaps/no-such-dir");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Code::kIoError);
  char dir[] = "/tmp/ipsecref-keys-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  auto empty = KeyStore::Load(dir);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().detail.find("no key file"), std::string::npos);
  std::filesystem::remove(dir);
}

}  // namespace
}  // namespace ipsecref::io
