// IKEv1 decryption (RFC 2409 Appendix B) of the strongSwan captures'
// messages (fuzz/corpus/ikev1_decode/, the UDP payloads of
// pcaps/strongswan-ikev1-*/capture.pcap in capture order) with the keys
// their charon logged (pcaps/strongswan-ikev1-*/ikev1_decryption_table).
// Expected: the payload types tshark 4.0.17 shows in each message when it
// decrypts it with the same table (isakmp.typepayload, Proposal and
// Transform removed, which sit inside SA here), and the Mode Config types
// and attributes it shows (isakmp.cfg.type, isakmp.cfg.attr.type).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "reference/ikev1/decrypt.h"
#include "reference/ikev1/test_util.h"

namespace ipsecref::ikev1 {
namespace {

Bytes ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// frame -> payload types inside, for one capture.
std::map<int, std::vector<int>> Decrypted(const std::string& scenario) {
  std::ifstream table_file("pcaps/strongswan-ikev1-" + scenario + "/ikev1_decryption_table");
  std::stringstream text;
  text << table_file.rdbuf();
  // One row, <cookie>,<key> (the table's parser is io's, ikev1_table.h).
  const std::string row = text.str();
  auto key = SecureFromHex(row.substr(17, row.find_first_of("\r\n") - 17));
  EXPECT_TRUE(key.ok() && row[16] == ',');
  if (!key.ok()) return {};
  IsakmpSaDecryptor decryptor(Ikev1Secret{std::move(key).value(), {}, {}});
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator("fuzz/corpus/ikev1_decode"))
    if (e.path().filename().string().starts_with("strongswan-" + scenario + "-frame")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::map<int, std::vector<int>> out;
  for (const auto& f : files) {
    const int frame = std::stoi(f.filename().string().substr(("strongswan-" + scenario + "-frame").size(), 2));
    auto m = Decode(ReadFile(f));
    EXPECT_TRUE(m.ok()) << f;
    if (!m.ok()) continue;
    const bool encrypted = m->header.encrypted();
    const Status s = decryptor.Observe(*m);
    EXPECT_TRUE(s.ok()) << f << ": " << (s.ok() ? "" : s.error().ToString());
    if (!encrypted || !s.ok()) continue;
    EXPECT_TRUE(m->decrypted);
    EXPECT_TRUE(Validate(*m).empty()) << f;
    for (const Payload& p : m->payloads) out[frame].push_back(static_cast<int>(p.type));
  }
  return out;
}

TEST(Ikev1Decrypt, MainModeAndQuickModeAsTsharkDecryptsThem) {
  const std::map<int, std::vector<int>> expected = {
      {5, {5, 8, 11}}, {6, {5, 8}}, {7, {8, 1, 10, 5, 5}}, {8, {8, 1, 10, 5, 5}}, {9, {8}}, {16, {8, 12}}, {17, {8, 12}}};
  EXPECT_EQ(Decrypted("main"), expected);
}

TEST(Ikev1Decrypt, AggressiveModeAsTsharkDecryptsIt) {
  const std::map<int, std::vector<int>> expected = {
      {3, {8, 20, 20}}, {4, {8, 1, 10, 5, 5}}, {5, {8, 1, 10, 5, 5}}, {6, {8}}, {13, {8, 12}}, {14, {8, 12}}};
  EXPECT_EQ(Decrypted("aggressive"), expected);
}

TEST(Ikev1Decrypt, XauthAndModeConfigAsTsharkDecryptsThem) {
  const std::map<int, std::vector<int>> expected = {
      {5, {5, 8, 11}}, {6, {5, 8}},  {7, {8, 14}},  {8, {8, 14}}, {9, {8, 14}}, {10, {8, 14}}, {11, {8, 14}},
      {12, {8, 14}},   {13, {8, 1, 10, 5, 5}}, {14, {8, 1, 10, 5, 5}}, {15, {8}}, {22, {8, 12}}, {23, {8, 12}}};
  EXPECT_EQ(Decrypted("xauth"), expected);
}

// The messages of strongswan-main, by frame.
Message Frame(int frame) {
  for (const auto& e : std::filesystem::directory_iterator("fuzz/corpus/ikev1_decode"))
    if (e.path().filename().string().starts_with(fmt::format("strongswan-main-frame{:02}", frame))) {
      auto m = Decode(ReadFile(e.path()));
      EXPECT_TRUE(m.ok());
      return m.ok() ? *m : Message{};
    }
  ADD_FAILURE() << "no frame " << frame;
  return {};
}

const char* kMainKey = "0382e55faf285f6350fe2636ff5dfd16";  // pcaps/strongswan-ikev1-main/ikev1_decryption_table

IsakmpSaDecryptor MainDecryptor(std::string_view key_hex) {
  return IsakmpSaDecryptor(Ikev1Secret{SecureFromHex(key_hex).value(), {}, {}});
}

// Appendix B: a retransmitted message (the same ciphertext again) had the
// IV of its first copy; the chain goes on from the first copy.
TEST(Ikev1Decrypt, RetransmissionKeepsTheIvChain) {
  IsakmpSaDecryptor d = MainDecryptor(kMainKey);
  for (int f : {1, 2, 3, 4}) {
    Message m = Frame(f);
    ASSERT_TRUE(d.Observe(m).ok());
  }
  for (int copy = 0; copy < 2; ++copy) {
    Message m5 = Frame(5);
    const Status s = d.Observe(m5);
    ASSERT_TRUE(s.ok()) << "copy " << copy << ": " << s.error().ToString();
    EXPECT_TRUE(m5.decrypted);
  }
  Message m6 = Frame(6);
  ASSERT_TRUE(d.Observe(m6).ok());
  EXPECT_TRUE(m6.decrypted);
}

// A wrong key: the payload chain does not parse; the error cites Appendix B
// and says what may be wrong.
TEST(Ikev1Decrypt, WrongKeyIsAnErrorCitingAppendixB) {
  IsakmpSaDecryptor d = MainDecryptor("0382e55faf285f6350fe2636ff5dfd17");
  for (int f : {1, 2, 3, 4}) {
    Message m = Frame(f);
    ASSERT_TRUE(d.Observe(m).ok());
  }
  Message m5 = Frame(5);
  const Status s = d.Observe(m5);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kPayloadMalformed);
  EXPECT_EQ(s.error().requirement, "rfc2409#appendix-B");
  EXPECT_NE(s.error().detail.find("a wrong key"), std::string::npos);
  EXPECT_FALSE(m5.decrypted);
}

// A broken IV chain: Quick Mode's first message (frame 7) missing, the
// second starts from the exchange's first IV and does not parse; the third
// chains from the second's last block and decrypts.
TEST(Ikev1Decrypt, MissingMessageBreaksOnlyTheNextOne) {
  IsakmpSaDecryptor d = MainDecryptor(kMainKey);
  for (int f : {1, 2, 3, 4, 5, 6}) {
    Message m = Frame(f);
    ASSERT_TRUE(d.Observe(m).ok()) << f;
  }
  Message m8 = Frame(8);
  const Status s = d.Observe(m8);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().detail.find("IV chain"), std::string::npos);
  Message m9 = Frame(9);
  EXPECT_TRUE(d.Observe(m9).ok());
}

// No KE payloads seen (the capture starts late): no Phase 1 IV can be made.
TEST(Ikev1Decrypt, NoPublicValuesNoIv) {
  IsakmpSaDecryptor d = MainDecryptor(kMainKey);
  for (int f : {1, 2}) {
    Message m = Frame(f);
    ASSERT_TRUE(d.Observe(m).ok());
  }
  Message m5 = Frame(5);
  const Status s = d.Observe(m5);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Code::kInvalidArgument);
  EXPECT_EQ(s.error().requirement, "rfc2409#appendix-B");
}

}  // namespace
}  // namespace ipsecref::ikev1
