#include "reference/iana/iana.h"

#include <array>
#include <utility>

namespace ipsecref::iana {
namespace {

template <typename E>
struct Entry {
  E id;
  std::string_view name;
};

constexpr std::array<Entry<Encr>, 33> kEncrNames{{
    {Encr::kDesIv64, "ENCR_DES_IV64"},
    {Encr::kDes, "ENCR_DES"},
    {Encr::k3Des, "ENCR_3DES"},
    {Encr::kRc5, "ENCR_RC5"},
    {Encr::kIdea, "ENCR_IDEA"},
    {Encr::kCast, "ENCR_CAST"},
    {Encr::kBlowfish, "ENCR_BLOWFISH"},
    {Encr::k3Idea, "ENCR_3IDEA"},
    {Encr::kDesIv32, "ENCR_DES_IV32"},
    {Encr::kNull, "ENCR_NULL"},
    {Encr::kAesCbc, "ENCR_AES_CBC"},
    {Encr::kAesCtr, "ENCR_AES_CTR"},
    {Encr::kAesCcm8, "ENCR_AES_CCM_8"},
    {Encr::kAesCcm12, "ENCR_AES_CCM_12"},
    {Encr::kAesCcm16, "ENCR_AES_CCM_16"},
    {Encr::kAesGcm8, "ENCR_AES_GCM_8"},
    {Encr::kAesGcm12, "ENCR_AES_GCM_12"},
    {Encr::kAesGcm16, "ENCR_AES_GCM_16"},
    {Encr::kNullAuthAesGmac, "ENCR_NULL_AUTH_AES_GMAC"},
    {Encr::kCamelliaCbc, "ENCR_CAMELLIA_CBC"},
    {Encr::kCamelliaCtr, "ENCR_CAMELLIA_CTR"},
    {Encr::kCamelliaCcm8, "ENCR_CAMELLIA_CCM_8"},
    {Encr::kCamelliaCcm12, "ENCR_CAMELLIA_CCM_12"},
    {Encr::kCamelliaCcm16, "ENCR_CAMELLIA_CCM_16"},
    {Encr::kChaCha20Poly1305, "ENCR_CHACHA20_POLY1305"},
    {Encr::kAesCcm8Iiv, "ENCR_AES_CCM_8_IIV"},
    {Encr::kAesGcm16Iiv, "ENCR_AES_GCM_16_IIV"},
    {Encr::kChaCha20Poly1305Iiv, "ENCR_CHACHA20_POLY1305_IIV"},
    {Encr::kKuznyechikMgmKtree, "ENCR_KUZNYECHIK_MGM_KTREE"},
    {Encr::kMagmaMgmKtree, "ENCR_MAGMA_MGM_KTREE"},
    {Encr::kKuznyechikMgmMacKtree, "ENCR_KUZNYECHIK_MGM_MAC_KTREE"},
    {Encr::kMagmaMgmMacKtree, "ENCR_MAGMA_MGM_MAC_KTREE"},
}};

constexpr std::array<Entry<Integ>, 11> kIntegNames{{
    {Integ::kNone, "NONE"},
    {Integ::kHmacMd5_96, "AUTH_HMAC_MD5_96"},
    {Integ::kHmacSha1_96, "AUTH_HMAC_SHA1_96"},
    {Integ::kAesXcbc96, "AUTH_AES_XCBC_96"},
    {Integ::kAesCmac96, "AUTH_AES_CMAC_96"},
    {Integ::kAes128Gmac, "AUTH_AES_128_GMAC"},
    {Integ::kAes192Gmac, "AUTH_AES_192_GMAC"},
    {Integ::kAes256Gmac, "AUTH_AES_256_GMAC"},
    {Integ::kHmacSha2_256_128, "AUTH_HMAC_SHA2_256_128"},
    {Integ::kHmacSha2_384_192, "AUTH_HMAC_SHA2_384_192"},
    {Integ::kHmacSha2_512_256, "AUTH_HMAC_SHA2_512_256"},
}};

constexpr std::array<Entry<Prf>, 8> kPrfNames{{
    {Prf::kHmacMd5, "PRF_HMAC_MD5"},
    {Prf::kHmacSha1, "PRF_HMAC_SHA1"},
    {Prf::kHmacTiger, "PRF_HMAC_TIGER"},
    {Prf::kAes128Xcbc, "PRF_AES128_XCBC"},
    {Prf::kHmacSha2_256, "PRF_HMAC_SHA2_256"},
    {Prf::kHmacSha2_384, "PRF_HMAC_SHA2_384"},
    {Prf::kHmacSha2_512, "PRF_HMAC_SHA2_512"},
    {Prf::kAes128Cmac, "PRF_AES128_CMAC"},
}};

constexpr std::array<Entry<IpProtocol>, 16> kProtocolNames{{
    {IpProtocol::kHopByHop, "HOPOPT"},
    {IpProtocol::kIcmp, "ICMP"},
    {IpProtocol::kIpv4, "IPv4"},
    {IpProtocol::kTcp, "TCP"},
    {IpProtocol::kUdp, "UDP"},
    {IpProtocol::kIpv6, "IPv6"},
    {IpProtocol::kRouting, "IPv6-Route"},
    {IpProtocol::kFragment, "IPv6-Frag"},
    {IpProtocol::kEsp, "ESP"},
    {IpProtocol::kAh, "AH"},
    {IpProtocol::kIcmpv6, "IPv6-ICMP"},
    {IpProtocol::kNoNextHeader, "IPv6-NoNxt"},
    {IpProtocol::kDestinationOptions, "IPv6-Opts"},
    {IpProtocol::kMobility, "Mobility Header"},
    {IpProtocol::kHip, "HIP"},
    {IpProtocol::kShim6, "Shim6"},
}};

template <typename E, size_t N>
std::string_view Lookup(const std::array<Entry<E>, N>& table, E id) {
  for (const auto& e : table)
    if (e.id == id) return e.name;
  return "UNKNOWN";
}

template <typename E, size_t N>
std::optional<E> Find(const std::array<Entry<E>, N>& table, std::string_view name) {
  for (const auto& e : table)
    if (e.name == name) return e.id;
  return std::nullopt;
}

}  // namespace

std::string_view Name(Prf id) { return Lookup(kPrfNames, id); }
std::optional<Prf> PrfFromName(std::string_view name) { return Find(kPrfNames, name); }
std::string_view Name(Encr id) { return Lookup(kEncrNames, id); }
std::string_view Name(Integ id) { return Lookup(kIntegNames, id); }
std::string_view Name(IpProtocol p) { return Lookup(kProtocolNames, p); }
std::optional<Encr> EncrFromName(std::string_view name) { return Find(kEncrNames, name); }
std::optional<Integ> IntegFromName(std::string_view name) { return Find(kIntegNames, name); }

}  // namespace ipsecref::iana
