// An IKEv1 (ISAKMP) message as typed data: the header (RFC 2408 §3.1) and
// its payload chain, decoded strictly and encoded byte-exactly. With the E
// flag set (§3.1), everything after the header is ciphertext and stays
// opaque: the header's Next Payload names the first payload inside it.
#pragma once

#include <vector>

#include "reference/ikev1/header.h"
#include "reference/ikev1/payload.h"

namespace ipsecref::ikev1 {

struct Message {
  Header header;
  std::vector<Payload> payloads;  // empty when encrypted, until decrypted
  Bytes encrypted;                // the body after the header, when the E flag is set
  bool decrypted = false;         // payloads holds what `encrypted` carried (decrypt.h)
  // What a receiver ignores but was there; never part of equality.
  Notes notes;

  bool operator==(const Message& o) const {
    return header == o.header && payloads == o.payloads && encrypted == o.encrypted && decrypted == o.decrypted;
  }
};

// Decodes one ISAKMP message that fills `datagram` exactly (after any
// non-ESP marker has been removed). Errors: those of ParseHeader and
// DecodePayloads, with the offset in the datagram.
Result<Message> Decode(ByteSpan datagram);

// What the message breaks beyond syntax: each payload's own rules and the
// order IKE asks of Phase 1 messages (RFC 2409 §5). Empty when none.
std::vector<Error> Validate(const Message& m);

// Sets header.next_payload (unless encrypted) and header.length. Returns
// kLengthOverflow when the message or a payload outgrows its length field.
[[nodiscard]] Status Finalize(Message& m);
// Writes the message as it stands. Returns kLengthOverflow as
// EncodePayloads does.
Result<Bytes> Encode(const Message& m);

}  // namespace ipsecref::ikev1
