// The client side of the gateway's control socket (reference/gateway/
// control.h): one request, one answer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "reference/base/result.h"

namespace ipsecref::tool {

// Sends `request` to the gateway listening on the unix socket `path` and
// returns its answer. Errors: kIoError naming the socket (cannot connect:
// is `ipsecref gateway --control PATH` running?), a gateway that closed or
// did not answer within `timeout_ms`, an answer that is not JSON.
Result<nlohmann::json> AskGateway(const std::string& path, const nlohmann::json& request, int timeout_ms = 60'000);

}  // namespace ipsecref::tool
