// The IKE part of `ipsecref check`'s report: per IKE SA its peers, packets,
// exchanges and findings; per CHILD SA its SPIs and the ESP/AH SAs they
// link to; as text and as JSON.
#pragma once

#include <nlohmann/json.hpp>

#include "interop/check/capture_check.h"

namespace ipsecref::tool {

// {"ike_messages", "ike_sas", "child_sas", "ike_findings", "ike_errors",
// "ike_warnings"} added to `out`.
void AddIkeJson(const io::CaptureReport& r, nlohmann::json& out);
// out[key] = the first packets (kPacketsKept); when there were more,
// out[key + "_count"] = how many in all.
void AddPacketsJson(nlohmann::json& out, std::string_view key, const io::PacketNumbers& packets);
// Nothing when the capture holds no IKE.
void PrintIkeReport(const io::CaptureReport& r);

}  // namespace ipsecref::tool
