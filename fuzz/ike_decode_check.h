// The ike_decode targets' body: the IKEv2 message codec (RFC 7296 §3),
// reference/ike/wire/. Shared by ike_decode_fuzzer.cc (libFuzzer's byte
// mutation) and ike_decode_structured_fuzzer.cc (interop/mutate's
// structure-aware mutation), so that both fuzz the same checks.
//
// Input: one IKE message as it follows the UDP header on port 500 (on port
// 4500, after the four-octet non-ESP marker).
//
// Checked:
//  - Decode either succeeds or returns an error whose offset lies within the
//    input (at most its size: "missing here") and that cites a requirement;
//  - a chain holds at most kMaxPayloadsPerChain payloads;
//  - what Decode accepts, Encode writes and Decode reads back as the same
//    message (header, payload types, critical bits, bodies);
//  - VerifyPayload runs on every payload (its verdict is not checked: it
//    applies semantic rules that valid syntax need not meet), and its errors
//    point into the input too;
//  - canonical input comes back byte for byte: when Finalize leaves the
//    header as it was read and Decode noted nothing (no RESERVED bit set, no
//    unknown payload skipped), Encode gives the input;
//  - the body of an SK payload, taken as if it were the decrypted contents,
//    goes through DecodeInner (the inner chain, where SK and SKF are
//    refused); what it accepts shows in Visible() in place of SK and is
//    written back by EncodePayloads, byte for byte if nothing was noted;
//  - the labels and descriptions (PayloadLabel, Describe, DescribeId,
//    DescribeTs, DescribeEap) accept whatever decoded.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fuzz/check.h"
#include "reference/ike/wire/message.h"

namespace ipsecref::fuzz {

inline int IkeDecodeOneInput(const uint8_t* data, size_t size) {
  const ByteSpan input(data, size);
  auto decoded = ike::Decode(input);
  if (!decoded) {
    const Error& e = decoded.error();
    Check(e.offset <= size);
    Check(!e.requirement.empty());
    return 0;
  }
  const ike::Message& m = *decoded;
  Check(m.header.major_version == 2);
  Check(m.header.length == size);
  Check(m.payloads.size() <= ike::kMaxPayloadsPerChain);
  for (const Error& note : m.notes) Check(note.offset < size);

  auto encoded_or = ike::Encode(m);
  Check(encoded_or.ok());  // what was decoded fits its length fields
  const Bytes& encoded = *encoded_or;
  Check(encoded.size() == size);
  auto again = ike::Decode(encoded);
  Check(again.ok());
  Check(*again == m);

  for (const ike::Payload& p : m.payloads) {
    Check(p.offset + ike::kGenericPayloadHeaderSize <= size);
    const Status s = ike::VerifyPayload(p);
    if (!s.ok()) Check(s.error().offset <= size && !s.error().requirement.empty());
  }

  ike::Message finalized = m;
  Check(ike::Finalize(finalized).ok());
  if (finalized.header == m.header && m.notes.empty()) Check(encoded == Bytes(input.begin(), input.end()));

  (void)ike::Describe(m.header);
  for (const ike::Payload& p : m.payloads) {
    (void)ike::PayloadLabel(p);
    if (const auto* id = p.as<ike::IdPayload>()) (void)ike::DescribeId(*id);
    if (const auto* eap = p.as<ike::EapPayload>()) (void)ike::DescribeEap(*eap);
    if (const auto* ts = p.as<ike::TsPayload>())
      for (const ike::TrafficSelector& t : ts->traffic_selectors) (void)ike::DescribeTs(t);
  }

  // The SK payload is last when there is one.
  const ike::Payload* encrypted = m.Encrypted();
  Check(encrypted == nullptr || encrypted == &m.payloads.back());
  const auto* sk = encrypted != nullptr ? encrypted->as<ike::SkPayload>() : nullptr;
  if (sk == nullptr) return 0;
  ike::Message inner = m;
  const size_t notes_before = inner.notes.size();
  const size_t body_at = encrypted->offset + ike::kGenericPayloadHeaderSize;
  const Status s = ike::DecodeInner(inner, sk->first_inner, sk->encrypted, body_at);
  if (!s.ok()) {
    Check(s.error().offset <= size && !s.error().requirement.empty());
    return 0;
  }
  Check(inner.decrypted);
  const auto visible = inner.Visible();
  Check(visible.size() == m.payloads.size() - 1 + inner.inner.size());
  for (const ike::Payload& p : inner.inner) {
    Check(p.type != iana::PayloadType::kSk && p.type != iana::PayloadType::kSkf);
    Check(p.offset >= body_at && p.offset < size);
    (void)ike::VerifyPayload(p);
  }
  ByteWriter out;
  Check(ike::EncodePayloads(inner.inner, out).ok());
  if (inner.notes.size() == notes_before) Check(out.bytes() == sk->encrypted);
  return 0;
}

}  // namespace ipsecref::fuzz
