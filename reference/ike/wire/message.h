// An IKEv2 message as typed data (RFC 7296 §3): the header and its payload
// chain, decoded strictly and encoded byte-exactly. Knows nothing of SAs.
#pragma once

#include <vector>

#include "reference/ike/wire/header.h"
#include "reference/ike/wire/payload.h"

namespace ipsecref::ike {

struct Message {
  Header header;
  // As on the wire; an SK or SKF payload stays opaque and is last.
  std::vector<Payload> payloads;
  // The payloads inside SK (or the reassembled SKF), once decrypted.
  std::vector<Payload> inner;
  bool decrypted = false;
  // What the RFC says to ignore but was there (non-zero RESERVED fields,
  // unknown non-critical payloads); never part of equality.
  Notes notes;

  bool operator==(const Message& o) const {
    return header == o.header && payloads == o.payloads && inner == o.inner && decrypted == o.decrypted;
  }
  // The payloads a reader sees: the outer ones, with those of SK in its place.
  std::vector<const Payload*> Visible() const;
  // The encrypted payload, if there is one.
  const Payload* Encrypted() const;
};

// Decodes one IKEv2 message that fills `datagram` exactly (after any
// non-ESP marker has been removed).
Result<Message> Decode(ByteSpan datagram);

// Decodes decrypted SK contents into m.inner.
Status DecodeInner(Message& m, iana::PayloadType first, ByteSpan plaintext, size_t base_offset);

// Sets header.next_payload and header.length from the payloads. Returns
// kLengthOverflow when a payload does not fit its length fields (see
// EncodePayloads); the header is then left as it was.
[[nodiscard]] Status Finalize(Message& m);
// Writes the message as it stands (call Finalize first for a consistent
// header). Returns kLengthOverflow as EncodePayloads does, never a wrapped length.
Result<Bytes> Encode(const Message& m);

}  // namespace ipsecref::ike
