#include "interop/exchange/deviations.h"

#include <fmt/format.h>

namespace ipsecref::exchange {

Status ApplyDeviations(testing::Exchange& /*exchange*/, const std::vector<std::string>& specs) {
  for (const std::string& spec : specs) {
    const std::string name = spec.substr(0, spec.find('='));
    return MakeError(Code::kInvalidArgument, kNoOffset, "",
                     fmt::format("--deviation {}: unknown deviation \"{}\" (no deviations are defined yet)", spec,
                                 name));
  }
  return OkStatus();
}

}  // namespace ipsecref::exchange
