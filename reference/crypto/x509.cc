#include "reference/crypto/x509.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string_view>

namespace ipsecref::crypto {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
// The stack only points at certificates owned elsewhere.
void FreeStack(STACK_OF(X509) * s) { sk_X509_free(s); }
using X509StackPtr = std::unique_ptr<STACK_OF(X509), Deleter<FreeStack>>;

// The reason of libcrypto's most recent error, and an empty error queue
// afterwards (nothing left for the next caller to misread).
std::string TakeOpenSslReason() {
  const unsigned long e = ERR_peek_last_error();
  const char* reason = e == 0 ? nullptr : ERR_reason_error_string(e);
  ERR_clear_error();
  return reason == nullptr ? "no reason given" : reason;
}

// `value` DER-encoded by its i2d function (two calls: length, then octets).
template <typename T, typename I2d>
Bytes Encode(const T* value, I2d i2d) {
  const int size = i2d(value, nullptr);
  if (size <= 0) return {};
  Bytes out(static_cast<size_t>(size));
  unsigned char* p = out.data();
  i2d(value, &p);
  return out;
}

// The Name as RFC 4514 (RFC 2253) text, as `openssl x509 -nameopt RFC2253`
// prints it.
std::string NameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string{};
}

// The subjectAltName entries IKE identities are matched against.
Status ReadSubjectAltName(const X509* x, std::string_view which, Certificate& out) {
  int critical = -1;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, &critical, nullptr)));
  if (names == nullptr) {
    ERR_clear_error();
    //= rfc5280#section-4.2
    //# A certificate must not hold more than one instance of an extension.
    ENSURE(critical != -2, kBadFile, kNoOffset, "rfc5280#section-4.2",
           fmt::format("{}: subjectAltName appears more than once", which));
    ENSURE(critical == -1, kBadFile, kNoOffset, "rfc5280#section-4.2.1.6",
           fmt::format("{}: subjectAltName does not decode", which));
    return OkStatus();
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    const ASN1_STRING* value = nullptr;
    switch (name->type) {
      case GEN_DNS: value = name->d.dNSName; break;
      case GEN_EMAIL: value = name->d.rfc822Name; break;
      case GEN_IPADD: value = name->d.iPAddress; break;
      default: continue;  // other forms vouch for no IKE identity type
    }
    const auto* data = ASN1_STRING_get0_data(value);
    const auto size = static_cast<size_t>(ASN1_STRING_length(value));
    if (name->type == GEN_DNS) out.dns_names.emplace_back(reinterpret_cast<const char*>(data), size);
    if (name->type == GEN_EMAIL) out.rfc822_names.emplace_back(reinterpret_cast<const char*>(data), size);
    if (name->type == GEN_IPADD) {
      //= rfc5280#section-4.2.1.6
      //# An iPAddress in subjectAltName is four octets for IPv4 and
      //# sixteen for IPv6, in network byte order.
      ENSURE(size == 4 || size == 16, kBadFile, kNoOffset, "rfc5280#section-4.2.1.6",
             fmt::format("{}: subjectAltName iPAddress {} is {} octets, not 4 or 16", which, i, size));
      out.ip_addresses.emplace_back(data, data + size);
    }
  }
  return OkStatus();
}

// X.690 §10 on the TLV structure of a certificate, every constructed value
// down to the primitive ones (OCTET STRINGs that wrap DER, as extension
// values do, are left to their decoders). libcrypto accepts some BER, and
// re-encodes a certificate's decoded tbsCertificate by copying the octets it
// read, so this is where non-DER inside it is caught.
constexpr int kMaxDerDepth = 32;  // certificates nest about 8 deep

