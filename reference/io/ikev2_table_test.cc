// Wireshark's ikev2_decryption_table as strongSwan's save-keys plugin wrote
// it for the bundled captures (pcaps/*/ikev2_decryption_table), checked
// against the same daemon's raw key dump (keys.csv.a, the project's patched
// save-keys plugin: IANA numbers and every SK_*), and the names and key
// sizes of Wireshark 4.0's table.
#include "reference/io/ikev2_table.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "reference/io/keys.h"

namespace ipsecref::io {
namespace {

using iana::Encr;
using iana::Integ;

std::string Slurp(const std::string& path) { return ReadKeyFile(path).value(); }

SecureBytes Key(std::string_view hex) { return ToSecure(FromHex(hex).value()); }

std::vector<std::string> Split(std::string_view line, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t end = line.find(sep, start);
    out.emplace_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// The directories of pcaps/ that hold an ikev2_decryption_table.
std::vector<std::string> TableDirs() {
  std::vector<std::string> dirs;
  for (const auto& entry : std::filesystem::directory_iterator("pcaps"))
    if (std::filesystem::exists(entry.path() / "ikev2_decryption_table"))
      dirs.push_back(entry.path().string());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

TEST(Ikev2Table, EveryBundledTableIsThere) {
  // 17 captures carry IKE keys Wireshark can name (the ChaCha20 one and the
  // AH transport one have none: pcaps/README.md).
  EXPECT_EQ(TableDirs().size(), 17u);
}

// Known answers: pcaps/strongswan-gcm/keys.csv.a, the "ike" row (strongSwan
// 5.9.8's own dump of the IKE SA: encr 20 = ENCR_AES_GCM_16, key length 256,
// integ 0, SK_ei and SK_er with their 4-octet salt).
TEST(Ikev2Table, StrongswanGcmMatchesKeysCsv) {
  auto rows = ReadIkev2Table("pcaps/strongswan-gcm/ikev2_decryption_table");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  const Ikev2Keys& k = (*rows)[0];
  EXPECT_EQ(k.spi_i, 0x80ea419260b5b6ecu);
  EXPECT_EQ(k.spi_r, 0x2c239fb98b89226du);
  EXPECT_EQ(k.encr, Encr::kAesGcm16);
  EXPECT_EQ(k.encr_key_bits, 256u);
  EXPECT_EQ(k.integ, Integ::kNone);
  EXPECT_EQ(k.sk_ei, Key("c1d88aa2f260ee4654d99114a0bbe6e960689c5e6f3fc1b51fbf646e79187238f3697f0b"));
  EXPECT_EQ(k.sk_er, Key("218df37e8318fafb7d7bf8572263e16c789e3a84c2aeede36883e6b3c1cf927d9be7232c"));
  EXPECT_TRUE(k.sk_ai.empty());
  EXPECT_TRUE(k.sk_ar.empty());
}

// Known answers: pcaps/strongswan-cbc/keys.csv.a, the "ike" row (encr 12 =
// ENCR_AES_CBC with a 256-bit key, integ 12 = AUTH_HMAC_SHA2_256_128).
TEST(Ikev2Table, StrongswanCbcMatchesKeysCsv) {
  auto rows = ReadIkev2Table("pcaps/strongswan-cbc/ikev2_decryption_table");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  const Ikev2Keys& k = (*rows)[0];
  EXPECT_EQ(k.spi_i, 0x66d041a177693c39u);
  EXPECT_EQ(k.spi_r, 0x1b692f25f9e33211u);
  EXPECT_EQ(k.encr, Encr::kAesCbc);
  EXPECT_EQ(k.encr_key_bits, 256u);
  EXPECT_EQ(k.integ, Integ::kHmacSha2_256_128);
  EXPECT_EQ(k.sk_ei, Key("ebfae43e8e76870ade0327034a2e0960793d39b7709046b492fdea4a63d6c2b1"));
  EXPECT_EQ(k.sk_er, Key("3ec712a964d31699eabcb7de5dba9435a493f95a19b0caeb938cfdf03f8b5fe0"));
  EXPECT_EQ(k.sk_ai, Key("24b45ac31fb96f60a3b523c508de01741669edd8d9bf8cfdc90e989ba0c68581"));
  EXPECT_EQ(k.sk_ar, Key("67664ba7c03d2ef03182c0500965285de6c5e07c97be5309bafe63ae5d42a318"));
}

// Every bundled table against the "ike" rows of its keys.csv.a: the same
// IKE SAs (by SPIs), the IANA transform numbers and key length the daemon
// negotiated, and the same SK_e/SK_a bytes. keys.csv.a columns:
// ike,version,we_are_initiator,my_host,other_host,spi_i,spi_r,encr,
// encr_keylen,integ,prf,ke,SK_d,SK_ai,SK_ar,SK_ei,SK_er,SK_pi,SK_pr.
TEST(Ikev2Table, EveryBundledTableMatchesKeysCsv) {
  size_t compared = 0;
  for (const std::string& dir : TableDirs()) {
    SCOPED_TRACE(dir);
    auto rows = ReadIkev2Table(dir + "/ikev2_decryption_table");
    ASSERT_TRUE(rows.ok()) << rows.error().ToString();
    std::map<std::pair<uint64_t, uint64_t>, std::vector<std::string>> csv;
    std::istringstream lines(Slurp(dir + "/keys.csv.a"));
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("ike,", 0) != 0) continue;
      std::vector<std::string> f = Split(line, ',');
      ASSERT_EQ(f.size(), 19u) << line;
      csv[{std::stoull(f[5], nullptr, 16), std::stoull(f[6], nullptr, 16)}] = f;
    }
    ASSERT_EQ(rows->size(), csv.size());
    for (const Ikev2Keys& k : *rows) {
      auto it = csv.find({k.spi_i, k.spi_r});
      ASSERT_NE(it, csv.end()) << fmt::format("{:016x} {:016x}", k.spi_i, k.spi_r);
      const std::vector<std::string>& f = it->second;
      EXPECT_EQ(static_cast<unsigned>(k.encr), std::stoul(f[7]));
      EXPECT_EQ(k.encr_key_bits, std::stoul(f[8]));
      EXPECT_EQ(static_cast<unsigned>(k.integ), std::stoul(f[9]));
      EXPECT_EQ(k.sk_ai, Key(f[13]));
      EXPECT_EQ(k.sk_ar, Key(f[14]));
      EXPECT_EQ(k.sk_ei, Key(f[15]));
      EXPECT_EQ(k.sk_er, Key(f[16]));
      EXPECT_EQ(Find(*rows, k.spi_i, k.spi_r), &k);
      ++compared;
    }
  }
  // 16 captures with one IKE SA, the collision capture with three.
  EXPECT_EQ(compared, 19u);
}

TEST(Ikev2Table, WriteReproducesEveryBundledTableByteForByte) {
  for (const std::string& dir : TableDirs()) {
    SCOPED_TRACE(dir);
    const std::string text = Slurp(dir + "/ikev2_decryption_table");
    auto rows = ParseIkev2Table(text, "t");
    ASSERT_TRUE(rows.ok()) << rows.error().ToString();
    auto written = WriteIkev2Table(*rows);
    ASSERT_TRUE(written.ok()) << written.error().ToString();
    EXPECT_EQ(*written, text);
  }
}

TEST(Ikev2Table, FindBySpis) {
  auto rows = ReadIkev2Table("pcaps/linux-xfrm-collision/ikev2_decryption_table");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 3u);
  // The second IKE SA of the collision capture (its table's line 2).
  const Ikev2Keys* k = Find(*rows, 0x0302b020c4df0742u, 0xf79eb3b19d9af6d0u);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k, &(*rows)[1]);
  EXPECT_EQ(k->integ, Integ::kHmacSha2_384_192);
  EXPECT_EQ(Find(*rows, 0x0302b020c4df0742u, 0), nullptr);
  EXPECT_EQ(Find(*rows, 0xf79eb3b19d9af6d0u, 0x0302b020c4df0742u), nullptr);
}

