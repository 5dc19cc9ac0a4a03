// IKEv1 keys from a pre-shared key (RFC 2409 §5, Appendix B), checked
// against what strongSwan 5.9.8 derived in the four IKEv1 captures
// (pcaps/strongswan-ikev1-{main,aggressive,xauth,main-3des}): charon-a.log
// holds, at ike level 4, the "shared Diffie Hellman secret" g^xy, SKEYID,
// SKEYID_d, SKEYID_a, SKEYID_e and "encryption key Ka" of the initiator;
// swanctl-a.conf the pre-shared key; the capture the nonces, cookies and
// the Phase 1 SA. The expected keys are read from charon's log as it wrote
// it, never computed here. main-3des negotiates 3DES-CBC with SHA-1: its
// 24-octet key is longer than SKEYID_e (20 octets), so Ka is stretched.
// Then every encrypted message is decrypted twice, with the derived key and
// with ikev1_decryption_table's key, and must give the same payloads.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "reference/ikev1/decrypt.h"
#include "reference/io/ike_messages.h"
#include "reference/io/ikev1_table.h"

namespace ipsecref::ikev1 {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first hex dump charon logged under `label` ("SKEYID_e"): the line
// "<time> <thread>[IKE] <label> => N bytes @ 0x..." and the dump lines of
// the same thread after it ("<time> <thread>[IKE]    0: 03 82 E5 ...").
Bytes LoggedDump(const std::string& log, const std::string& label) {
  const std::regex head("\\d\\d:\\d\\d:\\d\\d (\\d+)\\[IKE\\] " + label + " => (\\d+) bytes");
  std::smatch m;
  EXPECT_TRUE(std::regex_search(log, m, head)) << label;
  if (m.empty()) return {};
  const std::string thread = m[1];
  const size_t size = std::stoul(m[2]);
  std::string hex;
  std::istringstream rest(log.substr(static_cast<size_t>(m.position(0) + m.length(0))));
  std::string line;
  std::getline(rest, line);  // the rest of the head line
  const std::regex dump(" " + thread + "\\[IKE\\]\\s+\\d+: ((?:[0-9A-F]{2} ){1,16})");
  while (hex.size() < 2 * size && std::getline(rest, line)) {
    std::smatch d;
    if (!std::regex_search(line, d, dump)) continue;  // another thread's line
    for (char c : d[1].str())
      if (c != ' ') hex += c;
  }
  auto bytes = FromHex(hex.substr(0, 2 * size));
  EXPECT_TRUE(bytes.ok() && bytes->size() == size) << label;
  return bytes.ok() ? *bytes : Bytes{};
}

Bytes Of(const SecureBytes& s) { return Bytes(s.begin(), s.end()); }

// The payload types of each encrypted message, by frame, decrypted with
// `secret`; `decryptor` is left for the caller to look at.
std::map<size_t, std::vector<int>> DecryptCapture(const std::string& dir, IsakmpSaDecryptor& decryptor) {
  auto messages = io::ReadIkeMessages(dir + "/capture.pcap");
  EXPECT_TRUE(messages.ok());
  std::map<size_t, std::vector<int>> out;
  if (!messages.ok()) return out;
  for (const io::CapturedIke& c : *messages) {
    auto m = Decode(c.message);
    EXPECT_TRUE(m.ok()) << dir << " frame " << c.packet_number;
    if (!m.ok()) continue;
    const bool encrypted = m->header.encrypted();
    const Status s = decryptor.Observe(*m);
    EXPECT_TRUE(s.ok()) << dir << " frame " << c.packet_number << ": " << (s ? "" : s.error().ToString());
    if (!encrypted || !s.ok()) continue;
    EXPECT_TRUE(Validate(*m).empty()) << dir << " frame " << c.packet_number;
    for (const Payload& p : m->payloads) out[c.packet_number].push_back(static_cast<int>(p.type));
  }
  return out;
}

class Ikev1PskKeys : public ::testing::TestWithParam<std::string> {};

TEST_P(Ikev1PskKeys, EqualStrongswansAndDecryptAsTheTableKeyDoes) {
  const std::string dir = "pcaps/strongswan-ikev1-" + GetParam();
  const std::string log = ReadText(dir + "/charon-a.log");
  std::smatch psk;
  const std::string conf = ReadText(dir + "/swanctl-a.conf");
  ASSERT_TRUE(std::regex_search(conf, psk, std::regex("ike-1 \\{[^}]*secret = \"([^\"]*)\"")));
  const std::string psk_text = psk[1];
  const Bytes g_xy = LoggedDump(log, "shared Diffie Hellman secret");
  ASSERT_FALSE(g_xy.empty());

  IsakmpSaDecryptor derived(
      Ikev1Secret{{}, ToSecure(ByteSpan(reinterpret_cast<const uint8_t*>(psk_text.data()), psk_text.size())), ToSecure(g_xy)});
  const auto from_psk = DecryptCapture(dir, derived);
  ASSERT_TRUE(derived.derived_keys().has_value());
  const Phase1Keys& k = *derived.derived_keys();
  EXPECT_EQ(Of(k.skeyid), LoggedDump(log, "SKEYID"));
  EXPECT_EQ(Of(k.skeyid_d), LoggedDump(log, "SKEYID_d"));
  EXPECT_EQ(Of(k.skeyid_a), LoggedDump(log, "SKEYID_a"));
  EXPECT_EQ(Of(k.skeyid_e), LoggedDump(log, "SKEYID_e"));
  EXPECT_EQ(Of(k.encryption_key), LoggedDump(log, "encryption key Ka"));

  auto table = io::ParseIkev1Table(ReadText(dir + "/ikev1_decryption_table"), "ikev1_decryption_table");
  ASSERT_TRUE(table.ok() && table->size() == 1);
  EXPECT_EQ(Of(k.encryption_key), Of((*table)[0].encryption_key));
  IsakmpSaDecryptor given(Ikev1Secret{(*table)[0].encryption_key, {}, {}});
  const auto from_table = DecryptCapture(dir, given);
  EXPECT_FALSE(from_table.empty());
  EXPECT_EQ(from_psk, from_table);
  EXPECT_FALSE(given.derived_keys().has_value());
}

INSTANTIATE_TEST_SUITE_P(StrongswanCaptures, Ikev1PskKeys,
                         ::testing::Values("main", "aggressive", "xauth", "main-3des"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

// A wrong pre-shared key gives a wrong key: the first encrypted message's
// payloads do not parse, and the error says so and cites Appendix B.
TEST(Ikev1PskKeys, WrongPreSharedKeyIsAClearError) {
  const std::string dir = "pcaps/strongswan-ikev1-main";
  const Bytes g_xy = LoggedDump(ReadText(dir + "/charon-a.log"), "shared Diffie Hellman secret");
  const std::string wrong = "not-the-psk";
  IsakmpSaDecryptor d(Ikev1Secret{{}, ToSecure(ByteSpan(reinterpret_cast<const uint8_t*>(wrong.data()), wrong.size())),
                                  ToSecure(g_xy)});
  auto messages = io::ReadIkeMessages(dir + "/capture.pcap");
  ASSERT_TRUE(messages.ok());
  size_t failures = 0;
  for (const io::CapturedIke& c : *messages) {
    auto m = Decode(c.message);
    ASSERT_TRUE(m.ok());
    const Status s = d.Observe(*m);
    if (s.ok()) continue;
    ++failures;
    EXPECT_EQ(s.error().requirement, "rfc2409#appendix-B");
    EXPECT_NE(s.error().detail.find("a wrong key"), std::string::npos) << s.error().ToString();
  }
  EXPECT_GT(failures, 0u);
}

// A key shorter than SKEYID_e is its first octets (Appendix B); an empty
// pre-shared key is refused.
TEST(Ikev1PskKeys, ShortKeyIsSkeyidEsPrefixAndEmptyPskIsRefused) {
  auto keys = DerivePskPhase1Keys(iana::HashAlgorithm::kSha2_256, Bytes{1}, Bytes(16, 2), Bytes(16, 3), Bytes(256, 4),
                                  1, 2, 16);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->encryption_key.size(), 16u);
  EXPECT_EQ(Of(keys->encryption_key), Bytes(keys->skeyid_e.begin(), keys->skeyid_e.begin() + 16));
  EXPECT_FALSE(DerivePskPhase1Keys(iana::HashAlgorithm::kSha2_256, {}, Bytes(16, 2), Bytes(16, 3), Bytes(256, 4), 1, 2,
                                   16)
                   .ok());
}

}  // namespace
}  // namespace ipsecref::ikev1
