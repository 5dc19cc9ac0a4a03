// keys.json: the files of vectors/keys-json/ (keys copied from the bundled
// captures' keys.csv.a written by strongSwan's save-keys plugin) as the
// parser and the KeyStore read them, every malformed input, and the
// writer's round trip. That the captures verify with them is
// interop/check/keys_json_capture_test.cc.
#include "reference/io/keys_json.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "reference/crypto/transforms.h"
#include "reference/io/keys_csv.h"
#include "reference/io/keys_json_test_util.h"
#include "reference/testing/generators.h"

namespace ipsecref::io {
namespace {

using iana::Encr;
using iana::Integ;

std::string Slurp(const std::string& path) { return ReadKeyFile(path).value(); }
KeysJson ParseFile(const std::string& path) { return test::ParseKeysJsonFile(path); }
// As `ipsecref check --keys FILE` loads it.
KeyStore Load(const std::string& path) { return test::LoadKeys(path); }
using test::TempDir;

const std::string kVectors = "vectors/keys-json/";

TEST(KeysJson, KeyStoreHoldsTheIkeSasWithTheirEntries) {
  const auto dir = TempDir("chacha");
  std::filesystem::copy_file(kVectors + "linux-xfrm-chacha.keys", dir / "keys.json");
  const KeyStore keys = Load(dir.string());
  ASSERT_EQ(keys.ike_sas().size(), 1u);
  EXPECT_EQ(keys.ike_sas()[0].encr, Encr::kChaCha20Poly1305);
  EXPECT_NE(keys.FindIke(0xf5d87c98db9884ef, 0x55f212989c849efc), nullptr);
  EXPECT_EQ(keys.ike_origins()[0],
            std::vector<std::string>{(dir / "keys.json").string() + ": /ike/0"});
  // ipsecref ike-decode --keys goes through LoadIkeKeys.
  auto ike = LoadIkeKeys(dir.string());
  ASSERT_TRUE(ike.ok()) << ike.error().ToString();
  ASSERT_EQ(ike->size(), 1u);
  // A file named *.json is keys.json whatever it starts with: its error is
  // a keys.json one, not an esp_sa one.
  std::ofstream(dir / "broken.json") << "\"IPv4\"";
  auto broken = KeyStore::Load((dir / "broken.json").string());
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().ToString().find("broken.json: /: a keys.json file must be an object, not string"),
            std::string::npos)
      << broken.error().ToString();
  std::filesystem::remove_all(dir);
}

TEST(KeysJson, KeyStoreErrorsNameFileAndPointer) {
  const auto dir = TempDir("bad");
  std::ofstream(dir / "keys.json")
      << R"({"format": "ipsecref-keys", "version": 1, "ah": [{"src": "*", "dst": "*", "spi": 7, "integ": 12, "integ_key": "00"}]})";
  auto keys = KeyStore::Load(dir.string());
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.error().code, Code::kBadKeyLength);
  EXPECT_NE(keys.error().ToString().find((dir / "keys.json").string() + ": /ah/0/integ_key: "
                                         "AUTH_HMAC_SHA2_256_128 takes a 32-octet key, not 1"),
            std::string::npos)
      << keys.error().ToString();
  std::filesystem::remove_all(dir);
}