// What Wireshark 4.0 accepts, as tshark 4.0.17 answered for rows built from
// each name (and packet-isakmp.c's ikev2_encr_algs lists): the SK_e size
// counts the salt, 4 octets for CTR (RFC 5930 §2) and GCM, 3 for CCM (RFC
// 5282 §7.1).
struct NameCase {
  const char* name;
  Encr id;
  size_t bits;
  size_t sk_e;
};
constexpr NameCase kEncrCases[] = {
    {"NULL [RFC2410]", Encr::kNull, 0, 0},
    {"3DES [RFC2451]", Encr::k3Des, 0, 24},
    {"AES-CBC-128 [RFC3602]", Encr::kAesCbc, 128, 16},
    {"AES-CBC-192 [RFC3602]", Encr::kAesCbc, 192, 24},
    {"AES-CBC-256 [RFC3602]", Encr::kAesCbc, 256, 32},
    {"AES-CTR-128 [RFC5930]", Encr::kAesCtr, 128, 20},
    {"AES-CTR-192 [RFC5930]", Encr::kAesCtr, 192, 28},
    {"AES-CTR-256 [RFC5930]", Encr::kAesCtr, 256, 36},
    {"AES-GCM-128 with 8 octet ICV [RFC5282]", Encr::kAesGcm8, 128, 20},
    {"AES-GCM-192 with 12 octet ICV [RFC5282]", Encr::kAesGcm12, 192, 28},
    {"AES-GCM-256 with 16 octet ICV [RFC5282]", Encr::kAesGcm16, 256, 36},
    {"AES-CCM-128 with 8 octet ICV [RFC5282]", Encr::kAesCcm8, 128, 19},
    {"AES-CCM-192 with 12 octet ICV [RFC5282]", Encr::kAesCcm12, 192, 27},
    {"AES-CCM-256 with 16 octet ICV [RFC5282]", Encr::kAesCcm16, 256, 35},
};