Status CheckDerStructure(ByteReader& in, std::string_view which, int depth) {
  while (!in.empty()) {
    const size_t at = in.offset();
    uint8_t tag = 0, first = 0;
    ENSURE(in.ReadU8(tag) && in.ReadU8(first), kBadFile, at, "rfc5280#section-4.1",
           fmt::format("{}: a TLV ends inside its header", which));
    ENSURE((tag & 0x1f) != 0x1f, kBadFile, at, "rfc5280#section-4.1",
           fmt::format("{}: tag 0x{:02x} in the high-tag-number form, which no certificate field uses", which, tag));
    size_t length = first;
    if ((first & 0x80) != 0) {
      const size_t octets = first & 0x7f;
      //= rfc5280#section-4.1
      //# Certificates are DER (X.690 §10.1): definite lengths only, each in
      //# the fewest octets (short form below 128).
      ENSURE(octets != 0, kBadFile, at, "rfc5280#section-4.1",
             fmt::format("{}: indefinite length (BER, not DER)", which));
      ENSURE(octets <= 4, kBadFile, at, "rfc5280#section-4.1",
             fmt::format("{}: a length of {} octets", which, octets));
      length = 0;
      for (size_t i = 0; i < octets; ++i) {
        uint8_t octet = 0;
        ENSURE(in.ReadU8(octet), kBadFile, at, "rfc5280#section-4.1",
               fmt::format("{}: a TLV ends inside its length", which));
        length = length << 8 | octet;
      }
      ENSURE(length >= 0x80 && length >> (8 * (octets - 1)) != 0, kBadFile, at, "rfc5280#section-4.1",
             fmt::format("{}: length {} not in its shortest form (BER, not DER)", which, length));
    }
    const bool constructed = (tag & 0x20) != 0;
    //= rfc5280#section-4.1
    //# A SEQUENCE or SET value is always encoded constructed (X.690 §8.9.1,
    //# §8.11.1).
    ENSURE(constructed || (tag != 0x10 && tag != 0x11), kBadFile, at, "rfc5280#section-4.1",
           fmt::format("{}: SEQUENCE or SET (tag 0x{:02x}) in the primitive form", which, tag));
    ByteReader content;
    ENSURE(in.ReadChild(length, content), kBadFile, at, "rfc5280#section-4.1",
           fmt::format("{}: length {} runs past the end of the enclosing value", which, length));
    if (constructed) {
      ENSURE(depth < kMaxDerDepth, kBadFile, at, "rfc5280#section-4.1",
             fmt::format("{}: values nested more than {} deep", which, kMaxDerDepth));
      TRY(CheckDerStructure(content, which, depth + 1));
    }
  }
  return OkStatus();
}

// One DER Certificate into libcrypto's form, and what IKE reads of it into
// `out`; `which` names it in errors. Every certificate ParseCertificate or
// VerifyChain is given passes the same checks here.
Result<X509Ptr> Decode(ByteSpan der, std::string_view which, Certificate& out) {
  ERR_clear_error();
  //= rfc5280#section-4.1
  //# A certificate is the DER encoding of the Certificate SEQUENCE:
  //# tbsCertificate, signatureAlgorithm and signatureValue.
  ENSURE(!der.empty() && der.size() <= static_cast<size_t>(LONG_MAX), kBadFile, kNoOffset, "rfc5280#section-4.1",
         fmt::format("{}: {} octets is no Certificate", which, der.size()));
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (x == nullptr)
    return MakeError(Code::kBadFile, kNoOffset, "rfc5280#section-4.1",
                     fmt::format("{}: not a DER Certificate ({})", which, TakeOpenSslReason()));
  const auto used = static_cast<size_t>(p - der.data());
  ENSURE(used == der.size(), kTrailingBytes, used, "rfc5280#section-4.1",
         fmt::format("{}: {} octets after the Certificate", which, der.size() - used));
  //= rfc5280#section-4.1
  //# Certificates are DER: a BER form of the same values is not a
  //# certificate whose signature can be checked as received. The TLV
  //# structure is checked throughout; what libcrypto re-encodes (the
  //# fields around tbsCertificate) must come out as the input.
  ByteReader structure(der);
  TRY(CheckDerStructure(structure, which, 0));
  const Bytes again = Encode(x.get(), i2d_X509);
  ENSURE(again.size() == der.size() && std::equal(again.begin(), again.end(), der.begin()), kBadFile, kNoOffset,
         "rfc5280#section-4.1", fmt::format("{}: not DER (X.690 §10): re-encoding differs", which));
  out.der.assign(der.begin(), der.end());
  const X509_NAME* subject = X509_get_subject_name(x.get());
  out.subject_dn = Encode(subject, i2d_X509_NAME);
  out.subject_text = NameText(subject);
  out.subject_public_key_info = Encode(X509_get_X509_PUBKEY(x.get()), i2d_X509_PUBKEY);
  ENSURE(!out.subject_dn.empty() && !out.subject_public_key_info.empty(), kBadFile, kNoOffset,
         "rfc5280#section-4.1",
         fmt::format("{}: subject or subjectPublicKeyInfo does not encode ({})", which, TakeOpenSslReason()));
  TRY(ReadSubjectAltName(x.get(), which, out));
  ERR_clear_error();
  return x;
}

