// The ipsecref side of the Scapy cross-check (crosscheck.py writes the cases):
//
//   scapy_crosscheck decap IN.json          ipsecref unprotects what Scapy protected
//                                           and must hand up each case's "expected"
//   scapy_crosscheck encap IN.json OUT.json ipsecref protects each case's plaintext
//                                           under the same SA; OUT.json is IN.json
//                                           with "protected" replaced, for Scapy
//
// One line per failing case, then "scapy-crosscheck: N passed, M failed".
// Exit status: 0 all passed, 1 a case failed, 2 usage or unreadable input.
#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reference/ah/ah_sa.h"
#include "reference/bytes/bytes.h"
#include "reference/crypto/primitives.h"
#include "reference/esp/esp_packet.h"
#include "reference/esp/esp_sa.h"
#include "reference/iana/iana.h"

namespace ipsecref::interop {
namespace {

using nlohmann::json;

// A case file field that is missing or malformed: thrown while a case is
// read, reported as that case's failure.
struct BadCase {
  std::string what;
};

Bytes Hex(const json& c, const char* field) {
  if (!c.contains(field) || !c[field].is_string()) throw BadCase{fmt::format("no hex field '{}'", field)};
  auto b = FromHex(c[field].get<std::string>());
  if (!b) throw BadCase{fmt::format("field '{}': {}", field, b.error().ToString())};
  return std::move(b).value();
}

std::string Text(const json& c, const char* field) {
  if (!c.contains(field) || !c[field].is_string()) throw BadCase{fmt::format("no text field '{}'", field)};
  return c[field].get<std::string>();
}

uint64_t Number(const json& c, const char* field) {
  if (!c.contains(field) || !c[field].is_number_unsigned())
    throw BadCase{fmt::format("no unsigned field '{}'", field)};
  return c[field].get<uint64_t>();
}

bool Flag(const json& c, const char* field) {
  if (!c.contains(field) || !c[field].is_boolean()) throw BadCase{fmt::format("no boolean field '{}'", field)};
  return c[field].get<bool>();
}

uint32_t Spi(const json& c) {
  const uint64_t spi = Number(c, "spi");
  if (spi > 0xffffffffu) throw BadCase{"SPI beyond 32 bits"};
  return static_cast<uint32_t>(spi);
}

iana::Integ IntegOf(const json& c) {
  const std::string name = Text(c, "integ");
  auto id = iana::IntegFromName(name);
  if (!id) throw BadCase{fmt::format("unknown integrity transform '{}'", name)};
  return *id;
}

bool Tunnel(const json& c) {
  const std::string mode = Text(c, "mode");
  if (mode != "tunnel" && mode != "transport") throw BadCase{fmt::format("mode '{}'", mode)};
  return mode == "tunnel";
}

std::string Describe(const json& c) {
  const std::string id = c.contains("id") ? c["id"].dump() : "?";
  const std::string what = c.contains("describe") && c["describe"].is_string()
                               ? c["describe"].get<std::string>()
                               : std::string("no description");
  return fmt::format("case {} ({})", id, what);
}

// The receiver's view of where the sender is: both ends of a long-lived SA
// have seen every packet before this one, which matters for ESN inference
// (RFC 4303 Appendix A2.1) and for numbers near 2^32.
uint64_t PreviousSeq(const json& c) { return Number(c, "seq") - 1; }

// ---------------------------------------------------------------- ESP

esp::SaConfig EspConfig(const json& c, crypto::Rng* rng) {
  esp::SaConfig config;
  config.spi = Spi(c);
  config.mode = Tunnel(c) ? esp::Mode::kTunnel : esp::Mode::kTransport;
  const std::string encr = Text(c, "encr");
  auto id = iana::EncrFromName(encr);
  if (!id) throw BadCase{fmt::format("unknown encryption transform '{}'", encr)};
  config.encr = *id;
  config.encr_key = ToSecure(Hex(c, "encr_key"));
  config.integ = IntegOf(c);
  config.integ_key = ToSecure(Hex(c, "integ_key"));
  config.esn = Flag(c, "esn");
  //= rfc4303#section-3.2
  //# Confidentiality without integrity is a combination the cases draw on
  //# purpose (Scapy offers it too), so the SA states it explicitly.
  config.allow_no_integrity = config.integ == iana::Integ::kNone;
  if (c.contains("udp") && !c["udp"].is_null()) {
    const uint64_t src = Number(c["udp"], "src_port"), dst = Number(c["udp"], "dst_port");
    if (src > 0xffff || dst > 0xffff) throw BadCase{"UDP port beyond 16 bits"};
    config.udp = esp::UdpEncapsulation{static_cast<uint16_t>(src), static_cast<uint16_t>(dst)};
  }
  config.tunnel_src = Hex(c, "tunnel_src");
  config.tunnel_dst = Hex(c, "tunnel_dst");
  config.rng = rng;
  return config;
}

// Empty on success, otherwise what went wrong.
std::string EspDecap(const json& c) {
  auto sa = esp::Sa::Create(EspConfig(c, nullptr));
  if (!sa) return "SA not created: " + sa.error().ToString();
  const uint64_t previous = PreviousSeq(c);
  if (previous > 0) (*sa)->AssumeReceived(previous);
  esp::Sa* receiver = sa->get();
  const esp::SaLookup lookup = [receiver](uint32_t spi) {
    return spi == receiver->spi() ? receiver : nullptr;
  };
  auto got = esp::Decapsulate(lookup, Hex(c, "protected"));
  if (!got) return "rejected: " + got.error().ToString();
  const Bytes want = Hex(c, "expected");
  if (got->packet != want)
    return fmt::format("handed up {}, expected {}", ToHex(got->packet), ToHex(want));
  if (got->sequence_number != Number(c, "seq"))
    return fmt::format("sequence number {:#x} inferred, {:#x} sent", got->sequence_number, Number(c, "seq"));
  // Scapy pads 1, 2, 3, ... as RFC 4303 §2.4 says; anything ipsecref notes
  // about a Scapy packet is a disagreement to look at.
  if (!got->findings.empty()) {
    const esp::Finding& f = got->findings.front();
    return fmt::format("finding at offset {} ({}): {}", f.offset, f.requirement, f.detail);
  }
  return {};
}

Result<Bytes> EspEncap(const json& c) {
  // IVs from a generator seeded by the case, so that a seed reproduces the bytes.
  auto rng = crypto::MakeDeterministicRng(Number(c, "id") + 1);
  TRY_ASSIGN(std::unique_ptr<esp::Sa> sa, esp::Sa::Create(EspConfig(c, rng.get())));
  esp::ProtectOptions options;
  options.sequence_number = Number(c, "seq");
  Bytes out;
  TRY(esp::Encapsulate(*sa, Hex(c, "plaintext"), out, options));
  return out;
}

// ---------------------------------------------------------------- AH

ah::SaConfig AhConfig(const json& c) {
  ah::SaConfig config;
  config.spi = Spi(c);
  config.mode = Tunnel(c) ? ah::SaConfig::kTunnel : ah::SaConfig::kTransport;
  config.integ = IntegOf(c);
  config.integ_key = ToSecure(Hex(c, "integ_key"));
  config.esn = Flag(c, "esn");
  config.tunnel_src = Hex(c, "tunnel_src");
  config.tunnel_dst = Hex(c, "tunnel_dst");
  return config;
}

std::string AhDecap(const json& c) {
  const ah::SaConfig config = AhConfig(c);
  auto sa = ah::Sa::Create(config);
  if (!sa) return "SA not created: " + sa.error().ToString();
  if (Number(c, "seq") > 1) (*sa)->AssumeReceived(Number(c, "seq") - 1);
  auto got = (*sa)->Verify(Hex(c, "protected"));
  if (!got) return "rejected: " + got.error().ToString();
  const Bytes want = Hex(c, "expected");
  if (got->packet != want)
    return fmt::format("handed up {}, expected {}", ToHex(got->packet), ToHex(want));
  if (got->sequence_number != Number(c, "seq"))
    return fmt::format("sequence number {:#x} inferred, {:#x} sent", got->sequence_number,
                       Number(c, "seq"));
  return {};
}

Result<Bytes> AhEncap(const json& c) {
  TRY_ASSIGN(std::unique_ptr<ah::Sa> sa, ah::Sa::Create(AhConfig(c)));
  ah::ProtectOptions options;
  options.sequence_number = Number(c, "seq");
  return sa->Protect(Hex(c, "plaintext"), options);
}

// ---------------------------------------------------------------- driver

bool IsEsp(const json& c) {
  const std::string protocol = Text(c, "protocol");
  if (protocol != "ESP" && protocol != "AH") throw BadCase{fmt::format("protocol '{}'", protocol)};
  return protocol == "ESP";
}

struct Tally {
  int passed = 0;
  int failed = 0;
  // Counts one case; an empty `failure` is a pass.
  void Record(const std::string& failure, std::string_view direction, const json& c) {
    if (failure.empty()) {
      ++passed;
    } else {
      ++failed;
      fmt::print("FAIL {} {}: {}\n", direction, Describe(c), failure);
    }
  }
  int Finish() const {
    fmt::print("scapy-crosscheck: {} passed, {} failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
  }
};

Result<json> ReadCases(const char* path) {
  std::ifstream in(path);
  ENSURE(in.good(), kIoError, kNoOffset, "", fmt::format("cannot open {}", path));
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  ENSURE(!doc.is_discarded() && doc.contains("cases") && doc["cases"].is_array(), kBadFile, kNoOffset,
         "", fmt::format("{} is not a case file (JSON with a 'cases' array)", path));
  return doc;
}

int Decap(const char* path) {
  auto doc = ReadCases(path);
  if (!doc) {
    fmt::print(stderr, "scapy_crosscheck: {}\n", doc.error().ToString());
    return 2;
  }
  Tally tally;
  for (const json& c : (*doc)["cases"]) {
    std::string failure;
    try {
      failure = IsEsp(c) ? EspDecap(c) : AhDecap(c);
    } catch (const BadCase& e) {
      failure = "malformed case: " + e.what;
    }
    tally.Record(failure, "scapy->ipsecref", c);
  }
  return tally.Finish();
}

int Encap(const char* in_path, const char* out_path) {
  auto doc = ReadCases(in_path);
  if (!doc) {
    fmt::print(stderr, "scapy_crosscheck: {}\n", doc.error().ToString());
    return 2;
  }
  Tally tally;
  json out_cases = json::array();
  for (const json& c : (*doc)["cases"]) {
    std::string failure;
    try {
      // Cases Scapy cannot take back (a known Scapy bug) are marked so.
      if (!Flag(c, "reverse")) continue;
      auto packet = IsEsp(c) ? EspEncap(c) : AhEncap(c);
      if (packet) {
        json protected_case = c;
        protected_case["protected"] = ToHex(*packet);
        protected_case["protected_by"] = "ipsecref";
        out_cases.push_back(std::move(protected_case));
      } else {
        failure = "not protected: " + packet.error().ToString();
      }
    } catch (const BadCase& e) {
      failure = "malformed case: " + e.what;
    }
    tally.Record(failure, "ipsecref-protect", c);
  }
  std::ofstream out(out_path);
  out << json{{"tool", "ipsecref"}, {"cases", std::move(out_cases)}}.dump(1) << "\n";
  if (!out.good()) {
    fmt::print(stderr, "scapy_crosscheck: cannot write {}\n", out_path);
    return 2;
  }
  return tally.Finish();
}

}  // namespace
}  // namespace ipsecref::interop

int main(int argc, char** argv) {
  using namespace ipsecref::interop;
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "decap" && argc == 3) return Decap(argv[2]);
  if (command == "encap" && argc == 4) return Encap(argv[2], argv[3]);
  fmt::print(stderr,
             "usage: scapy_crosscheck decap CASES.json\n"
             "       scapy_crosscheck encap CASES.json OUT.json\n");
  return 2;
}
