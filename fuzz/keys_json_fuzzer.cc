// Fuzz target: keys.json (reference/io/keys_json.h), the project's own key
// file, and the KeyStore that takes what it gives.
//
// Input: the text of a keys.json file.
//
// Checked: whatever ParseKeysJson accepts passes ValidateSaKeys, can be
// added to a KeyStore and found again, and WriteKeysJson writes it; what
// that wrote parses back as the same SAs (ESP, AH and IKE). What it
// accepts holds no string with a NUL character outside comments (one would
// be read as a shorter string). A refusal always names the file.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "fuzz/check.h"
#include "fuzz/same_keys.h"
#include "reference/io/keys.h"
#include "reference/io/keys_json.h"

namespace {

// Whether a string other than a comment's holds a NUL character.
bool HasNul(const nlohmann::json& top) {
  std::vector<const nlohmann::json*> pending{&top};
  while (!pending.empty()) {
    const nlohmann::json* j = pending.back();
    pending.pop_back();
    if (j->is_string() && j->get_ref<const std::string&>().find('\0') != std::string::npos)
      return true;
    if (j->is_object()) {
      for (const auto& [key, value] : j->items())
        if (key != "comment") pending.push_back(&value);
    } else if (j->is_array()) {
      for (const nlohmann::json& value : *j) pending.push_back(&value);
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto keys = io::ParseKeysJson(text, "keys.json");
  if (!keys.ok()) {
    Check(keys.error().ToString().find("keys.json") != std::string::npos);
    return 0;
  }
  Check(keys->ike_origins.size() == keys->ike_sas.size());
  Check(!HasNul(nlohmann::json::parse(text)));
  io::KeyStore store;
  for (const io::SaKeys& k : keys->sas) {
    Check(io::ValidateSaKeys(k).ok());
    if (!store.Add(k).ok()) continue;  // the same SA twice, differently
    Check(store.Find(k.protocol, k.spi, k.dst) != nullptr);
  }
  for (const io::Ikev2Keys& k : keys->ike_sas) {
    if (!store.AddIke(k).ok()) continue;
    Check(store.FindIke(k.spi_i, k.spi_r) != nullptr);
  }

  auto written = io::WriteKeysJson(keys->sas, keys->ike_sas);
  Check(written.ok());
  auto again = io::ParseKeysJson(*written, "written");
  Check(again.ok() && again->sas.size() == keys->sas.size() &&
        again->ike_sas.size() == keys->ike_sas.size());
  // The writer puts ESP entries before AH ones, as the parser reads them.
  for (size_t i = 0; i < keys->sas.size(); ++i) Check(SameSa(again->sas[i], keys->sas[i]));
  for (size_t i = 0; i < keys->ike_sas.size(); ++i)
    Check(SameIke(again->ike_sas[i], keys->ike_sas[i]));
  return 0;
}