// How a libcrypto verification error reads: the check, and the section of
// RFC 5280 that requires it.
struct PathCheck {
  int error;
  std::string_view check;
  std::string_view requirement;
};

constexpr PathCheck kPathChecks[] = {
    //= rfc5280#section-6.1.3
    //# (a)(1) The certificate's signature verifies with the issuer's public
    //# key and parameters.
    {X509_V_ERR_CERT_SIGNATURE_FAILURE, "its signature does not verify with the issuer's key",
     "rfc5280#section-6.1.3"},
    {X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, "its signature does not decode", "rfc5280#section-6.1.3"},
    {X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, "the issuer's public key does not decode",
     "rfc5280#section-6.1.3"},
    //= rfc5280#section-4.1.1.2
    //# signatureAlgorithm must equal the signature field of tbsCertificate
    //# and fit the issuer's key.
    {X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH, "its signature algorithm does not fit the issuer's key",
     "rfc5280#section-4.1.1.2"},
    {X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY, "signatureAlgorithm differs from tbsCertificate's signature",
     "rfc5280#section-4.1.1.2"},
    //= rfc5280#section-6.1.3
    //# (a)(2) The certificate's validity period includes the time of the
    //# check.
    {X509_V_ERR_CERT_HAS_EXPIRED, "it has expired (notAfter is before the time of the check)",
     "rfc5280#section-6.1.3"},
    {X509_V_ERR_CERT_NOT_YET_VALID, "it is not yet valid (notBefore is after the time of the check)",
     "rfc5280#section-6.1.3"},
    {X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, "notBefore is not a valid time", "rfc5280#section-4.1.2.5"},
    {X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, "notAfter is not a valid time", "rfc5280#section-4.1.2.5"},
    //= rfc5280#section-6.1
    //# A path runs from a trust anchor through certificates each issued by
    //# the one before it: every issuer must be a given certificate.
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, "its issuer is neither an intermediate nor a trust anchor",
     "rfc5280#section-6.1"},
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "its issuer is neither an intermediate nor a trust anchor",
     "rfc5280#section-6.1"},
    {X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, "its issuer is neither an intermediate nor a trust anchor",
     "rfc5280#section-6.1"},
    {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "it is self-signed and not a trust anchor", "rfc5280#section-6.1"},
    {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, "the path ends in a self-signed certificate that is not a trust anchor",
     "rfc5280#section-6.1"},
    //= rfc5280#section-6.1.4
    //# (k) An issuer's basicConstraints must be present with cA TRUE.
    {X509_V_ERR_INVALID_CA, "it issues a certificate but is no CA (basicConstraints cA is not TRUE)",
     "rfc5280#section-6.1.4"},
    //= rfc5280#section-4.2.1.9
    //# pathLenConstraint bounds the number of non-self-issued intermediate
    //# certificates that may follow a CA certificate in a path.
    {X509_V_ERR_PATH_LENGTH_EXCEEDED, "the path is longer than its pathLenConstraint allows",
     "rfc5280#section-4.2.1.9"},
    //= rfc5280#section-6.1.4
    //# (n) An issuer whose keyUsage is present must assert keyCertSign.
    {X509_V_ERR_KEYUSAGE_NO_CERTSIGN, "it issues a certificate but its keyUsage lacks keyCertSign",
     "rfc5280#section-6.1.4"},
    //= rfc5280#section-4.2
    //# A certificate with a critical extension the verifier does not
    //# recognize, or cannot process, must be rejected.
    {X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, "it holds a critical extension that is not understood",
     "rfc5280#section-4.2"},
    {X509_V_ERR_INVALID_EXTENSION, "an extension is malformed", "rfc5280#section-4.2"},
    //= rfc5280#section-4.2.1.10
    //# The names of every certificate below a CA must lie within its
    //# nameConstraints.
    {X509_V_ERR_PERMITTED_VIOLATION, "a name lies outside a permitted subtree", "rfc5280#section-4.2.1.10"},
    {X509_V_ERR_EXCLUDED_VIOLATION, "a name lies within an excluded subtree", "rfc5280#section-4.2.1.10"},
    {X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE, "a nameConstraints form is not supported", "rfc5280#section-4.2.1.10"},
    {X509_V_ERR_UNSUPPORTED_NAME_SYNTAX, "a name cannot be checked against nameConstraints",
     "rfc5280#section-4.2.1.10"},
    {X509_V_ERR_INVALID_POLICY_EXTENSION, "a certificate policy extension is malformed", "rfc5280#section-6.1.3"},
};

