// Fuzz target: the key-file parsers, Wireshark's esp_sa and keys.csv, and
// the KeyStore that merges what they give.
//
// Input: the text of a key file; both parsers read it.
//
// Checked: whatever ParseEspSaFile accepts, WriteEspSaFile writes (every
// name it maps has a Wireshark name) and ParseEspSaFile reads back as the
// same SAs; every SA either parser accepts passes ValidateSaKeys and has an
// SPI other than 0 (RFC 4303 §2.1), every IKE SA of keys.csv an initiator
// SPI other than 0 (RFC 7296 §3.1); adding them to a KeyStore never loses
// one (each can be found again).
#include <cstdint>
#include <string_view>

#include "fuzz/check.h"
#include "fuzz/same_keys.h"
#include "reference/io/esp_sa_file.h"
#include "reference/io/keys.h"
#include "reference/io/keys_csv.h"

namespace ipsecref::fuzz {
namespace {

void Store(const std::vector<io::SaKeys>& sas) {
  io::KeyStore store;
  for (const io::SaKeys& k : sas) {
    Check(io::ValidateSaKeys(k).ok());
    Check(k.spi != 0);
    if (!store.Add(k).ok()) continue;  // a conflict with an earlier line
    Check(store.Find(k.protocol, k.spi, k.dst) != nullptr);
  }
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto esp_sa = io::ParseEspSaFile(text, "esp_sa");
  if (esp_sa.ok()) {
    Store(*esp_sa);
    auto written = io::WriteEspSaFile(*esp_sa);
    Check(written.ok());
    auto again = io::ParseEspSaFile(*written, "esp_sa (written)");
    Check(again.ok() && again->size() == esp_sa->size());
    for (size_t i = 0; i < esp_sa->size(); ++i) Check(SameSa((*again)[i], (*esp_sa)[i]));
  }

  auto csv = io::ParseKeysCsv(text, "keys.csv");
  if (csv.ok()) Store(*csv);
  auto ike = io::ParseIkeKeysCsv(text, "keys.csv");
  if (ike.ok())
    for (const io::Ikev2Keys& k : *ike) Check(k.spi_i != 0);
  return 0;
}