// The same SAs as the capture's keys.csv.a gives them, read by its own
// parser: the two formats agree field by field.
TEST(KeysJson, SameSasAsKeysCsv) {
  for (const char* capture : {"linux-xfrm-chacha", "linux-xfrm-ccm", "linux-xfrm-esn",
                              "linux-xfrm-ah"}) {
    SCOPED_TRACE(capture);
    const KeysJson json = ParseFile(kVectors + capture + ".keys");
    const std::string csv_path = fmt::format("pcaps/{}/keys.csv.a", capture);
    auto csv = ParseKeysCsv(Slurp(csv_path), csv_path);
    ASSERT_TRUE(csv.ok()) << csv.error().ToString();
    ASSERT_EQ(json.sas.size(), csv->size());
    for (size_t i = 0; i < csv->size(); ++i) {
      const SaKeys& a = json.sas[i];
      const SaKeys& b = (*csv)[i];
      EXPECT_EQ(a.protocol, b.protocol);
      EXPECT_EQ(a.src, b.src);
      EXPECT_EQ(a.dst, b.dst);
      EXPECT_EQ(a.spi, b.spi);
      EXPECT_EQ(a.encr, b.encr);
      EXPECT_EQ(a.encr_key, b.encr_key);
      EXPECT_EQ(a.integ, b.integ);
      EXPECT_EQ(a.integ_key, b.integ_key);
      EXPECT_EQ(a.esn, b.esn);
      EXPECT_EQ(a.mode, b.mode);
      EXPECT_EQ(a.udp_encapsulation, b.udp_encapsulation);
    }
  }
}

// ---------------------------------------------------------------------------
// Malformed input: each error names the file, the JSON pointer and what is
// wrong.

constexpr std::string_view kKey32 = "1111111111111111111111111111111111111111111111111111111111111111";

std::string Esp(std::string_view members) {
  return fmt::format(
      R"({{"format": "ipsecref-keys", "version": 1, "esp": [{{"src": "192.0.2.1", "dst": "192.0.2.2", "spi": "0x1234", {}}}]}})",
      members);
}

std::string Gcm(std::string_view extra = "") {
  return Esp(fmt::format(R"("encr": "ENCR_AES_GCM_16", "encr_key": "{}22222222"{})",
                         std::string(kKey32.substr(0, 32)), extra));
}

struct Bad {
  std::string name;
  std::string text;
  Code code;
  std::string message;  // a part of the error text
};

void ExpectError(const Bad& b) {
  SCOPED_TRACE(b.name);
  auto keys = ParseKeysJson(b.text, "keys.json");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.error().code, b.code) << keys.error().ToString();
  EXPECT_NE(keys.error().ToString().find(b.message), std::string::npos)
      << keys.error().ToString() << "\n  does not contain: " << b.message;
}

TEST(KeysJson, ValidMinimalEntryParses) {
  auto keys = ParseKeysJson(Gcm(), "keys.json");
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  ASSERT_EQ(keys->sas.size(), 1u);
  EXPECT_EQ(keys->sas[0].spi, 0x1234u);
  EXPECT_FALSE(keys->sas[0].esn.has_value());  // not stated: left open
  EXPECT_FALSE(keys->sas[0].mode.has_value());
}

TEST(KeysJson, SyntaxErrorsGiveTheByteOffset) {
  // The '}' at offset 11 where a value must follow the colon.
  auto keys = ParseKeysJson("{\"format\": }", "keys.json");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.error().code, Code::kBadFile);
  EXPECT_EQ(keys.error().offset, 11u);
  EXPECT_NE(keys.error().ToString().find("keys.json: JSON syntax error at byte offset 11 (line 1, column 12)"),
            std::string::npos)
      << keys.error().ToString();
  // On a later line, a missing comma: the parser reads the whole token
  // that cannot follow, "version" (offsets 32 to 40), and names its last byte.
  keys = ParseKeysJson("{\n  \"format\": \"ipsecref-keys\"\n  \"version\": 1}", "k.json");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.error().offset, 40u);
  EXPECT_NE(keys.error().ToString().find("(line 3, column 11)"), std::string::npos)
      << keys.error().ToString();
  ExpectError({"empty file", "", Code::kBadFile, "keys.json: JSON syntax error at byte offset 0"});
  ExpectError({"trailing garbage", Gcm() + " x", Code::kBadFile, "JSON syntax error"});
  ExpectError({"number overflow", Gcm(R"(, "replay_window": 5e430)"), Code::kBadFile,
               "keys.json: JSON number out of range: number overflow parsing '5e430'"});
  ExpectError({"invalid UTF-8", "{\"comment\": \"\xff\"}", Code::kBadFile, "JSON syntax error"});
}