std::string Row(std::string_view encr, size_t sk_e, std::string_view integ, size_t sk_a) {
  return fmt::format("0102030405060708,a1a2a3a4a5a6a7a8,{},{},\"{}\",{},{},\"{}\"\n",
                     std::string(2 * sk_e, 'e'), std::string(2 * sk_e, 'f'), encr,
                     std::string(2 * sk_a, 'a'), std::string(2 * sk_a, 'b'), integ);
}

TEST(Ikev2Table, EncryptionNamesAndKeySizes) {
  for (const NameCase& c : kEncrCases) {
    SCOPED_TRACE(c.name);
    auto rows = ParseIkev2Table(Row(c.name, c.sk_e, "NONE [RFC4306]", 0), "t");
    ASSERT_TRUE(rows.ok()) << rows.error().ToString();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].encr, c.id);
    EXPECT_EQ((*rows)[0].encr_key_bits, c.bits);
    EXPECT_EQ((*rows)[0].sk_ei.size(), c.sk_e);
    EXPECT_EQ((*rows)[0].spi_i, 0x0102030405060708u);
    EXPECT_EQ((*rows)[0].spi_r, 0xa1a2a3a4a5a6a7a8u);
    EXPECT_EQ(Ikev2EncrNameFor(c.id, c.bits), std::string_view(c.name));
    // One octet more or less is refused.
    auto longer = ParseIkev2Table(Row(c.name, c.sk_e + 1, "NONE [RFC4306]", 0), "t");
    ASSERT_FALSE(longer.ok());
    EXPECT_EQ(longer.error().code, Code::kBadKeyLength);
  }
}

