// Named deviations for `ipsecref exchange --deviation NAME[=ARG]`: the one
// place the exchange command hands them to. The table of deviations lives
// in interop/deviations/ (to come); until it does, every name is refused.
#pragma once

#include <string>
#include <vector>

#include "reference/base/result.h"
#include "reference/testing/exchange.h"

namespace ipsecref::exchange {

// Installs the deviations `specs` ("NAME" or "NAME=ARG") on the exchange's
// peers and network. Errors: kInvalidArgument naming the first deviation
// that is unknown or whose argument is wrong.
Status ApplyDeviations(testing::Exchange& exchange, const std::vector<std::string>& specs);

}  // namespace ipsecref::exchange
