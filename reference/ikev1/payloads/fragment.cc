#include "reference/ikev1/payloads/fragment.h"

#include <fmt/format.h>

namespace ipsecref::ikev1 {

Result<FragmentPayload> ParseFragment(ByteReader& body, Notes&) {
  FragmentPayload p;
  const size_t at = body.offset();
  //= ipsecref#choice
  //# The fragment payload (no RFC) is read as Cisco and strongSwan send it:
  //# Fragment ID (2 octets), Fragment Number, Flags, then data.
  ENSURE(body.ReadU16(p.fragment_id) && body.ReadU8(p.fragment_number) && body.ReadU8(p.flags), kPayloadMalformed,
         at, "ipsecref#choice",
         fmt::format("FRAG needs Fragment ID, Number and Flags (4 bytes), has {}", body.remaining()));
  p.data = ReadRest(body);
  return p;
}

Status Write(const FragmentPayload& p, ByteWriter& out) {
  out.U16(p.fragment_id).U8(p.fragment_number).U8(p.flags).Append(p.data);
  return OkStatus();
}

}  // namespace ipsecref::ikev1
