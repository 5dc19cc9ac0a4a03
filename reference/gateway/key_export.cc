#include "reference/gateway/key_export.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "reference/crypto/transforms.h"
#include "reference/io/esp_sa_file.h"
#include "reference/io/ikev2_table.h"
#include "reference/io/keys_json.h"

namespace ipsecref::gateway {

io::Ikev2Keys IkeKeysOf(const ike::sa::IkeSa& sa) {
  io::Ikev2Keys k;
  k.spi_i = sa.spi_i;
  k.spi_r = sa.spi_r;
  k.encr = sa.suite.encr;
  const crypto::EncrTransform* t = crypto::FindEncr(sa.suite.encr);
  // A cipher of one fixed key length (3DES) has no Key Length: the key
  // files state 0 for it.
  k.encr_key_bits = t != nullptr && t->fixed_key_bits() != 0 ? 0 : sa.suite.encr_key_bits;
  k.integ = sa.suite.integ;
  k.sk_ei = sa.keys.sk_ei;
  k.sk_er = sa.keys.sk_er;
  k.sk_ai = sa.keys.sk_ai;
  k.sk_ar = sa.keys.sk_ar;
  return k;
}

namespace {
// The SA of `child` that `sa`'s end receives on (inbound) or sends on.
io::SaKeys KeysOf(const ike::sa::IkeSa& sa, const ike::sa::ChildSa& c, bool udp, bool inbound) {
  io::SaKeys k;
  k.protocol = c.protocol == iana::SecurityProtocol::kAh ? io::SaProtocol::kAh : io::SaProtocol::kEsp;
  k.encr = c.suite.encr;
  k.integ = c.suite.integ;
  k.esn = c.suite.esn == iana::EsnType::kEsn;
  k.mode = c.transport_mode ? esp::Mode::kTransport : esp::Mode::kTunnel;
  k.udp_encapsulation = udp;
  k.src = inbound ? sa.remote.address : sa.local.address;
  k.dst = inbound ? sa.local.address : sa.remote.address;
  k.spi = inbound ? c.spi_in : c.spi_out;
  k.encr_key = inbound ? c.encr_in() : c.encr_out();
  k.integ_key = inbound ? c.integ_in() : c.integ_out();
  return k;
}
}  // namespace

io::SaKeys InboundKeysOf(const ike::sa::IkeSa& sa, const ike::sa::ChildSa& child, bool udp) {
  return KeysOf(sa, child, udp, true);
}

io::SaKeys OutboundKeysOf(const ike::sa::IkeSa& sa, const ike::sa::ChildSa& child, bool udp) {
  return KeysOf(sa, child, udp, false);
}

Result<std::optional<std::string>> KeyExport::Add(const io::Ikev2Keys& ike) {
  std::lock_guard lock(mu_);
  if (!ike_.try_emplace({ike.spi_i, ike.spi_r}, ike).second) return std::optional<std::string>();
  std::optional<std::string> note;
  if (auto row = io::WriteIkev2Table({ike}); row)
    wireshark_ike_.push_back(ike);
  else
    note = fmt::format("IKE SA {:016x}_i {:016x}_r: in keys.json only: {}", ike.spi_i, ike.spi_r, row.error().detail);
  TRY(WriteLocked());
  return note;
}

Result<std::optional<std::string>> KeyExport::Add(const io::SaKeys& sa) {
  std::lock_guard lock(mu_);
  if (!sas_.try_emplace({sa.spi, sa.dst}, sa).second) return std::optional<std::string>();
  std::optional<std::string> note;
  if (auto row = io::WriteEspSaFile(std::span<const io::SaKeys>(&sa, 1)); row)
    wireshark_sas_.push_back(sa);
  else
    note = fmt::format("{}: in keys.json only: {}", sa.Describe(), row.error().detail);
  TRY(WriteLocked());
  return note;
}

namespace {
Status WriteWhole(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    ENSURE(out.good(), kIoError, kNoOffset, "", fmt::format("cannot write {}: {}", temporary, std::strerror(errno)));
  }
  ENSURE(std::rename(temporary.c_str(), path.c_str()) == 0, kIoError, kNoOffset, "",
         fmt::format("cannot rename {} to {}: {}", temporary, path, std::strerror(errno)));
  return OkStatus();
}
}  // namespace

Status KeyExport::WriteLocked() {
  std::vector<io::Ikev2Keys> ike;
  for (const auto& [id, k] : ike_) ike.push_back(k);
  std::vector<io::SaKeys> sas;
  for (const auto& [id, k] : sas_) sas.push_back(k);
  TRY_ASSIGN(std::string table, io::WriteIkev2Table(wireshark_ike_));
  TRY_ASSIGN(std::string esp_sa, io::WriteEspSaFile(wireshark_sas_));
  TRY_ASSIGN(std::string json, io::WriteKeysJson(sas, ike));
  TRY(WriteWhole(dir_ + "/ikev2_decryption_table", table));
  TRY(WriteWhole(dir_ + "/esp_sa", esp_sa));
  TRY(WriteWhole(dir_ + "/keys.json", json));
  return OkStatus();
}

}  // namespace ipsecref::gateway
