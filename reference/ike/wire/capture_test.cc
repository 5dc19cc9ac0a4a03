// Every IKE message of every bundled capture (made by strongSwan 5.9.8
// against itself, and by strongSwan negotiating for the Linux kernel's XFRM)
// decodes, every SK payload decrypts with the capture's
// ikev2_decryption_table or keys.csv (written by strongSwan's save-keys
// plugin), and
// every message passes its payload rules and its exchange's rule table.
// The IKEv1 captures (an ikev1_decryption_table beside them) the same way
// with IKEv1's codec: every message decodes, every encrypted one decrypts
// with the table's key (RFC 2409 Appendix B), every one passes its
// payloads' rules. The payload sequences themselves are compared with
// tshark's dissection in interop/tshark.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "reference/ike/wire/protection.h"
#include "reference/ikev1/decrypt.h"
#include "reference/ike/wire/rules.h"
#include "reference/io/ike_messages.h"
#include "reference/io/ikev2_table.h"
#include "reference/io/keys.h"
#include "reference/io/keys_csv.h"

namespace ipsecref::ike {
namespace {

namespace fs = std::filesystem;

// The capture directories with IKEv2 keys, or (ikev1) with IKEv1 keys.
std::vector<fs::path> CapturesWithIkeKeys(bool ikev1 = false) {
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(fs::path(IPSECREF_SOURCE_DIR) / "pcaps"))
    if (fs::exists(entry.path() / "capture.pcap") && fs::exists(entry.path() / "ikev1_decryption_table") == ikev1)
      dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

SkKeys Direction(const io::Ikev2Keys& k, bool initiator) {
  return SkKeys{k.encr, k.encr_key_bits, k.integ, initiator ? k.sk_ei : k.sk_er, initiator ? k.sk_ai : k.sk_ar};
}

TEST(IkeCaptures, EveryMessageDecodesDecryptsAndFollowsTheRules) {
  const auto dirs = CapturesWithIkeKeys();
  ASSERT_GE(dirs.size(), 19u) << "the bundled captures are missing";
  size_t messages = 0, decrypted = 0;
  std::map<std::string, size_t> shapes;
  for (const fs::path& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    auto captured = io::ReadIkeMessages((dir / "capture.pcap").string());
    ASSERT_TRUE(captured.ok()) << captured.error().ToString();
    // ikev2_decryption_table, or keys.csv where Wireshark cannot name the
    // cipher (ChaCha20-Poly1305) or the capture came without a table.
    auto table = io::LoadIkeKeys(dir.string());
    ASSERT_TRUE(table.ok()) << table.error().ToString();
    std::map<std::pair<uint64_t, uint64_t>, std::unique_ptr<MessageProtection>> sas;
    for (const io::CapturedIke& c : *captured) {
      SCOPED_TRACE("frame " + std::to_string(c.packet_number));
      auto m = Decode(c.message);
      ASSERT_TRUE(m.ok()) << m.error().ToString();
      ++messages;
      if (m->Encrypted() != nullptr) {
        const io::Ikev2Keys* keys = io::Find(*table, m->header.spi_i, m->header.spi_r);
        ASSERT_NE(keys, nullptr) << "no keys for the IKE SA of an encrypted message";
        auto& sa = sas[{keys->spi_i, keys->spi_r}];
        if (!sa) {
          auto made = MessageProtection::Create({Direction(*keys, true), Direction(*keys, false)});
          ASSERT_TRUE(made.ok()) << made.error().ToString();
          sa = std::move(made).value();
        }
        Status s = sa->Decrypt(*m, c.message);
        ASSERT_TRUE(s.ok()) << s.error().ToString();
        ++decrypted;
      }
      const Validation v = Validate(*m);
      for (const Violation& x : v.violations) ADD_FAILURE() << x.error.ToString();
      ASSERT_NE(v.shape, nullptr);
      ++shapes[std::string(v.shape->name)];
    }
  }
  EXPECT_GT(decrypted, 0u);
  std::string summary;
  for (const auto& [name, n] : shapes) summary += "  " + name + ": " + std::to_string(n) + "\n";
  std::printf("%zu IKE messages in %zu captures, %zu decrypted; by shape:\n%s", messages, dirs.size(), decrypted,
              summary.c_str());
  // The strongSwan captures hold at least IKE_SA_INIT, IKE_AUTH and
  // INFORMATIONAL exchanges, and linux-xfrm-collision holds CREATE_CHILD_SA
  // rekeys of both kinds.
  EXPECT_GT(shapes["IKE_SA_INIT request"], 0u);
  EXPECT_GT(shapes["IKE_AUTH response"], 0u);
  EXPECT_GT(shapes["CREATE_CHILD_SA request (rekey IKE SA)"], 0u);
  EXPECT_GT(shapes["CREATE_CHILD_SA request (CHILD SA)"], 0u);
}

TEST(IkeCaptures, EveryIkev1MessageDecodesDecryptsAndFollowsTheRules) {
  const auto dirs = CapturesWithIkeKeys(/*ikev1=*/true);
  ASSERT_GE(dirs.size(), 4u) << "the bundled IKEv1 captures are missing";
  size_t messages = 0, decrypted = 0;
  for (const fs::path& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    auto captured = io::ReadIkeMessages((dir / "capture.pcap").string());
    ASSERT_TRUE(captured.ok()) << captured.error().ToString();
    // The keys as ike-decode and check load them.
    auto store = io::KeyStore::Load(dir.string());
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    std::map<uint64_t, ikev1::IsakmpSaDecryptor> sas;
    for (const io::CapturedIke& c : *captured) {
      SCOPED_TRACE("frame " + std::to_string(c.packet_number));
      auto m = ikev1::Decode(c.message);
      ASSERT_TRUE(m.ok()) << m.error().ToString();
      ++messages;
      auto sa = sas.find(m->header.initiator_cookie);
      if (sa == sas.end()) {
        const io::Ikev1Keys* keys = store->FindIkev1(m->header.initiator_cookie, m->header.responder_cookie);
        ASSERT_NE(keys, nullptr) << "no keys for the ISAKMP SA";
        sa = sas.emplace(keys->cookie_i, ikev1::IsakmpSaDecryptor(ikev1::Ikev1Secret{keys->encryption_key, {}, {}}))
                 .first;
      }
      const bool encrypted = m->header.encrypted();
      const Status s = sa->second.Observe(*m);
      ASSERT_TRUE(s.ok()) << s.error().ToString();
      if (encrypted) {
        ASSERT_TRUE(m->decrypted);
        ++decrypted;
      }
      for (const Error& e : ikev1::Validate(*m)) ADD_FAILURE() << e.ToString();
    }
  }
  std::printf("%zu IKEv1 messages in %zu captures, %zu decrypted\n", messages, dirs.size(), decrypted);
  EXPECT_GE(decrypted, 26u);  // the three first captures' 26 encrypted messages, and main-3des's
}

}  // namespace
}  // namespace ipsecref::ike
