#include "vectors/runner.h"

#include "vectors/handler.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "reference/crypto/prf.h"
#include "reference/crypto/transforms.h"
#include "reference/esp/esp_sa.h"

namespace ipsecref::vectors {

Bytes Hex(const json& t, const char* field) {
  if (!t.contains(field) || !t[field].is_string()) throw BadField{fmt::format("missing hex field '{}'", field)};
  auto b = FromHex(t[field].get<std::string>());
  if (!b) throw BadField{fmt::format("field '{}': {}", field, b.error().ToString())};
  return std::move(b).value();
}

iana::Encr EncrNamed(const std::string& name) {
  auto id = iana::EncrFromName(name);
  if (!id) throw BadField{fmt::format("unknown encryption transform '{}'", name)};
  return *id;
}

iana::Integ IntegNamed(const std::string& name) {
  auto id = iana::IntegFromName(name);
  if (!id) throw BadField{fmt::format("unknown integrity transform '{}'", name)};
  return *id;
}

namespace {

//= vectors/README.md aead_test_schema_v1
//# Reads a test group of this schema: its fields and their meaning are the
//# ones vectors/README.md gives.
Verdict RunAead(const json& g, const json& t) {
  const iana::Encr id = EncrNamed(Get<std::string>(g, "transform"));
  const crypto::EncrTransform* tr = crypto::FindEncr(id);
  if (tr == nullptr || !tr->aead) throw BadField{"transform is not an AEAD of the registry"};
  const Bytes key = Hex(t, "key"), nonce = Hex(t, "iv"), aad = Hex(t, "aad"), msg = Hex(t, "msg"),
              ct = Hex(t, "ct"), tag = Hex(t, "tag");
  if (nonce.size() != tr->salt_size + tr->iv_size)
    return Reject(fmt::format("{}-byte nonce; ESP uses {}", nonce.size(), tr->salt_size + tr->iv_size));
  if (tag.size() != tr->icv_size)
    return Reject(fmt::format("{}-byte tag; {} has {}", tag.size(), tr->name(), tr->icv_size));
  Bytes keymat = key;
  keymat.insert(keymat.end(), nonce.begin(), nonce.begin() + static_cast<long>(tr->salt_size));
  const ByteSpan iv = ByteSpan(nonce).subspan(tr->salt_size);
  auto sealer = crypto::MakeAead(id, keymat);
  if (!sealer) return Reject(sealer.error().ToString());
  auto opener = crypto::MakeAead(id, keymat);
  if (!opener) return Reject(opener.error().ToString());

  Bytes text = ct;
  if (!(*opener)->Open(iv, aad, text, tag)) return Reject("ICV check failed");
  if (text != msg) return Mismatch("decrypted text", text, msg);
  Bytes sealed = msg, icv(tag.size());
  (*sealer)->Seal(iv, aad, sealed, icv);
  if (sealed != ct) return Mismatch("ciphertext", sealed, ct);
  if (icv != tag) return Mismatch("tag", icv, tag);
  return {true, ""};
}

//= vectors/README.md mac_test_schema_v1
//# Reads a test group of this schema: its fields and their meaning are the
//# ones vectors/README.md gives.
Verdict RunMac(const json& g, const json& t) {
  const iana::Integ id = IntegNamed(Get<std::string>(g, "transform"));
  const crypto::IntegTransform* tr = crypto::FindInteg(id);
  if (tr == nullptr) throw BadField{"integrity transform not in the registry"};
  if (Get<size_t>(g, "tagSize") != tr->icv_size * 8) throw BadField{"tagSize differs from the transform's ICV"};
  const Bytes key = Hex(t, "key"), msg = Hex(t, "msg"), tag = Hex(t, "tag");
  if (tag.size() < tr->icv_size) return Reject("published tag shorter than the ICV");
  // Published keys may have lengths the transform's ESP use does not allow
  // (RFC 2202); the MAC itself is defined for them, so no length check here.
  auto mac = tr->make(*tr, key);
  if (!mac) return Reject(mac.error().ToString());
  const ByteSpan want = ByteSpan(tag).first(tr->icv_size);
  if (!(*mac)->Verify({msg}, want)) {
    Bytes got(tr->icv_size);
    (*mac)->Compute({msg}, got);
    return Mismatch("ICV", got, want);
  }
  return {true, ""};
}

//= vectors/README.md prf_test_schema_v1
//# Reads a test group of this schema: its fields and their meaning are the
//# ones vectors/README.md gives.
Verdict RunPrf(const json& g, const json& t) {
  const std::string name = Get<std::string>(g, "transform");
  const auto id = iana::PrfFromName(name);
  if (!id) throw BadField{fmt::format("unknown PRF '{}'", name)};
  const Bytes key = Hex(t, "key"), msg = Hex(t, "msg"), want = Hex(t, "prf");
  auto prf = crypto::MakePrf(*id, key);
  if (!prf) return Reject(prf.error().ToString());
  if (want.size() != (*prf)->output_size())
    return Reject(fmt::format("{}-byte output published; {} gives {}", want.size(), name, (*prf)->output_size()));
  Bytes got(want.size());
  (*prf)->Compute({msg}, got);
  if (got != want) return Mismatch("PRF output", got, want);
  return {true, ""};
}

//= vectors/README.md cipher_test_schema_v1
//# Reads a test group of this schema: its fields and their meaning are the
//# ones vectors/README.md gives.
Verdict RunCipher(const json& g, const json& t) {
  const iana::Encr id = EncrNamed(Get<std::string>(g, "transform"));
  const Bytes key = Hex(t, "key"), iv = Hex(t, "iv"), msg = Hex(t, "msg"), ct = Hex(t, "ct");
  auto cipher = crypto::MakeCipher(id, key);
  if (!cipher) return Reject(cipher.error().ToString());
  const crypto::EncrTransform* tr = crypto::FindEncr(id);
  if (iv.size() != tr->iv_size) return Reject(fmt::format("{}-byte IV; {} takes {}", iv.size(), tr->name(), tr->iv_size));
  if (msg.size() % tr->block_size != 0) return Reject("message is not a whole number of blocks");
  Bytes text = msg;
  (*cipher)->Encrypt(iv, text);
  if (text != ct) return Mismatch("ciphertext", text, ct);
  (*cipher)->Decrypt(iv, text);
  if (text != msg) return Mismatch("decrypted text", text, msg);
  return {true, ""};
}

//= vectors/README.md esp_packet_test_schema_v1
//# Reads a test group of this schema: its fields and their meaning are the
//# ones vectors/README.md gives.
Verdict RunEspPacket(const json& g, const json& t) {
  esp::SaConfig c;
  const Bytes spi = Hex(t, "spi"), seq = Hex(t, "seq");
  if (spi.size() != 4 || seq.size() != 8) throw BadField{"spi must be 4 bytes and seq 8"};
  c.spi = LoadU32(spi.data());
  const uint64_t sequence = uint64_t{LoadU32(seq.data())} << 32 | LoadU32(seq.data() + 4);
  c.encr = EncrNamed(Get<std::string>(g, "encr"));
  c.integ = IntegNamed(Get<std::string>(g, "integ"));
  c.esn = Get<bool>(g, "esn");
  c.encr_key = ToSecure(Hex(t, "encrKey"));
  c.integ_key = ToSecure(Hex(t, "integKey"));
  c.mode = esp::Mode::kTransport;  // the ESP layer is the same in both modes
  c.allow_no_integrity = true;     // RFC 3602's packets carry no ICV
  c.allow_reserved_spi = true;     // draft-mcgrew-gcm-test-01 case 4 uses SPI 0
  const Bytes payload = Hex(t, "payload"), iv = Hex(t, "iv"), want = Hex(t, "esp");
  const uint8_t next_header = Get<uint8_t>(t, "nextHeader");

  auto receiver = esp::Sa::Create(c);
  if (!receiver) return Reject(receiver.error().ToString());
  if (sequence > 1) (*receiver)->AssumeReceived(sequence - 1);
  Bytes packet = want;
  auto got = (*receiver)->UnprotectInPlace(packet);
  if (!got) return Reject(got.error().ToString());
  if (got->seq != sequence) return Reject(fmt::format("sequence number {} inferred, {} expected", got->seq, sequence));
  if (got->next_header != next_header)
    return Reject(fmt::format("next header {}, expected {}", got->next_header, next_header));
  if (!std::equal(got->payload.begin(), got->payload.end(), payload.begin(), payload.end()))
    return Mismatch("payload", got->payload, payload);

  auto sender = esp::Sa::Create(c);
  if (!sender) return Reject(sender.error().ToString());
  Bytes out;
  esp::ProtectOptions options{iv, sequence, got->pad_length};
  auto status = (*sender)->Protect(payload, next_header, out, options);
  if (!status) return Reject(status.error().ToString());
  if (out != want) return Mismatch("ESP packet", out, want);
  return {true, ""};
}

const std::map<std::string, Handler, std::less<>> kSchemas = {
    {"aead_test_schema_v1", RunAead},
    {"mac_test_schema_v1", RunMac},
    {"cipher_test_schema_v1", RunCipher},
    {"prf_test_schema_v1", RunPrf},
    {"esp_packet_test_schema_v1", RunEspPacket},
    {"signature_test_schema_v1", RunSignature},
    {"ike_keymat_test_schema_v1", RunIkeKeymat},
    {"ke_test_schema_v1", RunKe},
    {"ike_sk_test_schema_v1", RunIkeSk},
};

}  // namespace

Result<FileReport> RunFile(const std::string& path) {
  std::ifstream in(path);
  ENSURE(in.good(), kIoError, kNoOffset, "", fmt::format("cannot open {}", path));
  json doc = json::parse(in, nullptr, false);
  ENSURE(!doc.is_discarded(), kBadFile, kNoOffset, "vectors/README.md", fmt::format("{}: not valid JSON", path));
  FileReport report;
  report.path = path;
  int tc_id = 0;
  try {
    report.schema = Get<std::string>(doc, "schema");
    report.algorithm = Get<std::string>(doc, "algorithm");
    report.source = Get<std::string>(doc, "source");
    auto handler = kSchemas.find(report.schema);
    if (handler == kSchemas.end()) throw BadField{fmt::format("unknown schema '{}'", report.schema)};
    for (const json& group : Get<json>(doc, "testGroups")) {
      for (const json& test : Get<json>(group, "tests")) {
        tc_id = Get<int>(test, "tcId");
        const std::string expected = Get<std::string>(test, "result");
        if (expected != "valid" && expected != "invalid" && expected != "acceptable")
          throw BadField{fmt::format("result '{}'", expected)};
        Verdict v = handler->second(group, test);
        ++report.total;
        const bool ok = expected == "acceptable" || v.accepted == (expected == "valid");
        if (ok) {
          ++report.passed;
        } else {
          report.failures.push_back({tc_id, test.value("comment", ""), expected,
                                     v.accepted ? "accepted" : v.detail});
        }
      }
    }
    ENSURE(report.total == Get<int>(doc, "numberOfTests"), kBadFile, kNoOffset, "vectors/README.md",
           fmt::format("{}: numberOfTests is {}, the file has {}", path, Get<int>(doc, "numberOfTests"),
                       report.total));
  } catch (const BadField& e) {
    return MakeError(Code::kBadFile, kNoOffset, "vectors/README.md",
                     fmt::format("{}: tcId {}: {}", path, tc_id, e.what));
  }
  return report;
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace ipsecref::vectors