TEST(KeysJson, WrongTopLevel) {
  ExpectError({"array", "[]", Code::kBadFile, "keys.json: /: a keys.json file must be an object, not array"});
  ExpectError({"no format", R"({"version": 1})", Code::kBadFile, "keys.json: /: missing member \"format\""});
  ExpectError({"other format", R"({"format": "wireshark", "version": 1})", Code::kBadFile,
               "keys.json: /format: expected \"ipsecref-keys\", found \"wireshark\""});
  ExpectError({"no version", R"({"format": "ipsecref-keys"})", Code::kBadFile,
               "keys.json: /: missing member \"version\""});
  ExpectError({"future version", R"({"format": "ipsecref-keys", "version": 2})", Code::kBadFile,
               "keys.json: /version: version 2 is not one this ipsecref reads (it reads 1)"});
  ExpectError({"esp not an array", R"({"format": "ipsecref-keys", "version": 1, "esp": {}})",
               Code::kBadFile, "keys.json: /esp: expected an array, found object"});
  ExpectError({"unknown top member", R"({"format": "ipsecref-keys", "version": 1, "sas": []})",
               Code::kBadFile, "keys.json: /sas: unknown member \"sas\""});
}

TEST(KeysJson, WrongTypes) {
  ExpectError({"spi bool", Gcm().replace(Gcm().find("\"0x1234\""), 8, "true"), Code::kBadFile,
               "keys.json: /esp/0/spi: expected a 32-bit SPI (a whole number from 0 to 4294967295), found boolean"});
  ExpectError({"key as number", Esp(R"("encr": "ENCR_AES_CBC", "encr_key": 12)"), Code::kBadFile,
               "keys.json: /esp/0/encr_key: expected a key in hex, found number"});
  ExpectError({"esn as string", Gcm(R"(, "esn": "yes")"), Code::kBadFile,
               "keys.json: /esp/0/esn: expected true or false, found string"});
  ExpectError({"entry not an object", R"({"format": "ipsecref-keys", "version": 1, "ah": [1]})",
               Code::kBadFile, "keys.json: /ah/0: an ah entry must be an object, not number"});
  ExpectError({"transform as float", Esp(R"("encr": 12.5, "encr_key": "")"), Code::kBadFile,
               "keys.json: /esp/0/encr: expected an encryption transform name or number (a whole number from 0 to 65535), found 12.5"});
  ExpectError({"mode unknown", Gcm(R"(, "mode": "beet")"), Code::kBadFile,
               "keys.json: /esp/0/mode: mode \"beet\" is neither \"tunnel\" nor \"transport\""});
  ExpectError({"negative window", Gcm(R"(, "replay_window": -1)"), Code::kBadFile,
               "keys.json: /esp/0/replay_window: expected a window size"});
  ExpectError({"huge window", Gcm(R"(, "replay_window": 4294967295)"), Code::kBadFile,
               "from 0 to 1048576), found 4294967295"});
}

TEST(KeysJson, BadHexAndAddresses) {
  ExpectError({"odd digits", Esp(R"("encr": "ENCR_AES_CBC", "encr_key": "123")"), Code::kBadFile,
               "keys.json: /esp/0/encr_key: 3 hex digits: a key has two per octet"});
  ExpectError({"not hex", Esp(R"("encr": "ENCR_AES_CBC", "encr_key": "0x12zz")"), Code::kBadFile,
               "keys.json: /esp/0/encr_key: character 3 of the key is not a hex digit"});
  ExpectError({"spi not hex", Esp(R"("encr": "ENCR_NULL", "encr_key": "")").replace(Esp("").find("0x1234"), 6, "0x12g4"),
               Code::kBadFile, "keys.json: /esp/0/spi: \"0x12g4\" is not a 32-bit SPI"});
  ExpectError({"spi without 0x", Esp(R"("encr": "ENCR_NULL", "encr_key": "")").replace(Esp("").find("0x1234"), 6, "1234"),
               Code::kBadFile, "keys.json: /esp/0/spi: \"1234\" is not a 32-bit SPI"});
  ExpectError({"spi too wide", Esp(R"("encr": "ENCR_NULL", "encr_key": "")").replace(Esp("").find("0x1234"), 6, "0x123456789"),
               Code::kBadFile, "is not a 32-bit SPI"});
  ExpectError({"spi zero", Esp(R"("encr": "ENCR_NULL", "encr_key": "")").replace(Esp("").find("0x1234"), 6, "0x0"),
               Code::kBadFile, "keys.json: /esp/0/spi: SPI 0 is reserved"});
  ExpectError({"bad address", Gcm().replace(Gcm().find("192.0.2.1"), 9, "192.0.2.300"), Code::kBadFile,
               "keys.json: /esp/0/src: \"192.0.2.300\" is not an IPv4 or IPv6 address or \"*\""});
  ExpectError({"mixed families", Gcm().replace(Gcm().find("192.0.2.1"), 9, "2001:db8::1"), Code::kBadFile,
               "keys.json: /esp/0/dst: source and destination are of different address families"});
}