TEST(Ikev2Table, IntegrityNamesAndKeySizes) {
  // Key sizes: RFC 2403 (16), RFC 2404 (20), RFC 4868 §2.1.1 (32, 48, 64).
  const struct {
    const char* name;
    Integ id;
    size_t sk_a;
  } cases[] = {
      {"NONE [RFC4306]", Integ::kNone, 0},
      {"HMAC_MD5_96 [RFC2403]", Integ::kHmacMd5_96, 16},
      {"HMAC_SHA1_96 [RFC2404]", Integ::kHmacSha1_96, 20},
      {"HMAC_SHA2_256_128 [RFC4868]", Integ::kHmacSha2_256_128, 32},
      {"HMAC_SHA2_384_192 [RFC4868]", Integ::kHmacSha2_384_192, 48},
      {"HMAC_SHA2_512_256 [RFC4868]", Integ::kHmacSha2_512_256, 64},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto rows = ParseIkev2Table(Row("AES-CBC-128 [RFC3602]", 16, c.name, c.sk_a), "t");
    ASSERT_TRUE(rows.ok()) << rows.error().ToString();
    EXPECT_EQ((*rows)[0].integ, c.id);
    EXPECT_EQ((*rows)[0].sk_ai.size(), c.sk_a);
    EXPECT_EQ(Ikev2IntegNameFor(c.id), std::string_view(c.name));
  }
  // Names Wireshark knows and the reference cannot represent.
  for (const char* name :
       {"HMAC_MD5_128 [RFC4595]", "HMAC_SHA1_160 [RFC4595]",
        "HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]",
        "ANY 64-bits of Authentication [No Checking]",
        "ANY 96-bits of Authentication [No Checking]",
        "ANY 128-bits of Authentication [No Checking]",
        "ANY 160-bits of Authentication [No Checking]",
        "ANY 192-bits of Authentication [No Checking]",
        "ANY 256-bits of Authentication [No Checking]"}) {
    SCOPED_TRACE(name);
    ASSERT_NE(FindIkev2IntegName(name), nullptr);
    auto rows = ParseIkev2Table(Row("AES-CBC-128 [RFC3602]", 16, name,
                                    FindIkev2IntegName(name)->sk_a_size),
                                "t");
    ASSERT_FALSE(rows.ok());
    EXPECT_EQ(rows.error().code, Code::kUnknownTransform);
    EXPECT_NE(rows.error().detail.find(name), std::string::npos);
  }
}

TEST(Ikev2Table, CommentsBlankLinesCrlfAndBlanksAroundFields) {
  const std::string text =
      "# This file is automatically generated, DO NOT MODIFY.\r\n"
      "\r\n"
      "  0102030405060708 , a1a2a3a4a5a6a7a8,00112233445566778899aabbccddeeff,"
      "FFEEDDCCBBAA99887766554433221100, \"AES-CBC-128 [RFC3602]\" ,,,\"NONE [RFC4306]\"\r\n";
  auto rows = ParseIkev2Table(text, "t");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].sk_er, Key("ffeeddccbbaa99887766554433221100"));
  EXPECT_EQ((*rows)[0].integ, Integ::kNone);
}

TEST(Ikev2Table, QuotedNamesTakeEscapes) {
  // \x41 is 'A', \" and \\ stand for themselves: the same name as written plain.
  auto rows = ParseIkev2Table(
      "0102030405060708,a1a2a3a4a5a6a7a8,00112233445566778899aabbccddeeff,"
      "00112233445566778899aabbccddeeff,\"\\x41ES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\"\n",
      "t");
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  EXPECT_EQ((*rows)[0].encr, Encr::kAesCbc);
}

// Each malformed line is line 3 of its file (after a good line and a
// comment); the error must say "bad:3" and what was wrong.
struct Malformed {
  const char* what;
  std::string line;
  Code code;
  const char* detail;  // a piece of the expected message
};