std::string_view DescribeDepth(int depth) { return depth == 0 ? "the end-entity certificate" : "the certificate"; }

// The error for a path libcrypto refused, naming the certificate, the check
// and its section.
Error PathError(X509_STORE_CTX* ctx) {
  const int error = X509_STORE_CTX_get_error(ctx);
  const int depth = X509_STORE_CTX_get_error_depth(ctx);
  const X509* cert = X509_STORE_CTX_get_current_cert(ctx);
  const std::string subject = cert == nullptr ? std::string("?") : NameText(X509_get_subject_name(cert));
  const auto* found = std::find_if(std::begin(kPathChecks), std::end(kPathChecks),
                                   [&](const PathCheck& c) { return c.error == error; });
  const std::string_view check = found != std::end(kPathChecks) ? found->check : X509_verify_cert_error_string(error);
  const std::string_view requirement = found != std::end(kPathChecks) ? found->requirement : "rfc5280#section-6.1";
  std::string detail = fmt::format("{} at depth {} ({}): {}", DescribeDepth(depth), depth, subject, check);
  if (error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT || error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
      error == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE) {
    if (cert != nullptr) detail += fmt::format(" (issuer {})", NameText(X509_get_issuer_name(cert)));
  }
  ERR_clear_error();
  return MakeError(Code::kAuthenticationFailed, kNoOffset, requirement, std::move(detail));
}

bool AsciiEqualIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string_view AsText(ByteSpan data) { return {reinterpret_cast<const char*>(data.data()), data.size()}; }

bool MatchesFqdn(const Certificate& c, ByteSpan id) {
  //= rfc4945#section-3.1.2
  //# An ID_FQDN is vouched for by a dNSName of subjectAltName equal to it.
  //= rfc5280#section-7.2
  //# DNS names compare without regard to case.
  //= ipsecref#choice
  //# Exact names only: a wildcard dNSName ("*.example.com") vouches for no
  //# FQDN, as RFC 4945 defines no wildcard matching for IKE identities.
  return std::any_of(c.dns_names.begin(), c.dns_names.end(),
                     [&](const std::string& name) { return AsciiEqualIgnoringCase(name, AsText(id)); });
}

bool MatchesRfc822(const Certificate& c, ByteSpan id) {
  //= rfc4945#section-3.1.3
  //# An ID_RFC822_ADDR is vouched for by an rfc822Name of subjectAltName
  //# equal to it.
  //= rfc5280#section-7.5
  //# In an rfc822Name the local part compares exactly and the host part
  //# without regard to case.
  const std::string_view want = AsText(id);
  const size_t at = want.rfind('@');
  if (at == std::string_view::npos) return false;
  return std::any_of(c.rfc822_names.begin(), c.rfc822_names.end(), [&](const std::string& name) {
    return name.size() == want.size() && name.rfind('@') == at && name.compare(0, at, want.substr(0, at)) == 0 &&
           AsciiEqualIgnoringCase(std::string_view(name).substr(at), want.substr(at));
  });
}

bool MatchesAddress(const Certificate& c, ByteSpan id, size_t size) {
  //= rfc4945#section-3.1.1
  //# An ID_IPV4_ADDR or ID_IPV6_ADDR is vouched for by an iPAddress of
  //# subjectAltName holding the same address.
  return id.size() == size && std::any_of(c.ip_addresses.begin(), c.ip_addresses.end(), [&](const Bytes& a) {
           return std::equal(a.begin(), a.end(), id.begin(), id.end());
         });
}

