// Fuzz target: Wireshark's ikev2_decryption_table reader and writer.
//
// Input: the text of a table file.
//
// Checked: whatever ParseIkev2Table accepts, WriteIkev2Table writes (every
// name the reader maps has a Wireshark name, every key has its size), the
// written text reads back as the same IKE SAs and is a fixed point (writing
// what was read from it gives it again), Find finds an SA with each row's
// SPIs, and no row has an initiator SPI of 0 (RFC 7296 §3.1).
#include <cstdint>
#include <string_view>

#include "fuzz/check.h"
#include "fuzz/same_keys.h"
#include "reference/io/ikev2_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto rows = io::ParseIkev2Table(text, "ikev2_decryption_table");
  if (!rows.ok()) return 0;
  for (const io::Ikev2Keys& k : *rows) {
    Check(k.spi_i != 0);
    const io::Ikev2Keys* found = io::Find(*rows, k.spi_i, k.spi_r);
    Check(found != nullptr && found->spi_i == k.spi_i && found->spi_r == k.spi_r);
  }
  auto written = io::WriteIkev2Table(*rows);
  Check(written.ok());
  auto again = io::ParseIkev2Table(*written, "ikev2_decryption_table (written)");
  Check(again.ok() && again->size() == rows->size());
  for (size_t i = 0; i < rows->size(); ++i) Check(SameIke((*again)[i], (*rows)[i]));
  auto rewritten = io::WriteIkev2Table(*again);
  Check(rewritten.ok() && *rewritten == *written);
  return 0;
}