TEST(Ikev2Table, MalformedLinesNameFileAndLine) {
  const std::string good = Row("AES-CBC-128 [RFC3602]", 16, "HMAC_SHA1_96 [RFC2404]", 20);
  const std::string k16(32, '1'), k20(40, '2'), k36(72, '3');
  const std::string spis = "0102030405060708,a1a2a3a4a5a6a7a8,";
  const Malformed cases[] = {
      {"quoted SPI", "\"0102030405060708\",a1a2a3a4a5a6a7a8," + k16 + "," + k16 +
                         ",\"AES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\"",
       Code::kBadFile, "SPIi (field 1) is quoted"},
      {"unquoted name", spis + k16 + "," + k16 + ",AES-CBC-128 [RFC3602],,,\"NONE [RFC4306]\"",
       Code::kBadFile, "expected ','"},
      {"unquoted name without blanks", spis + k16 + "," + k16 + ",AESCBC,,,\"NONE [RFC4306]\"",
       Code::kBadFile, "must be in double quotes"},
      {"unterminated quote", spis + k16 + "," + k16 + ",\"AES-CBC-128 [RFC3602],,,",
       Code::kBadFile, "no closing '\"'"},
      {"odd hex", spis + k16 + "1," + k16 + ",\"AES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\"",
       Code::kBadFile, "SK_ei (field 3) has an odd number of hex digits (33)"},
      {"not hex", spis + k16 + "," + std::string(31, '1') + "g" +
                      ",\"AES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\"",
       Code::kBadFile, "SK_er (field 4) has 'g'"},
      {"0x prefix", spis + "0x" + k16 + "," + k16 + ",\"AES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\"",
       Code::kBadFile, "not a hex digit"},
      {"short SPI", "01020304050607,a1a2a3a4a5a6a7a8," + k16 + "," + k16 +
                        ",\"AES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\"",
       Code::kBadFile, "SPIi has 7 octets"},
      {"SK_ei one octet short", spis + k16.substr(2) + "," + k16 +
                                    ",\"AES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\"",
       Code::kBadKeyLength, "SK_ei has 15 octets; AES-CBC-128 [RFC3602] takes 16"},
      {"GCM without its salt", spis + k16 + "," + k16 +
                                   ",\"AES-GCM-128 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"",
       Code::kBadKeyLength, "SK_ei has 16 octets"},
      {"SK_ar too short", spis + k16 + "," + k16 + ",\"AES-CBC-128 [RFC3602]\"," + k20 + "," + k16 +
                              ",\"HMAC_SHA1_96 [RFC2404]\"",
       Code::kBadKeyLength, "SK_ar has 16 octets"},
      {"integrity key with NONE", spis + k16 + "," + k16 + ",\"AES-CBC-128 [RFC3602]\"," + k20 + "," +
                                      k20 + ",\"NONE [RFC4306]\"",
       Code::kBadKeyLength, "SK_ai has 20 octets"},
      {"GCM with HMAC", spis + k36 + "," + k36 + ",\"AES-GCM-256 with 16 octet ICV [RFC5282]\"," +
                            k20 + "," + k20 + ",\"HMAC_SHA1_96 [RFC2404]\"",
       Code::kBadTransformCombination, "needs integrity \"NONE [RFC4306]\""},
      {"unknown encryption", spis + k16 + "," + k16 + ",\"AES-CBC [RFC3602]\",,,\"NONE [RFC4306]\"",
       Code::kBadFile, "unknown encryption algorithm \"AES-CBC [RFC3602]\""},
      {"unknown integrity (ESP spelling)", spis + k16 + "," + k16 + ",\"AES-CBC-128 [RFC3602]\"," +
                                               k20 + "," + k20 + ",\"HMAC-SHA-1-96 [RFC2404]\"",
       Code::kBadFile, "unknown integrity algorithm \"HMAC-SHA-1-96 [RFC2404]\""},
      {"too few fields", spis + k16 + "," + k16 + ",\"AES-CBC-128 [RFC3602]\",,", Code::kBadFile,
       "7 fields; an ikev2_decryption_table line has 8"},
      {"too many fields", spis + k16 + "," + k16 + ",\"AES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\",",
       Code::kBadFile, "9 fields"},
      {"bad escape", spis + k16 + "," + k16 + ",\"AES-CBC-128 \\xZZ\",,,\"NONE [RFC4306]\"",
       Code::kBadFile, "bad \\x escape"},
      // RFC 7296 §3.1: the initiator's SPI is never zero (keys.json refuses
      // it as well).
      {"initiator SPI 0", "0000000000000000,a1a2a3a4a5a6a7a8," + k16 + "," + k16 +
                              ",\"AES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\"",
       Code::kBadFile, "the SPIi is 0, which no IKE SA has"},
  };
  for (const Malformed& c : cases) {
    SCOPED_TRACE(c.what);
    auto rows = ParseIkev2Table(good + "# a comment\n" + c.line + "\n" + good, "bad");
    ASSERT_FALSE(rows.ok());
    EXPECT_EQ(rows.error().code, c.code) << rows.error().ToString();
    EXPECT_EQ(rows.error().detail.rfind("bad:3: ", 0), 0u) << rows.error().detail;
    EXPECT_NE(rows.error().detail.find(c.detail), std::string::npos) << rows.error().detail;
  }
}