TEST(KeysJson, StringsWithANulCharacterAreRefused) {
  // JSON may escape U+0000 in a string (RFC 8259 §7); the C functions that
  // parse addresses would stop there, reading a shorter string than given.
  ExpectError({"address", Gcm().replace(Gcm().find("192.0.2.1"), 9, R"(192.0.2.1\u0000.7)"),
               Code::kBadFile,
               "keys.json: /esp/0/src: expected an IPv4 or IPv6 address or \"*\", found a string "
               "with a NUL character (\\u0000) at character 10"});
  ExpectError({"spi", Gcm().replace(Gcm().find("0x1234"), 6, R"(0x1234\u0000)"), Code::kBadFile,
               "keys.json: /esp/0/spi: expected a 32-bit SPI, found a string with a NUL"});
  ExpectError({"transform", Gcm().replace(Gcm().find("ENCR_AES_GCM_16"), 15, R"(ENCR_AES_GCM_16\u0000)"),
               Code::kBadFile, "keys.json: /esp/0/encr: expected an encryption transform name"});
  ExpectError({"key", Gcm().replace(Gcm().find("22222222"), 8, R"(2222222\u0000)"), Code::kBadFile,
               "keys.json: /esp/0/encr_key: expected a key in hex, found a string with a NUL"});
  ExpectError({"mode", Gcm(R"(, "mode": "tunnel\u0000")"), Code::kBadFile,
               "keys.json: /esp/0/mode: expected \"tunnel\" or \"transport\", found a string with a NUL"});
  ExpectError({"format", R"({"format": "ipsecref-keys\u0000", "version": 1})", Code::kBadFile,
               "keys.json: /format: expected \"ipsecref-keys\""});
  // A comment is not read: it may hold anything.
  EXPECT_TRUE(ParseKeysJson(Gcm(R"(, "comment": "\u0000")"), "keys.json").ok());
}

TEST(KeysJson, UnknownTransformsAndMembers) {
  ExpectError({"unknown name", Esp(R"("encr": "ENCR_AES_XTS", "encr_key": "")"), Code::kUnknownTransform,
               "keys.json: /esp/0/encr: \"ENCR_AES_XTS\" is not an IANA encryption transform name"});
  ExpectError({"Wireshark's name", Esp(R"("encr": "AES-CBC [RFC3602]", "encr_key": "")"),
               Code::kUnknownTransform, "is not an IANA encryption transform name"});
  ExpectError({"not implemented", Esp(R"("encr": 23, "encr_key": "")"), Code::kUnknownTransform,
               "keys.json: /esp/0/encr: ENCR_CAMELLIA_CBC (23) is not implemented by the reference"});
  ExpectError({"unassigned number", Esp(R"("encr": 1000, "encr_key": "")"), Code::kUnknownTransform,
               "keys.json: /esp/0/encr: unassigned (1000) is not implemented"});
  ExpectError({"unknown integrity",
               Esp(fmt::format(R"("encr": "ENCR_AES_CBC", "encr_key": "{}", "integ": "AUTH_HMAC_SHA2_256")",
                               kKey32.substr(0, 32))),
               Code::kUnknownTransform,
               "keys.json: /esp/0/integ: \"AUTH_HMAC_SHA2_256\" is not an IANA integrity transform name"});
  ExpectError({"typo in a member", Gcm(R"(, "encr_kye": "00")"), Code::kBadFile,
               "keys.json: /esp/0/encr_kye: unknown member \"encr_kye\" (an esp entry has: src, dst, spi"});
  ExpectError({"member named with a slash", Gcm(R"(, "a/b~c": 1)"), Code::kBadFile,
               "keys.json: /esp/0/a~1b~0c: unknown member"});
}

