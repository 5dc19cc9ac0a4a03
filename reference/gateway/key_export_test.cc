// The gateway's key files: keys.json carries every SA, Wireshark's esp_sa
// and ikev2_decryption_table the SAs Wireshark has names for, and each file
// reads back (with the project's readers) as what was added.
#include "reference/gateway/key_export.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "reference/io/esp_sa_file.h"
#include "reference/io/ikev2_table.h"
#include "reference/io/keys_json.h"

namespace ipsecref::gateway {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/ipsecref-keys-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

io::SaKeys Sa(uint32_t spi, iana::Encr encr, size_t key_size) {
  io::SaKeys k;
  k.src = {192, 0, 2, 2};
  k.dst = {192, 0, 2, 1};
  k.spi = spi;
  k.encr = encr;
  k.encr_key.assign(key_size, 0x11);
  k.esn = false;
  k.mode = esp::Mode::kTunnel;
  k.udp_encapsulation = true;
  return k;
}

std::string Read(const std::string& path) { return *io::ReadKeyFile(path); }

TEST(KeyExportTest, KeysJsonHoldsEverySaWiresharkFilesWhatTheyCanName) {
  TempDir dir;
  KeyExport keys(dir.path);
  // AES-GCM-16 with a 128-bit key and its 4-octet salt (RFC 4106 §8.1);
  // ChaCha20-Poly1305: 256-bit key and 4-octet salt (RFC 7634 §2).
  auto gcm = keys.Add(Sa(0x1000, iana::Encr::kAesGcm16, 20));
  ASSERT_TRUE(gcm.ok());
  EXPECT_FALSE(gcm->has_value());
  auto chacha = keys.Add(Sa(0x2000, iana::Encr::kChaCha20Poly1305, 36));
  ASSERT_TRUE(chacha.ok());
  ASSERT_TRUE(chacha->has_value());
  EXPECT_NE((*chacha)->find("in keys.json only"), std::string::npos) << **chacha;
  // Added again: nothing new, no note.
  EXPECT_FALSE(keys.Add(Sa(0x2000, iana::Encr::kChaCha20Poly1305, 36))->has_value());

  auto json = io::ParseKeysJson(Read(dir.path + "/keys.json"), "keys.json");
  ASSERT_TRUE(json.ok()) << json.error().ToString();
  ASSERT_EQ(json->sas.size(), 2u);
  auto esp_sa = io::ParseEspSaFile(Read(dir.path + "/esp_sa"), "esp_sa");
  ASSERT_TRUE(esp_sa.ok()) << esp_sa.error().ToString();
  ASSERT_EQ(esp_sa->size(), 1u);
  EXPECT_EQ((*esp_sa)[0].spi, 0x1000u);
  EXPECT_EQ((*esp_sa)[0].encr_key, Sa(0x1000, iana::Encr::kAesGcm16, 20).encr_key);
}

TEST(KeyExportTest, AFileThatCannotBeWrittenIsAnError) {
  KeyExport keys("/nonexistent/ipsecref-keys");
  auto r = keys.Add(Sa(0x1000, iana::Encr::kAesGcm16, 20));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kIoError);
  EXPECT_NE(r.error().detail.find("/nonexistent/ipsecref-keys/"), std::string::npos) << r.error().detail;
}

}  // namespace
}  // namespace ipsecref::gateway