TEST(Ikev2Table, ReadNamesThePathOfAMissingFile) {
  auto rows = ReadIkev2Table("pcaps/no-such-capture/ikev2_decryption_table");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().code, Code::kIoError);
  EXPECT_NE(rows.error().detail.find("pcaps/no-such-capture/ikev2_decryption_table"),
            std::string::npos);
}

TEST(Ikev2Table, WriteRefusesWhatWiresharkCannotName) {
  Ikev2Keys chacha;
  chacha.spi_i = 1;
  chacha.spi_r = 2;
  chacha.encr = Encr::kChaCha20Poly1305;
  chacha.sk_ei = SecureBytes(36, 1);
  chacha.sk_er = SecureBytes(36, 2);
  auto written = WriteIkev2Table({chacha});
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, Code::kUnsupported);

  Ikev2Keys xcbc;
  xcbc.encr = Encr::kAesCbc;
  xcbc.encr_key_bits = 128;
  xcbc.integ = Integ::kAesXcbc96;
  xcbc.sk_ei = xcbc.sk_er = SecureBytes(16, 3);
  xcbc.sk_ai = xcbc.sk_ar = SecureBytes(16, 4);
  written = WriteIkev2Table({xcbc});
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, Code::kUnsupported);

  // A 100-bit AES key has no name either.
  Ikev2Keys odd = xcbc;
  odd.integ = Integ::kNone;
  odd.sk_ai.clear();
  odd.sk_ar.clear();
  odd.encr_key_bits = 100;
  written = WriteIkev2Table({odd});
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, Code::kUnsupported);
}

TEST(Ikev2Table, WriteRefusesKeysOfTheWrongSize) {
  Ikev2Keys k;
  k.encr = Encr::kAesGcm16;
  k.encr_key_bits = 128;
  k.sk_ei = SecureBytes(16, 1);  // the salt is missing
  k.sk_er = SecureBytes(20, 2);
  auto written = WriteIkev2Table({k});
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, Code::kBadKeyLength);
}

TEST(Ikev2Table, WrittenRowsReadBack) {
  Ikev2Keys k;
  k.spi_i = 0x0000000000000001u;
  k.spi_r = 0xfedcba9876543210u;
  k.encr = Encr::kAesCtr;
  k.encr_key_bits = 192;
  k.integ = Integ::kHmacSha2_512_256;
  k.sk_ei = SecureBytes(28, 0xa5);
  k.sk_er = SecureBytes(28, 0x5a);
  k.sk_ai = SecureBytes(64, 0x01);
  k.sk_ar = SecureBytes(64, 0xfe);
  auto written = WriteIkev2Table({k});
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  EXPECT_EQ(written->rfind("0000000000000001,fedcba9876543210,a5a5", 0), 0u);
  EXPECT_NE(written->find(",\"AES-CTR-192 [RFC5930]\","), std::string::npos);
  EXPECT_NE(written->find(",\"HMAC_SHA2_512_256 [RFC4868]\"\n"), std::string::npos);
  auto again = ParseIkev2Table(*written, "w");
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  ASSERT_EQ(again->size(), 1u);
  const Ikev2Keys& r = (*again)[0];
  EXPECT_EQ(r.spi_i, k.spi_i);
  EXPECT_EQ(r.spi_r, k.spi_r);
  EXPECT_EQ(r.encr, k.encr);
  EXPECT_EQ(r.encr_key_bits, k.encr_key_bits);
  EXPECT_EQ(r.integ, k.integ);
  EXPECT_EQ(r.sk_ei, k.sk_ei);
  EXPECT_EQ(r.sk_er, k.sk_er);
  EXPECT_EQ(r.sk_ai, k.sk_ai);
  EXPECT_EQ(r.sk_ar, k.sk_ar);
}

}  // namespace
}  // namespace ipsecref::io
