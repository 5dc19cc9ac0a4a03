// RapidCheck generators for the IKEv2 codec (reference/ike/wire/).
//
// Two families:
//  - rc::Arbitrary<T> for every payload body, Payload, Header and Message:
//    syntactically valid structures, i.e. each body survives its own parser
//    and a message survives Decode(Encode(m)). Field values are otherwise
//    arbitrary (unknown group numbers, 3-byte nonces, proposals without
//    mandatory transforms), which is what the codec's round trip must carry.
//  - GenValid*: structures that also meet each payload's Verify rules (nonce
//    16..256 octets, proposals numbered from 1 with the transforms their
//    protocol needs, Key Length on variable-length ciphers, address sizes,
//    ...), for tests of the rule tables that sit on top of the codec.
//
// Sizes are kept small so that a whole message stays far below the 65535
// octets a Payload Length can state.
//
// This header gathers them all; the parts:
//   ike_gen_base.h           building blocks (bytes, enum values)
//   ike_gen_bodies.h         rc::Arbitrary for every payload body
//   ike_gen_message.h        any payload, Header and Message (syntax only)
//   ike_gen_valid_sa.h       Verify-valid transforms, proposals, SA and KE
//   ike_gen_valid_bodies.h   Verify-valid ID .. EAP bodies
//   ike_gen_valid_message.h  Verify-valid payloads, headers and messages
#pragma once

#include "reference/testing/ike_gen_base.h"
#include "reference/testing/ike_gen_bodies.h"
#include "reference/testing/ike_gen_message.h"
#include "reference/testing/ike_gen_valid_bodies.h"
#include "reference/testing/ike_gen_valid_message.h"
#include "reference/testing/ike_gen_valid_sa.h"
