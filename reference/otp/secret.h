// OTP secrets as users write them: base32 (RFC 4648 §6, what authenticator
// apps show and take), hex, and the otpauth:// key URI that authenticator
// apps read from QR codes. Every parser refuses with kInvalidArgument, the
// offset in the text where the problem is, and what it is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/otp/otp.h"

namespace ipsecref::otp {

//= rfc4648#section-6
//# Base 32: each character carries 5 bits (alphabet A-Z then 2-7); 5 octets
//# make 8 characters; a shorter last group is padded with '=' to 8.
// Upper case, with padding.
std::string Base32Encode(ByteSpan data);

// Decodes base32 as authenticator apps and their users write it:
//  - letters of either case;
//  - '=' padding optional, but when present only at the end and exactly
//    as much as completes the last group of 8;
//  - spaces (U+0020) anywhere are ignored (see the choice in secret.cc).
// Refused (kInvalidArgument, offset of the character): any other character
// (a '0', '1', '8', '9', punctuation), '=' followed by anything but '=',
// padding of the wrong length, a length no whole number of octets gives
// (1, 3 or 6 characters in the last group), and a last character whose bits
// beyond the last octet are not zero.
[[nodiscard]] Result<SecureBytes> Base32Decode(std::string_view text);

// A secret written as text:
//   "hex:3132..."  hex (reference/bytes FromHex: "0x", ':' and spaces allowed)
//   "base32:GEZD..." or plain "GEZD..."  base32 as above
// An empty secret is refused. Offsets count from the start of `text`.
[[nodiscard]] Result<SecureBytes> ParseSecret(std::string_view text);

// A key URI, otpauth://TYPE/LABEL?PARAMETERS (Google Authenticator's Key Uri
// Format; see secret.cc for what is read and how strictly).
struct KeyUri {
  std::string label;   // percent-decoded, "issuer:account" or "account"
  std::string issuer;  // the issuer parameter, percent-decoded; empty if absent
  SecureBytes secret;
  TotpParameters parameters;  // algorithm, digits, period; T0 is always 0
};

// Parses an otpauth://totp/ URI. Refused, with the offset of the offending
// part: another scheme or type (hotp included), a label or parameter with a
// bad percent escape, a missing or empty secret, a secret that is not
// base32, an unknown algorithm, digits other than 6 to 8, a period that is
// not a decimal number of seconds from 1 to 2^32 - 1, a parameter given
// twice, a fragment ('#'). Unknown parameters are ignored (apps add their
// own: image, color, ...).
[[nodiscard]] Result<KeyUri> ParseKeyUri(std::string_view uri);

}  // namespace ipsecref::otp
