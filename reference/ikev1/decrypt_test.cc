// IKEv1 decryption (RFC 2409 Appendix B) of the strongSwan captures'
// messages (fuzz/corpus/ikev1_decode/, the UDP payloads of
// pcaps/strongswan-ikev1-*/capture.pcap in capture order) with the keys
// their charon logged (pcaps/strongswan-ikev1-*/ikev1_decryption_table).
// Expected: the payload types tshark 4.0.17 shows in each message when it
// decrypts it with the same table (isakmp.typepayload, Proposal and
// Transform removed, which sit inside SA here), and the Mode Config types
// and attributes it shows (isakmp.cfg.type, isakmp.cfg.attr.type).
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
  auto keys = ParseIkev1DecryptionTable(text.str());
  EXPECT_TRUE(keys.ok() && keys->size() == 1);
  if (!keys.ok() || keys->empty()) return {};
  IsakmpSaDecryptor decryptor((*keys)[0].encryption_key);
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

TEST(Ikev1Decrypt, TableFormat) {
  auto keys = ParseIkev1DecryptionTable("# comment\n\"86d96285ae3a7beb\",\"0ce4c07d4a03e5281b83987b63852806\"\n\n");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].initiator_cookie, 0x86d96285ae3a7bebu);
  EXPECT_EQ((*keys)[0].encryption_key.size(), 16u);
  EXPECT_FALSE(ParseIkev1DecryptionTable("86d9,00\n").ok());
}

}  // namespace
}  // namespace ipsecref::ikev1