bool MatchesDn(const Certificate& c, ByteSpan id) {
  //= rfc4945#section-3.1.5
  //# An ID_DER_ASN1_DN is vouched for by a subject field whose DER is the
  //# same octets.
  //= ipsecref#choice
  //# An empty subject (SEQUENCE {}, 30 00) names nobody and vouches for no
  //# DN; its certificate's identities are in subjectAltName (RFC 5280
  //# §4.1.2.6).
  return c.subject_dn.size() > 2 && std::equal(c.subject_dn.begin(), c.subject_dn.end(), id.begin(), id.end());
}

struct IdRule {
  iana::IdType type;
  bool (*matches)(const Certificate&, ByteSpan);
};

constexpr IdRule kIdRules[] = {
    {iana::IdType::kFqdn, MatchesFqdn},
    {iana::IdType::kRfc822Addr, MatchesRfc822},
    {iana::IdType::kIpv4Addr, [](const Certificate& c, ByteSpan id) { return MatchesAddress(c, id, 4); }},
    {iana::IdType::kIpv6Addr, [](const Certificate& c, ByteSpan id) { return MatchesAddress(c, id, 16); }},
    {iana::IdType::kDerAsn1Dn, MatchesDn},
};

}  // namespace

Result<Certificate> ParseCertificate(ByteSpan der) {
  Certificate out;
  TRY(Decode(der, "certificate", out));
  return out;
}

Status VerifyChain(ByteSpan end_entity, std::span<const Bytes> intermediates, std::span<const Bytes> trust_anchors,
                   int64_t now) {
  //= rfc5280#section-6.1.1
  //# Path validation starts from trust anchor information; without one no
  //# path can be valid.
  ENSURE(!trust_anchors.empty(), kInvalidArgument, kNoOffset, "rfc5280#section-6.1.1", "no trust anchor given");
  // Decode reads into a Certificate; here only its checks matter.
  Certificate ignored;
  TRY_ASSIGN(X509Ptr leaf, Decode(end_entity, "the end-entity certificate", ignored));
  std::vector<X509Ptr> owned;
  X509StackPtr untrusted(sk_X509_new_null());
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  ENSURE(untrusted != nullptr && store != nullptr && ctx != nullptr, kInvalidArgument, kNoOffset, "",
         fmt::format("libcrypto allocation failed ({})", TakeOpenSslReason()));
  for (size_t i = 0; i < intermediates.size(); ++i) {
    TRY_ASSIGN(X509Ptr x, Decode(intermediates[i], fmt::format("intermediate certificate {}", i), ignored = {}));
    ENSURE(sk_X509_push(untrusted.get(), x.get()) > 0, kInvalidArgument, kNoOffset, "", "libcrypto allocation failed");
    owned.push_back(std::move(x));
  }
  for (size_t i = 0; i < trust_anchors.size(); ++i) {
    TRY_ASSIGN(X509Ptr x, Decode(trust_anchors[i], fmt::format("trust anchor {}", i), ignored = {}));
    // The store takes a reference of its own; the same anchor twice is no error.
    X509_STORE_add_cert(store.get(), x.get());
    ERR_clear_error();
  }
  ENSURE(X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) == 1, kInvalidArgument, kNoOffset,
         "", fmt::format("libcrypto could not start the check ({})", TakeOpenSslReason()));
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  //= ipsecref#choice
  //# The time of the check is the caller's (an injected clock), never the
  //# system's, so tests and replays see the same verdicts at any date.
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now));
  //= ipsecref#choice
  //# Any configured certificate is a trust anchor where it appears in the
  //# path, self-signed or not (RFC 5280 §6.1.1 (d) needs only the anchor's
  //# name and key): a configured intermediate CA or a pinned end-entity
  //# certificate ends the path.
  //= ipsecref#choice
  //# Not libcrypto's X509_V_FLAG_X509_STRICT: it adds RFC 5280 §4 rules for
  //# what a conforming CA issues (an authorityKeyIdentifier present, ...),
  //# which peers' certificates in the field may miss; every check of the
  //# path validation of §6.1 is made without it.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_verify_cert(ctx.get()) != 1) return PathError(ctx.get());
  ERR_clear_error();

  //= rfc4945#section-5.1.3.2
  //# An end-entity certificate without keyUsage may authenticate IKE; one
  //# with keyUsage must assert digitalSignature or nonRepudiation (other
  //# bits beside them do no harm).
  const uint32_t key_usage = X509_get_key_usage(leaf.get());
  ENSURE(key_usage == UINT32_MAX || (key_usage & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0,
         kAuthenticationFailed, kNoOffset, "rfc4945#section-5.1.3.2",
         fmt::format("the end-entity certificate at depth 0 ({}): its keyUsage asserts neither digitalSignature "
                     "nor nonRepudiation",
                     NameText(X509_get_subject_name(leaf.get()))));
  return OkStatus();
}

