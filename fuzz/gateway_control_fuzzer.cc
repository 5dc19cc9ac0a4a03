// Fuzz target: the gateway's control protocol (reference/gateway/control.h)
// on arbitrary request lines.
//
// Input: one request line (without its newline), as a client of the
// control socket sends it.
//
// The fake clock advances a second per input and the SPUs' timers run, so
// IKE SAs that "initiate" started (to a peer that never answers) are given
// up after their half-open timeout instead of piling up.
//
// Checked (a violation traps): every request gets an answer that is a JSON
// object with a boolean "ok"; a refusal has a non-empty "error" string; an
// answer is never longer than a bound that the gateway's state, not the
// request, sets (a request cannot make the gateway echo it whole).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "fuzz/check.h"
#include "fuzz/gateway_fixture.h"
#include "reference/gateway/control.h"

namespace ipsecref::fuzz {
namespace {

void Run(std::string_view request) {
  FuzzGateway& f = TheGateway();
  const std::string answer = gateway::HandleControl(*f.gateway, request);
  const nlohmann::json parsed = nlohmann::json::parse(answer, nullptr, false);
  Check(!parsed.is_discarded() && parsed.is_object());
  auto ok = parsed.find("ok");
  Check(ok != parsed.end() && ok->is_boolean());
  if (!ok->get<bool>()) {
    auto error = parsed.find("error");
    Check(error != parsed.end() && error->is_string() && !error->get<std::string>().empty());
  }
  Check(answer.size() <= 64 * 1024 + 4096);
  f.clock.now += 1000;
  f.gateway->Tick();
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipsecref::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
