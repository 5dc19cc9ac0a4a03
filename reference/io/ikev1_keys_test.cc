// IKEv1 key files: Wireshark's ikev1_decryption_table (as the IKEv1
// captures ship it, written by pcaps/ikev1/ikev1_keys_from_log.py from
// charon's log) and keys.json's "ikev1" entries, each alone and merged by
// KeyStore.
#include <gtest/gtest.h>

#include <fstream>

#include "reference/io/ikev1_table.h"
#include "reference/io/keys_json.h"
#include "reference/io/keys_json_test_util.h"

namespace ipsecref::io {
namespace {

void Write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(Ikev1Table, ReadsBareAndQuotedRowsAndNamesTheBadLine) {
  auto keys = ParseIkev1Table("# comment\n\"86d96285ae3a7beb\",\"0ce4c07d4a03e5281b83987b63852806\"\n\n"
                              "9e97d2be7358cd64,0382e55faf285f6350fe2636ff5dfd16\n",
                              "t");
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].cookie_i, 0x86d96285ae3a7bebu);
  EXPECT_EQ((*keys)[0].encryption_key.size(), 16u);
  EXPECT_EQ((*keys)[1].origins, std::vector<std::string>{"t:4"});
  auto short_cookie = ParseIkev1Table("86d9,00\n", "t");
  ASSERT_FALSE(short_cookie.ok());
  EXPECT_NE(short_cookie.error().detail.find("t:1: the initiator cookie"), std::string::npos);
  auto odd_key = ParseIkev1Table("\n9e97d2be7358cd64,038\n", "t");
  ASSERT_FALSE(odd_key.ok());
  EXPECT_NE(odd_key.error().detail.find("t:2"), std::string::npos);
  EXPECT_FALSE(ParseIkev1Table("9e97d2be7358cd64,00,00\n", "t").ok());
  EXPECT_TRUE(LooksLikeIkev1Table("# x\n9e97d2be7358cd64,0382e55f\n"));
  EXPECT_FALSE(LooksLikeIkev1Table("80ea419260b5b6ec,2c239fb98b89226d,00,00,\"x\",,,\"NONE [RFC4306]\"\n"));
}

TEST(Ikev1Table, CaptureDirectoryLoadsItBesideEspSa) {
  const KeyStore store = test::LoadKeys("pcaps/strongswan-ikev1-main");
  ASSERT_EQ(store.ikev1_sas().size(), 1u);
  EXPECT_EQ(store.sas().size(), 2u);
  const Ikev1Keys* k = store.FindIkev1(0x9e97d2be7358cd64u, 0xb099a4b4795ce942u);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(ToHex(k->encryption_key), "0382e55faf285f6350fe2636ff5dfd16");
  EXPECT_EQ(store.FindIkev1(0x9e97d2be7358cd65u, 0), nullptr);
  // The same file given alone is told by its name, and by its content.
  const auto dir = test::TempDir("ikev1-alone");
  std::filesystem::copy_file("pcaps/strongswan-ikev1-main/ikev1_decryption_table", dir / "some-keys");
  EXPECT_EQ(test::LoadKeys((dir / "some-keys").string()).ikev1_sas().size(), 1u);
  std::filesystem::remove_all(dir);
}

TEST(Ikev1KeysJson, EncryptionKeyOrPskWithSharedSecret) {
  auto keys = ParseKeysJson(R"({"format": "ipsecref-keys", "version": 1, "ikev1": [
      {"cookie_i": "0x9e97d2be7358cd64", "cookie_r": "0xb099a4b4795ce942", "psk": "pf", "dh_shared_secret": "0b9b"},
      {"cookie_i": "0x0000000000000001", "psk_hex": "0x7066", "dh_shared_secret": "0b9b"},
      {"cookie_i": 2, "encryption_key": "0382e55faf285f6350fe2636ff5dfd16", "comment": "Ka"}]})",
                            "k.json");
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  ASSERT_EQ(keys->ikev1_sas.size(), 3u);
  EXPECT_EQ(ToHex(keys->ikev1_sas[0].pre_shared_key), "7066");
  EXPECT_EQ(keys->ikev1_sas[0].pre_shared_key, keys->ikev1_sas[1].pre_shared_key);
  EXPECT_EQ(keys->ikev1_sas[0].cookie_r, 0xb099a4b4795ce942u);
  EXPECT_TRUE(keys->ikev1_sas[0].derived());
  EXPECT_FALSE(keys->ikev1_sas[2].derived());
  EXPECT_EQ(keys->ikev1_sas[2].origins, std::vector<std::string>{"k.json: /ikev1/2"});
  for (const char* bad : {
           R"({"cookie_i": 1, "psk": "pf"})",                                            // no g^xy
           R"({"cookie_i": 1, "encryption_key": "00", "psk": "pf", "dh_shared_secret": "00"})",  // both forms
           R"({"cookie_i": 1, "psk": "pf", "psk_hex": "00", "dh_shared_secret": "00"})",  // two PSKs
           R"({"cookie_i": 1, "encryption_key": "00", "sk_ei": "00"})",                   // unknown member
           R"({"encryption_key": "00"})",                                                 // no cookie
       }) {
    auto refused = ParseKeysJson(
        std::string(R"({"format": "ipsecref-keys", "version": 1, "ikev1": [)") + bad + "]}", "k.json");
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.error().detail.find("/ikev1/0"), std::string::npos) << refused.error().ToString();
  }
}

TEST(Ikev1KeysJson, MergesWithTheTableAndRefusesAnotherKey) {
  const auto dir = test::TempDir("ikev1-merge");
  std::filesystem::copy_file("pcaps/strongswan-ikev1-main/ikev1_decryption_table", dir / "ikev1_decryption_table");
  Write(dir / "keys.json", R"({"format": "ipsecref-keys", "version": 1, "ikev1": [
      {"cookie_i": "0x9e97d2be7358cd64", "psk": "pf-test-psk-0123456789", "dh_shared_secret": "0b9b"}]})");
  const KeyStore store = test::LoadKeys(dir.string());
  ASSERT_EQ(store.ikev1_sas().size(), 1u);
  EXPECT_FALSE(store.ikev1_sas()[0].encryption_key.empty());
  EXPECT_FALSE(store.ikev1_sas()[0].pre_shared_key.empty());
  EXPECT_EQ(store.ikev1_sas()[0].origins.size(), 2u);
  Write(dir / "keys.json", R"({"format": "ipsecref-keys", "version": 1, "ikev1": [
      {"cookie_i": "0x9e97d2be7358cd64", "encryption_key": "0382e55faf285f6350fe2636ff5dfd17"}]})");
  auto refused = KeyStore::Load(dir.string());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().detail.find("different keys for ISAKMP SA 9e97d2be7358cd64_i"), std::string::npos)
      << refused.error().ToString();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ipsecref::io