bool CertificateMatchesId(const Certificate& c, iana::IdType type, ByteSpan identification_data) {
  if (identification_data.empty()) return false;
  for (const IdRule& rule : kIdRules)
    if (rule.type == type) return rule.matches(c, identification_data);
  return false;
}

namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Pkcs8Ptr = std::unique_ptr<PKCS8_PRIV_KEY_INFO, Deleter<PKCS8_PRIV_KEY_INFO_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;

bool LooksLikePem(ByteSpan data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find("-----BEGIN ") != std::string_view::npos;
}

BioPtr MemoryBio(ByteSpan data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(std::min<size_t>(data.size(), INT_MAX))));
}

// Refuses every passphrase prompt: encrypted PEM keys are not read.
int NoPassphrase(char*, int, int, void*) { return -1; }

struct CurveName {
  std::string_view group;
  KeyType type;
};
constexpr CurveName kCurves[] = {
    {"prime256v1", KeyType::kEcP256}, {"P-256", KeyType::kEcP256},
    {"secp384r1", KeyType::kEcP384},  {"P-384", KeyType::kEcP384},
    {"secp521r1", KeyType::kEcP521},  {"P-521", KeyType::kEcP521},
};

Result<KeyType> KeyTypeOf(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return KeyType::kRsa;
    case EVP_PKEY_ED25519: return KeyType::kEd25519;
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t length = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof(group), &length) == 1)
        for (const CurveName& curve : kCurves)
          if (curve.group == std::string_view(group, length)) return curve.type;
      ERR_clear_error();
      return MakeError(Code::kBadFile, kNoOffset, "",
                       fmt::format("an ECDSA key on curve '{}': only P-256, P-384 and P-521 are supported",
                                   std::string_view(group, length)));
    }
    default:
      return MakeError(Code::kBadFile, kNoOffset, "",
                       fmt::format("a private key of type '{}': only RSA, ECDSA and Ed25519 are supported",
                                   OBJ_nid2sn(EVP_PKEY_get_base_id(key))));
  }
}

}  // namespace

Result<PrivateKey> ReadPrivateKey(ByteSpan pem_or_der) {
  PkeyPtr key;
  if (LooksLikePem(pem_or_der)) {
    BioPtr bio = MemoryBio(pem_or_der);
    if (bio != nullptr) key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  } else {
    const unsigned char* p = pem_or_der.data();
    key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(std::min<size_t>(pem_or_der.size(), LONG_MAX))));
  }
  ENSURE(key != nullptr, kBadFile, kNoOffset, "",
         fmt::format("no unencrypted private key (PKCS#8, SEC1 or PKCS#1, PEM or DER): {}", TakeOpenSslReason()));
  TRY_ASSIGN(const KeyType type, KeyTypeOf(key.get()));
  Pkcs8Ptr info(EVP_PKEY2PKCS8(key.get()));
  ENSURE(info != nullptr, kBadFile, kNoOffset, "",
         fmt::format("the key cannot be written as PKCS#8: {}", TakeOpenSslReason()));
  PrivateKey out{Encode(info.get(), i2d_PKCS8_PRIV_KEY_INFO), type, Encode(key.get(), i2d_PUBKEY)};
  ENSURE(!out.pkcs8.empty() && !out.subject_public_key_info.empty(), kBadFile, kNoOffset, "",
         fmt::format("the key cannot be encoded: {}", TakeOpenSslReason()));
  return out;
}