TEST(KeysJson, MissingMembers) {
  ExpectError({"no spi", R"({"format": "ipsecref-keys", "version": 1, "esp": [{"src": "*", "dst": "*"}]})",
               Code::kBadFile, "keys.json: /esp/0: missing member \"spi\""});
  ExpectError({"no encr", Esp(R"("encr_key": "")"), Code::kBadFile,
               "keys.json: /esp/0: missing member \"encr\""});
  ExpectError({"no integ key", Esp(fmt::format(R"("encr": "ENCR_AES_CBC", "encr_key": "{}", "integ": "AUTH_HMAC_SHA1_96")",
                                               kKey32.substr(0, 32))),
               Code::kBadFile, "keys.json: /esp/0: missing member \"integ_key\" for AUTH_HMAC_SHA1_96"});
  ExpectError({"ah without integ", R"({"format": "ipsecref-keys", "version": 1, "ah": [{"src": "*", "dst": "*", "spi": 7}]})",
               Code::kBadFile, "keys.json: /ah/0: missing member \"integ\""});
  ExpectError({"ike without sk_er", R"({"format": "ipsecref-keys", "version": 1, "ike": [{"spi_i": 1, "spi_r": 2, "encr": "ENCR_AES_GCM_16", "sk_ei": "00"}]})",
               Code::kBadFile, "keys.json: /ike/0: missing member \"sk_er\""});
}

TEST(KeysJson, KeyLengths) {
  ExpectError({"gcm key too short", Esp(R"("encr": "ENCR_AES_GCM_16", "encr_key": "0011")"), Code::kBadKeyLength,
               "keys.json: /esp/0/encr_key: ENCR_AES_GCM_16 takes 20, 28, 36 octets (key and its 4-octet salt), not 2"});
  ExpectError({"stated bits disagree", Gcm(R"(, "encr_key_bits": 256)"), Code::kBadKeyLength,
               "keys.json: /esp/0/encr_key_bits: 256 bits stated, but encr_key holds a 128-bit key and its 4-octet salt"});
  ExpectError({"hmac key", Esp(fmt::format(R"("encr": "ENCR_AES_CBC", "encr_key": "{}", "integ": 12, "integ_key": "00")",
                                           kKey32.substr(0, 32))),
               Code::kBadKeyLength, "keys.json: /esp/0/integ_key: AUTH_HMAC_SHA2_256_128 takes a 32-octet key, not 1"});
  ExpectError({"key without integrity", Gcm(R"(, "integ_key": "00")"), Code::kBadKeyLength,
               "keys.json: /esp/0/integ_key: a key without an integrity transform"});
  ExpectError({"ike directions differ",
               fmt::format(R"({{"format": "ipsecref-keys", "version": 1, "ike": [{{"spi_i": 1, "spi_r": 2, "encr": "ENCR_AES_GCM_16", "sk_ei": "{0}", "sk_er": "{1}"}}]}})",
                           std::string(kKey32.substr(0, 40)), std::string(kKey32.substr(0, 56))),
               Code::kBadKeyLength, "keys.json: /ike/0/sk_er: 28 octets, but sk_ei has 20"});
}

