#include "interop/exchange/deviations.h"

#include <fmt/format.h>

#include "interop/deviations/deviations.h"

namespace ipsecref::exchange {

//= ipsecref#choice
//# A deviation without a peer applies to the initiator: the reference then
//# plays the misbehaving initiator in front of the end whose reaction is
//# tested, as a conformance run against another implementation's responder does.
Status ApplyDeviations(testing::Exchange& exchange, const std::vector<std::string>& specs) {
  std::vector<std::string> per_peer[2];
  for (const std::string& spec : specs) {
    std::string_view rest = spec;
    size_t peer = 0;
    if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
      const std::string_view name = rest.substr(0, colon);
      if (name == "responder") {
        peer = 1;
      } else if (name != "initiator") {
        return MakeError(Code::kInvalidArgument, kNoOffset, "",
                         fmt::format("--deviation {}: unknown peer '{}' (initiator or responder)", spec, name));
      }
      rest.remove_prefix(colon + 1);
    }
    auto parsed = deviations::ParseSpec(rest);
    if (!parsed) {
      Error e = std::move(parsed).error();
      e.detail = fmt::format("--deviation {}: {}", spec, e.detail);
      return e;
    }
    per_peer[peer].emplace_back(rest);
  }
  ike::sa::Peer* peers[2] = {&exchange.initiator(), &exchange.responder()};
  for (size_t i = 0; i < 2; ++i)
    if (!per_peer[i].empty()) TRY(deviations::ApplyDeviations(exchange, *peers[i], per_peer[i]));
  return OkStatus();
}

}  // namespace ipsecref::exchange
