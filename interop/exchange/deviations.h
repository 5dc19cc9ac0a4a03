// Named deviations for `ipsecref exchange --deviation [PEER:]NAME[=ARG]`:
// the one place the exchange scenarios hand them to the table of
// interop/deviations/. PEER is `initiator` (the default) or `responder`.
#pragma once

#include <string>
#include <vector>

#include "reference/base/result.h"
#include "reference/testing/exchange.h"

namespace ipsecref::exchange {

// Installs the deviations `specs` ("NAME", "NAME=ARG", "responder:NAME=ARG")
// on the exchange's peers, in the order given for each peer. Every spec is
// checked before anything is installed. Errors: kInvalidArgument naming the
// spec whose peer, name or argument is wrong (interop/deviations/ names the
// known deviations).
Status ApplyDeviations(testing::Exchange& exchange, const std::vector<std::string>& specs);

}  // namespace ipsecref::exchange