TEST(KeysJson, TransformCombinations) {
  ExpectError({"aead with integrity", Gcm(R"(, "integ": "AUTH_HMAC_SHA1_96", "integ_key": "0011223344556677889900112233445566778899")"),
               Code::kBadTransformCombination,
               "keys.json: /esp/0/integ: ENCR_AES_GCM_16 is a combined-mode algorithm; integ must be NONE, not AUTH_HMAC_SHA1_96"});
  ExpectError({"ah with NONE", R"({"format": "ipsecref-keys", "version": 1, "ah": [{"src": "*", "dst": "*", "spi": 7, "integ": "NONE", "integ_key": ""}]})",
               Code::kBadTransformCombination, "keys.json: /ah/0/integ: an AH SA needs an integrity transform"});
  ExpectError({"ah in udp", fmt::format(R"({{"format": "ipsecref-keys", "version": 1, "ah": [{{"src": "*", "dst": "*", "spi": 7, "integ": 12, "integ_key": "{}", "udp_encapsulation": true}}]}})", kKey32),
               Code::kBadFile, "keys.json: /ah/0/udp_encapsulation: AH is never UDP-encapsulated"});
  ExpectError({"ike with ENCR_NULL", R"({"format": "ipsecref-keys", "version": 1, "ike": [{"spi_i": 1, "spi_r": 2, "encr": "ENCR_NULL", "sk_ei": "", "sk_er": "", "integ": 2, "sk_ai": "0011223344556677889900112233445566778899", "sk_ar": "0011223344556677889900112233445566778899"}]})",
               Code::kBadTransformCombination, "keys.json: /ike/0/encr: ENCR_NULL is not allowed for IKE"});
  ExpectError({"ike cbc without integrity", fmt::format(R"({{"format": "ipsecref-keys", "version": 1, "ike": [{{"spi_i": 1, "spi_r": 2, "encr": "ENCR_AES_CBC", "sk_ei": "{0}", "sk_er": "{0}"}}]}})", kKey32),
               Code::kBadTransformCombination, "keys.json: /ike/0/integ: ENCR_AES_CBC needs an integrity transform"});
  ExpectError({"ike spi_i zero", R"({"format": "ipsecref-keys", "version": 1, "ike": [{"spi_i": "0x0", "spi_r": 2, "encr": "ENCR_AES_GCM_16", "sk_ei": "", "sk_er": ""}]})",
               Code::kBadFile, "keys.json: /ike/0/spi_i: the initiator's SPI is never 0"});
}

TEST(KeysJson, WildcardsCommentsAndCase) {
  auto keys = ParseKeysJson(
      R"({"comment": "x", "format": "ipsecref-keys", "version": 1,
          "esp": [{"comment": "any address", "src": "*", "dst": "*", "spi": "0XABCD",
                   "encr": "ENCR_AES_CBC", "encr_key": "0x00112233445566778899AABBCCDDEEFF",
                   "integ": "AUTH_HMAC_SHA1_96", "integ_key": "00112233445566778899aabbccddeeff00112233",
                   "mode": "transport", "udp_encapsulation": true, "replay_window": 0}],
          "ike": [{"spi_i": 18446744073709551615, "spi_r": "0xffffffffffffffff", "encr": 20,
                   "sk_ei": "000102030405060708090a0b0c0d0e0f10111213",
                   "sk_er": "000102030405060708090a0b0c0d0e0f10111213"}]})",
      "keys.json");
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  const SaKeys& k = keys->sas.at(0);
  EXPECT_TRUE(k.src.empty());
  EXPECT_TRUE(k.dst.empty());
  EXPECT_EQ(k.spi, 0xabcdu);
  EXPECT_EQ(k.encr_key, ToSecure(FromHex("00112233445566778899aabbccddeeff").value()));
  EXPECT_EQ(k.mode, std::optional<esp::Mode>(esp::Mode::kTransport));
  EXPECT_EQ(k.udp_encapsulation, std::optional<bool>(true));
  EXPECT_EQ(k.replay_window, std::optional<uint32_t>(0));  // 0: no replay check (RFC 4303 §3.4.3)
  const Ikev2Keys& ike = keys->ike_sas.at(0);
  EXPECT_EQ(ike.spi_i, 0xffffffffffffffffu);
  EXPECT_EQ(ike.spi_r, 0xffffffffffffffffu);
  EXPECT_EQ(ike.encr_key_bits, 128u);
}

