// keys.json for an IKE SA that Wireshark's ikev2_decryption_table cannot
// name: ChaCha20-Poly1305 (RFC 7634), from pcaps/linux-xfrm-chacha, keys
// copied from its keys.csv.a (vectors/keys-json/linux-xfrm-chacha.keys).
// tshark 4.0.17 counts 2 IKE messages on UDP 500 and 4 on UDP 4500
// (pcaps/manifest.json); the four on 4500 carry SK payloads. (Apart from
// keys_json_test.cc: ike_messages.h and capture_check.h cannot be included
// in one file while both define kIkePort.)
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "reference/ike/wire/protection.h"
#include "reference/io/ike_messages.h"
#include "reference/io/keys_json.h"
#include "reference/io/keys_json_test_util.h"

namespace ipsecref::io {
namespace {

using iana::Encr;
using iana::Integ;

const std::string kVectors = "vectors/keys-json/";

KeysJson ParseFile(const std::string& path) { return test::ParseKeysJsonFile(path); }

ike::SkKeys Direction(const Ikev2Keys& k, bool initiator) {
  return ike::SkKeys{k.encr, k.encr_key_bits, k.integ, initiator ? k.sk_ei : k.sk_er,
                     initiator ? k.sk_ai : k.sk_ar};
}

// Wireshark's ikev2_decryption_table has no name for ChaCha20-Poly1305
// (RFC 7634): keys.json does.
TEST(KeysJson, ChaCha20IkeSaDecryptsEveryEncryptedMessage) {
  const KeysJson keys = ParseFile(kVectors + "linux-xfrm-chacha.keys");
  ASSERT_EQ(keys.ike_sas.size(), 1u);
  const Ikev2Keys& k = keys.ike_sas[0];
  EXPECT_EQ(k.spi_i, 0xf5d87c98db9884efu);
  EXPECT_EQ(k.spi_r, 0x55f212989c849efcu);
  EXPECT_EQ(k.encr, Encr::kChaCha20Poly1305);
  EXPECT_EQ(k.encr_key_bits, 0u);  // one fixed length: no Key Length attribute (RFC 7634 §2)
  EXPECT_EQ(k.integ, Integ::kNone);
  EXPECT_EQ(keys.ike_origins, std::vector<std::string>{kVectors + "linux-xfrm-chacha.keys: /ike/0"});

  auto captured = ReadIkeMessages("pcaps/linux-xfrm-chacha/capture.pcap");
  ASSERT_TRUE(captured.ok()) << captured.error().ToString();
  ASSERT_EQ(captured->size(), 6u);  // manifest: ike 2, ike_nat_t 4
  auto protection = ike::MessageProtection::Create({Direction(k, true), Direction(k, false)});
  ASSERT_TRUE(protection.ok()) << protection.error().ToString();
  size_t decrypted = 0;
  for (const CapturedIke& c : *captured) {
    SCOPED_TRACE(fmt::format("frame {}", c.packet_number));
    auto m = ike::Decode(c.message);
    ASSERT_TRUE(m.ok()) << m.error().ToString();
    if (m->Encrypted() == nullptr) continue;
    EXPECT_EQ(m->header.spi_i, k.spi_i);
    Status s = (*protection)->Decrypt(*m, c.message);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    ++decrypted;
  }
  EXPECT_EQ(decrypted, 4u);  // the four on UDP 4500
}

}  // namespace
}  // namespace ipsecref::io