Result<Bytes> CertificateToDer(ByteSpan pem_or_der) {
  if (!LooksLikePem(pem_or_der)) {
    TRY_ASSIGN(Certificate c, ParseCertificate(pem_or_der));
    return std::move(c.der);
  }
  BioPtr bio = MemoryBio(pem_or_der);
  X509Ptr x(bio == nullptr ? nullptr : PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  ENSURE(x != nullptr, kBadFile, kNoOffset, "",
         fmt::format("no PEM CERTIFICATE: {}", TakeOpenSslReason()));
  return Encode(x.get(), i2d_X509);
}

Result<Bytes> PublicKeyToDer(ByteSpan pem_or_der) {
  PkeyPtr key;
  if (LooksLikePem(pem_or_der)) {
    BioPtr bio = MemoryBio(pem_or_der);
    if (bio != nullptr) key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  } else {
    const unsigned char* p = pem_or_der.data();
    key.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(std::min<size_t>(pem_or_der.size(), LONG_MAX))));
  }
  ENSURE(key != nullptr, kBadFile, kNoOffset, "",
         fmt::format("no public key (SubjectPublicKeyInfo, PEM or DER): {}", TakeOpenSslReason()));
  return Encode(key.get(), i2d_PUBKEY);
}

Result<Bytes> EncodeDistinguishedName(std::string_view text) {
  // strongSwan's attribute names that libcrypto spells otherwise.
  constexpr std::pair<std::string_view, std::string_view> kAliases[] = {{"E", "emailAddress"},
                                                                         {"Email", "emailAddress"}};
  NamePtr name(X509_NAME_new());
  ENSURE(name != nullptr, kInvalidArgument, kNoOffset, "", "libcrypto allocation failed");
  std::string rdn;
  auto add = [&](size_t number) -> Status {
    const auto trim = [](std::string_view s) {
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
      return s;
    };
    const std::string_view whole = trim(rdn);
    if (whole.empty() && number == 0) return OkStatus();  // a leading "/"
    const size_t eq = whole.find('=');
    ENSURE(eq != std::string_view::npos && eq > 0, kInvalidArgument, kNoOffset, "",
           fmt::format("RDN {} '{}' of the DN is not ATTRIBUTE=value", number + 1, whole));
    std::string attribute(trim(whole.substr(0, eq)));
    const std::string value(trim(whole.substr(eq + 1)));
    for (const auto& [alias, canonical] : kAliases)
      if (attribute == alias) attribute = canonical;
    const int nid = OBJ_txt2nid(attribute.c_str());
    ENSURE(nid != NID_undef, kInvalidArgument, kNoOffset, "",
           fmt::format("RDN {} '{}' of the DN: unknown attribute '{}' (C, ST, L, O, OU, CN, DC, UID, "
                       "serialNumber, E)",
                       number + 1, whole, attribute));
    //= ipsecref#choice
    //# strongSwan's string types (its identification parser, as strongSwan
    //# 5.9.8's `pki --self --dn` writes them): PrintableString for a value
    //# of PrintableString's characters, UTF8String otherwise, so that an ID
    //# written as text here equals the one charon sends for the same text.
    const bool printable = !value.empty() && std::all_of(value.begin(), value.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             std::string_view(" '()+,-./:=?").find(ch) != std::string_view::npos;
    });
    ENSURE(X509_NAME_add_entry_by_NID(name.get(), nid, printable ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1,
           kInvalidArgument, kNoOffset, "",
           fmt::format("RDN {} '{}' of the DN: {}", number + 1, whole, TakeOpenSslReason()));
    rdn.clear();
    return OkStatus();
  };
  size_t number = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      rdn += text[++i];
    } else if (c == ',' || c == '/') {
      TRY(add(number));
      if (X509_NAME_entry_count(name.get()) > 0) ++number;
    } else {
      rdn += c;
    }
  }
  TRY(add(number));
  ENSURE(X509_NAME_entry_count(name.get()) > 0, kInvalidArgument, kNoOffset, "", "an empty DN");
  return Encode(name.get(), i2d_X509_NAME);
}

}  // namespace ipsecref::crypto

namespace ipsecref::crypto {

bool SameDistinguishedName(ByteSpan a, ByteSpan b) {
  const unsigned char* pa = a.data();
  const unsigned char* pb = b.data();
  NamePtr na(d2i_X509_NAME(nullptr, &pa, static_cast<long>(std::min<size_t>(a.size(), LONG_MAX))));
  NamePtr nb(d2i_X509_NAME(nullptr, &pb, static_cast<long>(std::min<size_t>(b.size(), LONG_MAX))));
  const bool same = na != nullptr && nb != nullptr && X509_NAME_cmp(na.get(), nb.get()) == 0;
  ERR_clear_error();
  return same;
}

}  // namespace ipsecref::crypto