TEST(KeysJson, LooksLikeKeysJson) {
  EXPECT_TRUE(LooksLikeKeysJson("dir/keys.json", ""));
  EXPECT_TRUE(LooksLikeKeysJson("a.keys", " \n {\"format\""));
  EXPECT_FALSE(LooksLikeKeysJson("esp_sa", "\"IPv4\",\"*\""));
  EXPECT_FALSE(LooksLikeKeysJson("keys.csv", "esp,192.0.2.1"));
}

// ---------------------------------------------------------------------------
// The writer.

bool SameSa(const SaKeys& a, const SaKeys& b) {
  return a.protocol == b.protocol && a.src == b.src && a.dst == b.dst && a.spi == b.spi &&
         a.encr == b.encr && a.encr_key == b.encr_key && a.integ == b.integ &&
         a.integ_key == b.integ_key && a.esn == b.esn && a.mode == b.mode &&
         a.udp_encapsulation == b.udp_encapsulation && a.replay_window == b.replay_window;
}

bool SameIke(const Ikev2Keys& a, const Ikev2Keys& b) {
  return a.spi_i == b.spi_i && a.spi_r == b.spi_r && a.encr == b.encr &&
         a.encr_key_bits == b.encr_key_bits && a.integ == b.integ && a.sk_ei == b.sk_ei &&
         a.sk_er == b.sk_er && a.sk_ai == b.sk_ai && a.sk_ar == b.sk_ar;
}

template <typename T>
rc::Gen<std::optional<T>> GenOptional(rc::Gen<T> gen) {
  return rc::gen::oneOf(rc::gen::just(std::optional<T>()), rc::gen::cast<std::optional<T>>(gen));
}

// An ESP SA from the shared generator (every transform and key size of the
// registry), or an AH SA; addresses possibly wildcards.
rc::Gen<SaKeys> GenSaKeys() {
  return rc::gen::exec([] {
    const esp::SaConfig c = *testing::GenEspSaConfig();
    SaKeys k;
    k.protocol = *rc::gen::element(SaProtocol::kEsp, SaProtocol::kAh);
    k.spi = c.spi;
    k.src = *rc::gen::arbitrary<bool>() ? c.tunnel_src : Bytes();
    k.dst = *rc::gen::arbitrary<bool>() ? c.tunnel_dst : Bytes();
    if (k.protocol == SaProtocol::kEsp) {
      k.encr = c.encr;
      k.encr_key = c.encr_key;
      k.integ = c.integ;
      k.integ_key = c.integ_key;
      k.udp_encapsulation = *GenOptional(rc::gen::arbitrary<bool>());
    } else {
      const auto integs = crypto::IntegTransforms();
      const auto& i = integs[*rc::gen::inRange<size_t>(0, integs.size())];
      k.integ = i.id;
      k.integ_key = *testing::GenKey(i.key_size);
      k.udp_encapsulation = *GenOptional(rc::gen::just(false));
    }
    k.esn = *GenOptional(rc::gen::just(c.esn));
    k.mode = *GenOptional(rc::gen::just(c.mode));
    k.replay_window = *GenOptional(rc::gen::just(c.replay_window));
    return k;
  });
}

// An IKE SA over every transform the registry has that IKE may use.
rc::Gen<Ikev2Keys> GenIkeKeys() {
  return rc::gen::exec([] {
    std::vector<const crypto::EncrTransform*> usable;
    for (const crypto::EncrTransform& t : crypto::EncrTransforms())
      if (t.confidentiality) usable.push_back(&t);
    const crypto::EncrTransform& t = **rc::gen::elementOf(usable);
    std::vector<uint16_t> bits;
    for (uint16_t b : t.key_bits)
      if (b != 0) bits.push_back(b);
    const uint16_t key_bits = *rc::gen::elementOf(bits);
    Ikev2Keys k;
    k.spi_i = *rc::gen::inRange<uint64_t>(1, std::numeric_limits<uint64_t>::max());
    k.spi_r = *rc::gen::arbitrary<uint64_t>();
    k.encr = t.id;
    k.encr_key_bits = t.fixed_key_bits() != 0 ? 0 : key_bits;
    k.sk_ei = *testing::GenKey(key_bits / 8 + t.salt_size);
    k.sk_er = *testing::GenKey(key_bits / 8 + t.salt_size);
    if (!t.aead) {
      const auto integs = crypto::IntegTransforms();
      const auto& i = integs[*rc::gen::inRange<size_t>(0, integs.size())];
      k.integ = i.id;
      k.sk_ai = *testing::GenKey(i.key_size);
      k.sk_ar = *testing::GenKey(i.key_size);
    }
    return k;
  });
}

RC_GTEST_PROP(KeysJson, WriteThenParseGivesTheSameSas, ()) {
  const auto sas = *rc::gen::container<std::vector<SaKeys>>(*rc::gen::inRange(0, 4), GenSaKeys());
  const auto ike = *rc::gen::container<std::vector<Ikev2Keys>>(*rc::gen::inRange(0, 3), GenIkeKeys());
  auto text = WriteKeysJson(sas, ike);
  RC_ASSERT(text.ok());
  auto back = ParseKeysJson(*text, "written.json");
  if (!back.ok()) RC_FAIL(back.error().ToString() + "\n" + *text);
  // ESP entries first, then AH: the writer groups them so.
  std::vector<SaKeys> expected;
  for (SaProtocol p : {SaProtocol::kEsp, SaProtocol::kAh})
    for (const SaKeys& k : sas)
      if (k.protocol == p) expected.push_back(k);
  RC_ASSERT(back->sas.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) RC_ASSERT(SameSa(back->sas[i], expected[i]));
  RC_ASSERT(back->ike_sas.size() == ike.size());
  for (size_t i = 0; i < ike.size(); ++i) RC_ASSERT(SameIke(back->ike_sas[i], ike[i]));
}

TEST(KeysJson, WriterRefusesWhatTheParserWould) {
  SaKeys ah;
  ah.protocol = SaProtocol::kAh;
  ah.spi = 7;
  ah.origins = {"test"};
  auto text = WriteKeysJson({ah}, {});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, Code::kBadTransformCombination);

  Ikev2Keys ike;
  ike.spi_i = 1;
  ike.encr = Encr::kAesCbc;
  ike.sk_ei = ike.sk_er = SecureBytes(16, 1);  // and no integrity
  text = WriteKeysJson({}, {ike});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, Code::kBadTransformCombination);
  EXPECT_NE(text.error().ToString().find("IKE SA 0000000000000001_i 0000000000000000_r: /integ"),
            std::string::npos)
      << text.error().ToString();
}

TEST(KeysJson, WrittenVectorFileReadsBackIdentically) {
  const KeysJson keys = ParseFile(kVectors + "linux-xfrm-chacha.keys");
  auto text = WriteKeysJson(keys.sas, keys.ike_sas);
  ASSERT_TRUE(text.ok()) << text.error().ToString();
  auto back = ParseKeysJson(*text, "written");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  ASSERT_EQ(back->sas.size(), 2u);
  for (size_t i = 0; i < 2; ++i) EXPECT_TRUE(SameSa(back->sas[i], keys.sas[i]));
  ASSERT_EQ(back->ike_sas.size(), 1u);
  EXPECT_TRUE(SameIke(back->ike_sas[0], keys.ike_sas[0]));
  EXPECT_NE(text->find("\"encr\": \"ENCR_CHACHA20_POLY1305\""), std::string::npos) << *text;
  EXPECT_NE(text->find("\"spi\": \"0xca485a91\""), std::string::npos) << *text;
}

}  // namespace
}  // namespace ipsecref::io
