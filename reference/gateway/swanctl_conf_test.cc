// The swanctl.conf reader: a full configuration in strongSwan's syntax
// (vectors/swanctl/swanctl/swanctl.conf, its credentials converted from
// vectors/x509 by openssl), the settings syntax, identities, PSK selection,
// and every refusal with its file:line.
#include "reference/gateway/swanctl_conf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "reference/crypto/x509.h"
#include "reference/gateway/identity.h"
#include "reference/gateway/settings.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/sa/traffic_selectors.h"
#include "reference/testing/exchange.h"

namespace ipsecref::gateway {
namespace {

using crypto::SignatureScheme;
using iana::AuthMethod;
using iana::IdType;

constexpr std::string_view kDir = "vectors/swanctl/swanctl";

Bytes ReadVector(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }
SecureBytes Secret(std::string_view s) { return SecureBytes(s.begin(), s.end()); }

const Connection* Find(const GatewayConfig& config, std::string_view name) {
  for (const Connection& c : config.connections)
    if (c.name == name) return &c;
  return nullptr;
}

TEST(SwanctlConf, FullConfiguration) {
  auto config = ReadSwanctlConf(std::string(kDir) + "/swanctl.conf");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  ASSERT_EQ(config->connections.size(), 3u);

  // site: PSK, as strongswan-pair.sh configures charon.
  const Connection* site = Find(*config, "site");
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->ike.name, "site");
  ASSERT_EQ(site->local_addrs.size(), 1u);
  EXPECT_EQ(site->local_addrs[0].address, (Bytes{192, 0, 2, 1}));
  EXPECT_EQ(site->remote_addrs[0].address, (Bytes{198, 51, 100, 2}));
  EXPECT_TRUE(site->encap);
  EXPECT_EQ(site->local_port, 500);
  EXPECT_EQ(site->ike.proposals,
            *ike::sa::ParseProposals("aes128gcm16-prfsha256-x25519,aes256-sha256-modp3072", iana::SecurityProtocol::kIke));
  EXPECT_EQ(site->ike.rekey_time, 3600'000);
  EXPECT_EQ(site->ike.rekey_jitter, 300'000);
  EXPECT_EQ(site->dpd_delay, 30'000);
  EXPECT_EQ(site->ike.liveness_delay, 30'000);
  EXPECT_EQ(site->ike.local_id, (ike::IdPayload{IdType::kFqdn, Text("a.pf.test")}));
  EXPECT_EQ(site->ike.remote_id, (ike::IdPayload{IdType::kFqdn, Text("b.pf.test")}));
  EXPECT_EQ(site->ike.local_auth.method, AuthMethod::kSharedKeyMic);
  EXPECT_EQ(site->ike.local_auth.psk, Secret("pf-test-psk-0123456789"));
  EXPECT_EQ(site->ike.remote_auth.psk, Secret("pf-test-psk-0123456789"));
  ASSERT_EQ(site->children.size(), 2u);
  const ChildSettings& net = site->children[0];
  EXPECT_EQ(net.child.name, "net");
  EXPECT_EQ(net.local_ts, *ike::sa::ParseConfiguredSelectors("10.1.0.0/24"));
  EXPECT_EQ(net.remote_ts, *ike::sa::ParseConfiguredSelectors("10.2.0.0/24,10.3.0.0/16[tcp/80]"));
  EXPECT_EQ(net.child.proposals,
            *ike::sa::ParseProposals("aes128gcm16,aes256-sha256-modp3072", iana::SecurityProtocol::kEsp));
  EXPECT_FALSE(net.child.transport_mode);
  EXPECT_EQ(net.start_action, StartAction::kStart);
  EXPECT_EQ(net.dpd_action, DpdAction::kRestart);
  EXPECT_EQ(net.child.rekey_time, 1200'000);
  EXPECT_EQ(net.child.life_time, 1800'000);
  const ChildSettings& host = site->children[1];
  EXPECT_TRUE(host.child.transport_mode);
  EXPECT_EQ(host.start_action, StartAction::kTrap);
  EXPECT_EQ(host.local_ts, *ike::sa::ParseConfiguredSelectors("dynamic"));
  EXPECT_EQ(host.child.proposals,
            *ike::sa::ParseProposals("aes128gcm16-aes256gcm16-chacha20poly1305,aes128-aes256-sha256",
                                     iana::SecurityProtocol::kEsp));
  ASSERT_EQ(site->ike.children.size(), 2u);
  EXPECT_EQ(site->ike.children[0].name, "net");

  // ecdsa: a certificate from x509/, its SEC1 key from ecdsa/, the CA from x509ca/.
  const Connection* ecdsa = Find(*config, "ecdsa");
  ASSERT_NE(ecdsa, nullptr);
  EXPECT_EQ(ecdsa->ike.local_auth.method, AuthMethod::kDigitalSignature);
  EXPECT_EQ(ecdsa->ike.local_auth.scheme, SignatureScheme::kEcdsaP256Sha256);
  EXPECT_EQ(ecdsa->ike.local_auth.private_key, ReadVector("vectors/x509/ee-p256.key.der"));
  ASSERT_EQ(ecdsa->ike.local_auth.certificates.size(), 1u);
  EXPECT_EQ(ecdsa->ike.local_auth.certificates[0], ReadVector("vectors/x509/ee-p256.der"));
  // No id: the certificate's subject DN, as strongSwan does.
  EXPECT_EQ(ecdsa->ike.local_id, (ike::IdPayload{IdType::kDerAsn1Dn, ReadVector("vectors/x509/ee-p256.subject.der")}));
  EXPECT_EQ(ecdsa->ike.remote_id.id_type, IdType::kDerAsn1Dn);
  EXPECT_TRUE(crypto::SameDistinguishedName(ecdsa->ike.remote_id.identification_data,
                                            ReadVector("vectors/x509/ee-p384.subject.der")));
  EXPECT_EQ(ecdsa->ike.remote_auth.method, AuthMethod::kDigitalSignature);
  EXPECT_EQ(ecdsa->ike.remote_auth.trust_anchors, (std::vector<Bytes>{ReadVector("vectors/x509/int-p256.der")}));
  EXPECT_TRUE(ecdsa->ike.remote_auth.public_key.empty());
  ASSERT_EQ(ecdsa->children.size(), 1u);
  // Not configured: strongSwan's defaults.
  EXPECT_EQ(ecdsa->ike.rekey_time, 4 * 3600'000);
  EXPECT_EQ(ecdsa->ike.proposals,
            *ike::sa::ParseProposals("aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-"
                                     "ecp256-ecp384-modp3072,aes128-aes256-sha256-sha384-sha512-x25519-ecp256-ecp384-"
                                     "modp3072",
                                     iana::SecurityProtocol::kIke));

  // rsa, from conf.d/rsa.conf: PKCS#1 key from rsa/, RSASSA-PSS, a pinned raw public key.
  const Connection* rsa = Find(*config, "rsa");
  ASSERT_NE(rsa, nullptr);
  EXPECT_EQ(rsa->local_port, 4500);
  EXPECT_EQ(rsa->remote_port, 4501);
  EXPECT_EQ(rsa->local_addrs[0].address.size(), 16u);
  EXPECT_FALSE(rsa->ike.fragmentation);
  EXPECT_TRUE(rsa->ike.childless);
  EXPECT_EQ(rsa->ike.local_auth.scheme, SignatureScheme::kRsaPssSha256);
  EXPECT_EQ(rsa->ike.local_auth.private_key, ReadVector("vectors/x509/ee-rsa-pkcs1.key.der"));
  EXPECT_EQ(rsa->ike.local_id, (ike::IdPayload{IdType::kRfc822Addr, Text("ee-rsa-pkcs1@ipsecref.test")}));
  EXPECT_EQ(rsa->ike.remote_id, (ike::IdPayload{IdType::kKeyId, Bytes{0x01, 0x02, 0xa0, 0xff}}));
  EXPECT_EQ(rsa->ike.remote_auth.public_key, ReadVector("vectors/x509/ee-rsa-pkcs1.spki.der"));
  EXPECT_TRUE(rsa->children.empty());

  ASSERT_EQ(config->manual.size(), 1u);
  const ManualTunnel& m = config->manual[0];
  EXPECT_EQ(m.name, "static");
  EXPECT_EQ(m.local_addr, (Bytes{192, 0, 2, 1}));
  EXPECT_EQ(m.remote_addr, (Bytes{203, 0, 113, 9}));
  EXPECT_EQ(m.local_ts, *ike::sa::ParseTrafficSelectors("10.5.0.0/24"));
  EXPECT_EQ(m.spi_in, 0x1001u);
  EXPECT_EQ(m.spi_out, 0x2002u);
  EXPECT_EQ(m.encr, iana::Encr::kAesCbc);
  EXPECT_EQ(m.encr_key_bits, 128);
  EXPECT_EQ(m.integ, iana::Integ::kHmacSha2_256_128);
  EXPECT_EQ(m.encr_key_in, *SecureFromHex("000102030405060708090a0b0c0d0e0f"));
  EXPECT_EQ(m.integ_key_out.size(), 32u);
  EXPECT_FALSE(m.udp_encapsulation);
}

// ------------------------------------------------------------------ settings syntax

TEST(Settings, ValuesQuotesCommentsAndBraces) {
  auto root = ParseSettings(
      "a = plain value  # comment\n"
      "b = \"quoted # not a comment \\\"q\\\" \\\\ \\t\"\n"
      "c = \"two\nlines\"\n"
      "d =\n"
      "s { x = 1 }  t\n{\n  y = 2 }\n"
      "e = \"joined \\\n"
      "line\"\n",
      "t.conf", "/nonexistent");
  ASSERT_TRUE(root.ok()) << root.error().ToString();
  EXPECT_EQ(root->Find("a")->value, "plain value");
  EXPECT_EQ(root->Find("b")->value, "quoted # not a comment \"q\" \\ \t");
  EXPECT_EQ(root->Find("c")->value, "two\nlines");
  EXPECT_EQ(root->Find("d")->value, "");
  EXPECT_EQ(root->Find("s")->Find("x")->value, "1");
  EXPECT_EQ(root->Find("t")->Find("y")->value, "2");
  EXPECT_EQ(root->Find("t")->line, 6u);
  EXPECT_EQ(root->Find("t")->Find("y")->Where(), "t.conf:8");
  EXPECT_EQ(root->Find("e")->value, "joined line");
}

struct ErrorCase {
  std::string text;
  Code code;
  std::string_view detail;
};

void ExpectErrors(std::span<const ErrorCase> cases, std::string_view dir) {
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.text);
    auto config = ParseSwanctlConf(c.text, "t.conf", dir);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.error().detail, c.detail);
    EXPECT_EQ(config.error().code, c.code);
  }
}

TEST(Settings, SyntaxErrors) {
  const ErrorCase cases[] = {
      {"a {\n b = 1\n", Code::kInvalidArgument, "t.conf:1: section 'a' is not closed: '}' missing"},
      {"a = 1\n}\n", Code::kInvalidArgument, "t.conf:2: '}' without a section to close"},
      {"a\n", Code::kInvalidArgument, "t.conf:1: expected '=' or '{' after 'a', found the end of the file"},
      {"a b = 1\n", Code::kInvalidArgument, "t.conf:1: expected '=' or '{' after 'a', found 'b'"},
      {"= 1\n", Code::kInvalidArgument, "t.conf:1: expected a section or setting name, found '='"},
      {"a = \"open\n", Code::kInvalidArgument, "t.conf:1: quoted value is not closed: '\"' missing"},
      {"a = \"x\" y\n", Code::kInvalidArgument, "t.conf:1: expected the end of the line after the quoted value, found 'y'"},
      {"s {\n a = 1\n a = 2\n}\n", Code::kInvalidArgument, "t.conf:3: 'a' is set again (first at t.conf:2)"},
      {"connections {\n c { }\n c { }\n}\n", Code::kInvalidArgument,
       "t.conf:3: section 'c' defined twice (first at t.conf:2)"},
      {"s {\n a = 1\n a { }\n}\n", Code::kInvalidArgument,
       "t.conf:3: 'a' names a setting and a section (setting at t.conf:2)"},
      {"include\n", Code::kInvalidArgument, "t.conf:1: include without a file name"},
      {"include missing.conf\n", Code::kIoError,
       "t.conf:1: include 'missing.conf': cannot read 'vectors/swanctl/swanctl/missing.conf': No such file or "
       "directory"},
      {"include */x.conf\n", Code::kInvalidArgument,
       "t.conf:1: include '*/x.conf': wildcards are allowed in the file name only"},
      {"include /dev/null\n", Code::kIoError, "t.conf:1: include '/dev/null': '/dev/null' is not a regular file"},
      {"include nothing-matches-*.conf\n", Code::kInvalidArgument,
       "t.conf:2: unknown keyword 'x' (accepted: connections, secrets, authorities, pools, manual)"},
  };
  // The last case needs something after the include to fail on.
  std::vector<ErrorCase> all(std::begin(cases), std::end(cases));
  all.back().text = "include nothing-matches-*.conf\nx = 1\n";
  ExpectErrors(all, kDir);
}

TEST(Settings, Bounds) {
  std::string deep;
  for (size_t i = 0; i <= kMaxSettingsNesting; ++i) deep += "s" + std::to_string(i) + " {\n";
  auto nested = ParseSettings(deep, "t.conf", ".");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().detail, "t.conf:17: section 's16' nested deeper than 16 sections");

  auto big = ParseSettings(std::string(kMaxSettingsFileSize + 1, '#'), "t.conf", ".");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Code::kBadFile);
  EXPECT_EQ(big.error().detail, "t.conf:1: larger than 1048576 bytes");

  // As many settings as the bound in one section: read in time (duplicates
  // are looked up, not searched for); one more is refused.
  std::string many;
  for (size_t i = 0; i < kMaxSettingsNodes; ++i) many += fmt::format("k{}=1\n", i);
  const auto start = std::chrono::steady_clock::now();
  auto full = ParseSettings(many, "t.conf", ".");
  // Linear: ~0.1 s; the quadratic search for duplicates this replaced took ~50 s.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_TRUE(full.ok()) << full.error().ToString();
  EXPECT_EQ(full->children.size(), kMaxSettingsNodes);
  EXPECT_EQ(full->Find("k99999")->line, 100000u);
  auto over = ParseSettings(many + "x=1\n", "t.conf", ".");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().detail, "t.conf:100001: more than 100000 sections and settings");

  // A file that includes itself stops at the include depth.
  const std::string dir = ::testing::TempDir() + "swanctl_conf_test_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/loop.conf") << "include loop.conf\n";
  auto loop = ReadSwanctlConf(dir + "/loop.conf");
  ASSERT_FALSE(loop.ok());
  EXPECT_EQ(loop.error().detail, dir + "/loop.conf:1: include 'loop.conf' nested deeper than 8 includes");
  std::filesystem::remove_all(dir);
}

// ------------------------------------------------------------------ identities

TEST(Identity, StrongSwanSyntax) {
  struct Case {
    std::string_view text;
    bool any;
    IdType type;
    Bytes data;
  };
  const Case cases[] = {
      {"%any", true, IdType::kFqdn, {}},
      {"", true, IdType::kFqdn, {}},
      {"192.0.2.7", false, IdType::kIpv4Addr, {192, 0, 2, 7}},
      {"2001:db8::1", false, IdType::kIpv6Addr, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
      {"@moon.strongswan.org", false, IdType::kFqdn, Text("moon.strongswan.org")},
      {"moon.strongswan.org", false, IdType::kFqdn, Text("moon.strongswan.org")},
      {"carol@strongswan.org", false, IdType::kRfc822Addr, Text("carol@strongswan.org")},
      {"@#0a0B", false, IdType::kKeyId, {0x0a, 0x0b}},
      // Printable values as PrintableString (0x13), as strongSwan encodes them.
      {"C=CH, CN=a", false, IdType::kDerAsn1Dn,
       {0x30, 0x19, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'C', 'H',
        0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x01, 'a'}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto id = ParseIdentity(c.text);
    ASSERT_TRUE(id.ok()) << id.error().ToString();
    EXPECT_EQ(id->any, c.any);
    if (!c.any) {
      EXPECT_EQ(id->id, (ike::IdPayload{c.type, c.data}));
    }
  }
  EXPECT_FALSE(ParseIdentity("@#0g").ok());
  EXPECT_FALSE(ParseIdentity("@").ok());
  EXPECT_FALSE(ParseIdentity("XX=1").ok());
  EXPECT_FALSE(ParseIdentity(std::string(256, 'a')).ok());
}

// ------------------------------------------------------------------ PSK selection

// A PSK connection between `local` and `remote` with the secrets given.
std::string PskConf(std::string_view local, std::string_view remote, std::string_view secrets) {
  return fmt::format(
      "connections {{\n c {{\n  local_addrs = 192.0.2.1\n  local {{\n   auth = psk\n{}  }}\n  remote {{\n   "
      "auth = psk\n{}  }}\n }}\n}}\nsecrets {{\n{}}}\n",
      local.empty() ? "" : fmt::format("   id = {}\n", local), remote.empty() ? "" : fmt::format("   id = {}\n", remote),
      secrets);
}

TEST(SwanctlConf, PskChosenByIdentities) {
  struct Case {
    std::string_view local, remote, secrets, expected;
  };
  const Case cases[] = {
      // Both ids beat one, one beats none (the wildcard secret without ids).
      {"a.test", "b.test",
       "ike-1 { secret = wild }\nike-2 { id = a.test\n secret = one }\nike-3 { id-1 = a.test\n id-2 = b.test\n "
       "secret = both }\n",
       "both"},
      {"a.test", "c.test",
       "ike-1 { secret = wild }\nike-2 { id = b.test\n secret = other }\nike-3 { id = c.test\n secret = remote }\n",
       "remote"},
      {"a.test", "c.test", "ike-1 { id = x.test\n secret = other }\nike-2 { secret = wild }\n", "wild"},
      // An exact id beats %any.
      {"a.test", "b.test", "ike-1 { id = %any\n secret = any }\nike-2 { id = b.test\n secret = exact }\n", "exact"},
      // No local id: the local address.
      {"", "", "ike-1 { id = 192.0.2.1\n secret = by-address }\nike-2 { id = x.test\n secret = x }\n", "by-address"},
      // Secret encodings: 0x hex, 0s base64.
      {"a.test", "", "ike-1 { secret = 0x414243 }\n", "ABC"},
      {"a.test", "", "ike-1 { secret = 0sQUJDRA== }\n", "ABCD"},
  };
  for (const Case& c : cases) {
    const std::string text = PskConf(c.local, c.remote, c.secrets);
    SCOPED_TRACE(text);
    auto config = ParseSwanctlConf(text, "t.conf", "/nonexistent");
    ASSERT_TRUE(config.ok()) << config.error().ToString();
    EXPECT_EQ(config->connections[0].ike.local_auth.psk, Secret(c.expected));
  }
  auto none = ParseSwanctlConf(PskConf("a.test", "b.test", "ike-1 { id = x.test\n secret = x }\n"), "t.conf", "/x");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().detail,
            "t.conf:2: connection 'c' authenticates with psk but no ike secret matches its identities (local "
            "a.test, remote b.test)");
}

// ------------------------------------------------------------------ refusals

// `body` inside a connection with working local/remote PSK ends.
std::string Conn(std::string_view body) {
  return fmt::format(
      "connections {{\n c {{\n{}\n  local {{ auth = psk\n id = a.test }}\n  remote {{ auth = psk }}\n }}\n}}\n"
      "secrets {{ ike {{ secret = s }} }}\n",
      body);
}
std::string Child(std::string_view body) { return Conn(fmt::format("  children {{ ch {{\n{}\n  }} }}", body)); }

TEST(SwanctlConf, ConnectionRefusals) {
  const std::string cases_text[] = {
      Conn("version = 1"), Conn("version = 3"), Conn("mobike = yes"), Conn("pools = p"), Conn("reauth_time = 1h"),
      Conn("keyingtries = 0"), Conn("unique = replace"), Conn("fragmentation = maybe"), Conn("childless = never"),
      Conn("send_cert = sometimes"), Conn("local_addrs = gw.example"), Conn("local_port = 0"),
      Conn("rekey_time = 1w"), Conn("rekey_time = 1ms"), Conn("dpd_delay = -1"), Conn("proposals = aes128-md5-modp1024"),
      Conn("proposals = aes128"), Conn("updown = /bin/true"), Conn("local-2 { auth = psk }\n  remote-2 { auth = psk }"),
      Child("mode = beet"), Child("mode = tunnl"), Child("start_action = trap|start"), Child("dpd_action = hold"),
      Child("updown = /bin/true"), Child("local_ts = 10.0.0.0/33"), Child("esp_proposals = aes128-prfsha256"),
      Child("ah_proposals = sha256"), Child("rand_time = 1m"), Child("rekey_time = 2h\nlife_time = 1h"),
  };
  const std::pair<Code, std::string_view> expected[] = {
      {Code::kUnsupported, "t.conf:3: version = '1': IKEv1 is not supported"},
      {Code::kInvalidArgument, "t.conf:3: version = '3': accepted values: 0, 2"},
      {Code::kUnsupported, "t.conf:3: mobike = 'yes': MOBIKE is not supported"},
      {Code::kInvalidArgument, "t.conf:3: pools = 'p': no pool 'p' in the pools section"},
      {Code::kUnsupported, "t.conf:3: reauth_time = '1h': reauthentication is not supported (only 0)"},
      {Code::kUnsupported, "t.conf:3: keyingtries = '0': the gateway makes one keying attempt (only 1)"},
      {Code::kUnsupported, "t.conf:3: unique = 'replace': unique identities are not enforced"},
      {Code::kInvalidArgument, "t.conf:3: fragmentation = 'maybe': accepted values: yes, accept, no"},
      {Code::kUnsupported, "t.conf:3: childless = 'never': refusing childless IKE SAs (never) is not supported"},
      {Code::kInvalidArgument, "t.conf:3: send_cert = 'sometimes': accepted values: ifasked, always, never"},
      {Code::kInvalidArgument,
       "t.conf:3: local_addrs = 'gw.example': 'gw.example' is not an IPv4 or IPv6 address or %any (host names, "
       "ranges and subnets are not supported)"},
      {Code::kInvalidArgument, "t.conf:3: local_port = '0': port 0"},
      {Code::kInvalidArgument,
       "t.conf:3: rekey_time = '1w': not a duration (a number of seconds, or with the unit s, m, h or d; at most "
       "315360000 s)"},
      {Code::kInvalidArgument,
       "t.conf:3: rekey_time = '1ms': not a duration (a number of seconds, or with the unit s, m, h or d; at most "
       "315360000 s)"},
      {Code::kInvalidArgument,
       "t.conf:3: dpd_delay = '-1': not a duration (a number of seconds, or with the unit s, m, h or d; at most "
       "315360000 s)"},
      // The proposal and selector parsers' own words follow the setting.
      {Code::kUnsupported,
       "t.conf:3: proposals = 'aes128-md5-modp1024': keyword 'md5' at offset 7: AUTH_HMAC_MD5_96 is not "
       "implemented by the reference"},
      {Code::kInvalidArgument,
       "t.conf:3: proposals = 'aes128': proposal 1 at offset 0: no integrity keyword, and 'aes128' at offset 0 is "
       "not an AEAD cipher"},
      {Code::kInvalidArgument,
       "t.conf:3: unknown keyword 'updown' in connection 'c' (accepted: local, remote, version, local_addrs, "
       "remote_addrs, local_port, remote_port, proposals, encap, dpd_delay, rekey_time, reauth_time, over_time, "
       "rand_time, fragmentation, childless, send_certreq, send_cert, unique, mobike, keyingtries, pools, vips, children)"},
      {Code::kUnsupported,
       "t.conf:3: more than one authentication round on both sides: this end runs its own further rounds only as "
       "initiator and demands the peer's only as responder (RFC 4739 §2.5 is not supported)"},
      {Code::kUnsupported, "t.conf:4: mode = 'beet': BEET mode is not supported"},
      {Code::kInvalidArgument, "t.conf:4: mode = 'tunnl': accepted values: tunnel, transport"},
      {Code::kUnsupported, "t.conf:4: start_action = 'trap|start': combined start actions (strongSwan 6) are not supported"},
      {Code::kInvalidArgument, "t.conf:4: dpd_action = 'hold': accepted values: clear, none, trap, restart"},
      {Code::kInvalidArgument,
       "t.conf:4: unknown keyword 'updown' in child 'ch' (accepted: local_ts, remote_ts, esp_proposals, mode, "
       "start_action, dpd_action, close_action, rekey_time, life_time, rand_time)"},
      {Code::kInvalidArgument,
       "t.conf:4: local_ts = '10.0.0.0/33': traffic selector 1 \"10.0.0.0/33\": prefix length 33 is longer than "
       "an IPv4 address (32 bits)"},
      {Code::kInvalidArgument,
       "t.conf:4: esp_proposals = 'aes128-prfsha256': keyword 'prfsha256' at offset 7: ESP proposals have no PRF "
       "transform"},
      {Code::kUnsupported, "t.conf:4: ah_proposals = 'sha256': AH CHILD SAs are not supported"},
      {Code::kUnsupported,
       "t.conf:4: rand_time = '1m': a random part of CHILD SA rekey times is not supported (only 0)"},
      {Code::kInvalidArgument, "t.conf:3: child 'ch': rekey_time must be below life_time"},
  };
  static_assert(std::size(cases_text) == std::size(expected));
  for (size_t i = 0; i < std::size(cases_text); ++i) {
    SCOPED_TRACE(cases_text[i]);
    auto config = ParseSwanctlConf(cases_text[i], "t.conf", "/nonexistent");
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.error().code, expected[i].first) << config.error().detail;
    EXPECT_EQ(config.error().detail, expected[i].second);
  }
}

// local / remote sections, with the credentials of vectors/swanctl/swanctl.
std::string Ends(std::string_view local, std::string_view remote) {
  return fmt::format("connections {{\n c {{\n  local_addrs = %any\n  local {{\n{}\n  }}\n  remote {{\n{}\n  }}\n }}\n}}\n"
                     "secrets {{ ike {{ secret = s }} }}\n",
                     local, remote);
}

TEST(SwanctlConf, EndRefusals) {
  const ErrorCase cases[] = {
      {"connections {\n c {\n  remote { auth = psk }\n }\n}\n", Code::kInvalidArgument,
       "t.conf:2: connection 'c' needs a local section"},
      {Ends("id = a", "auth = psk"), Code::kInvalidArgument, "t.conf:4: local has no 'auth' (psk, pubkey, rsa, ecdsa, eap-mschapv2, ...)"},
      {Ends("auth = eap-tls", "auth = psk"), Code::kUnsupported,
       "t.conf:5: auth = 'eap-tls': EAP-TLS is not supported (eap-mschapv2, eap-gtc, eap-md5 are)"},
      {Ends("auth = eap-mschapv2\nid = carol", "auth = psk"), Code::kInvalidArgument,
       "t.conf:5: auth = 'eap-mschapv2' in local: no eap- (or totp-) secret names the EAP identity 'carol'"},
      {Ends("auth = psk\nid = a\neap_id = carol", "auth = psk"), Code::kInvalidArgument,
       "t.conf:7: eap_id in local, whose auth = 'psk' is not EAP"},
      {Ends("auth = password", "auth = psk"), Code::kInvalidArgument,
       "t.conf:5: auth = 'password': accepted values: psk, pubkey, rsa, rsa-sha256, rsa-sha384, rsa-sha512, "
       "rsa/pss, rsa/pss-sha256, rsa/pss-sha384, rsa/pss-sha512, ecdsa, ecdsa-256, ecdsa-384, ecdsa-521, ed25519"},
      {Ends("auth = psk", "auth = psk"), Code::kInvalidArgument,
       "t.conf:4: local has no 'id' and local_addrs names no address to stand for it"},
      {Ends("auth = psk\nid = %any", "auth = psk"), Code::kInvalidArgument,
       "t.conf:6: id = '%any': the local identity cannot be %any"},
      {Ends("auth = psk\nid = a\nsecret = x", "auth = psk"), Code::kInvalidArgument,
       "t.conf:7: unknown keyword 'secret' in local (accepted: auth, id, eap_id, certs, pubkeys)"},
      {Ends("auth = psk\nid = a\ncacerts = ca-p256.pem", "auth = psk"), Code::kInvalidArgument,
       "t.conf:7: unknown keyword 'cacerts' in local (accepted: auth, id, eap_id, certs, pubkeys)"},
      {Ends("auth = pubkey", "auth = psk"), Code::kInvalidArgument,
       "t.conf:5: auth = 'pubkey' needs 'certs' (or 'pubkeys') in local"},
      {Ends("auth = pubkey\ncerts = missing.pem", "auth = psk"), Code::kIoError,
       "t.conf:6: certs: cannot read 'vectors/swanctl/swanctl/x509/missing.pem': No such file or directory"},
      {Ends("auth = pubkey\ncerts = ../ecdsa/ee-p256.pem", "auth = psk"), Code::kBadFile,
       "t.conf:6: certs: 'vectors/swanctl/swanctl/x509/../ecdsa/ee-p256.pem': no PEM CERTIFICATE: no start line"},
      {Ends("auth = ecdsa-384\ncerts = ee-p256.pem", "auth = psk"), Code::kInvalidArgument,
       "t.conf:5: auth = 'ecdsa-384': the private key is of another type"},
      {Ends("auth = rsa\ncerts = ee-p256.pem", "auth = psk"), Code::kInvalidArgument,
       "t.conf:5: auth = 'rsa': the private key is of another type"},
      {Ends("auth = pubkey\ncerts = ee-p256.pem\nid = other.test", "auth = psk"), Code::kInvalidArgument,
       "t.conf:7: id = 'other.test': the certificate in 'certs' does not vouch for this identity (subject or "
       "subjectAltName)"},
      {Ends("auth = psk\nid = a", "auth = pubkey\nrevocation = strict"), Code::kUnsupported,
       "t.conf:10: revocation = 'strict': revocation checking (CRL, OCSP) is not supported"},
      {Ends("auth = psk\nid = a", "auth = eap-md5\neap_id = x"), Code::kUnsupported,
       "t.conf:10: eap_id = 'x': a remote eap_id other than %any (ask the EAP identity) is not supported; without "
       "eap_id the IKE identity is the EAP identity"},
  };
  ExpectErrors(cases, kDir);
  // Without an x509ca/ directory there is no CA to trust.
  const ErrorCase no_ca[] = {{Ends("auth = psk\nid = a", "auth = pubkey"), Code::kInvalidArgument,
                              "t.conf:9: auth = 'pubkey' needs a CA: 'cacerts', an authority or a certificate in "
                              "/nonexistent/x509ca/"}};
  ExpectErrors(no_ca, "/nonexistent");
}

TEST(SwanctlConf, EndsWithCertificatesPickTheirKeys) {
  // ee-p256's certificate id by its subjectAltName; an ECDSA P-384 key
  // read from SEC1 DER in private/, ECDSA-384 with SHA-384.
  auto config = ParseSwanctlConf(Ends("auth = ecdsa\ncerts = ee-p384.pem\nid = ee-p384.ipsecref.test",
                                      "auth = pubkey\nid = 192.0.2.3"),
                                 "t.conf", kDir);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  const ike::sa::IkeConfig& ike = config->connections[0].ike;
  EXPECT_EQ(ike.local_auth.scheme, SignatureScheme::kEcdsaP384Sha384);
  EXPECT_EQ(ike.local_auth.private_key, ReadVector("vectors/x509/ee-p384.key.der"));
  EXPECT_EQ(ike.local_id, (ike::IdPayload{IdType::kFqdn, Text("ee-p384.ipsecref.test")}));
  EXPECT_EQ(ike.remote_id, (ike::IdPayload{IdType::kIpv4Addr, Bytes{192, 0, 2, 3}}));
  // No cacerts: every CA of x509ca/.
  EXPECT_EQ(ike.remote_auth.trust_anchors.size(), 3u);
  // Made by strongSwan's pki: its SEC1 key in ecdsa/, the id written as
  // the DN it was made with is the certificate's subject, octet for octet.
  auto pki = ParseSwanctlConf(Ends("auth = pubkey\ncerts = pki-p256.pem\nid = \"C=CH, O=ipsecref, "
                                   "CN=pki-p256.ipsecref.test\"",
                                   "auth = pubkey"),
                              "t.conf", kDir);
  ASSERT_TRUE(pki.ok()) << pki.error().ToString();
  auto pki_cert = crypto::ParseCertificate(pki->connections[0].ike.local_auth.certificates.at(0));
  ASSERT_TRUE(pki_cert.ok());
  EXPECT_EQ(pki->connections[0].ike.local_id, (ike::IdPayload{IdType::kDerAsn1Dn, pki_cert->subject_dn}));
  EXPECT_EQ(pki->connections[0].ike.local_auth.scheme, SignatureScheme::kEcdsaP256Sha256);
  // An openssl certificate (UTF8String subject) vouches for the same DN written as text.
  auto openssl = ParseSwanctlConf(Ends("auth = pubkey\ncerts = ee-p256.pem\nid = \"O=ipsecref, OU=vectors, "
                                       "CN=ee-p256.ipsecref.test\"",
                                       "auth = pubkey"),
                                  "t.conf", kDir);
  ASSERT_TRUE(openssl.ok()) << openssl.error().ToString();
  // RSA without a scheme: PKCS#1 v1.5 with SHA-256.
  auto rsa = ParseSwanctlConf(Ends("auth = pubkey\ncerts = ee-rsa-pkcs1.pem", "auth = pubkey"), "t.conf", kDir);
  ASSERT_TRUE(rsa.ok()) << rsa.error().ToString();
  EXPECT_EQ(rsa->connections[0].ike.local_auth.scheme, SignatureScheme::kRsaPkcs1Sha256);
}

// A gateway for road warriors and its client, as strongSwan's remote-access
// examples write them (docs.strongswan.org, "Virtual IP Addresses").
TEST(SwanctlConf, PoolsAndVirtualIps) {
  auto gateway = ParseSwanctlConf(
      "pools {\n rw4 { addrs = 10.3.0.0/28\n dns = 10.1.0.53, 2001:db8::53 }\n rw6 { addrs = fd00::10-fd00::1f }\n}\n" +
          Conn("remote_addrs = %any\npools = rw4, rw6"),
      "t.conf", "/nonexistent");
  ASSERT_TRUE(gateway.ok()) << gateway.error().ToString();
  ASSERT_EQ(gateway->pools.size(), 2u);
  const ike::sa::IkeConfig& ike = gateway->connections[0].ike;
  ASSERT_EQ(ike.pools.size(), 2u);
  EXPECT_EQ(ike.pools[0], gateway->pools[0]);  // shared, not copied
  EXPECT_EQ(ike.pools[0]->name(), "rw4");
  EXPECT_EQ(ike.pools[0]->size(), 14u);
  EXPECT_EQ(ike.pools[0]->dns(), (std::vector<Bytes>{{10, 1, 0, 53}, *FromHex("20010db8000000000000000000000053")}));
  EXPECT_EQ(ike.pools[1]->size(), 16u);
  EXPECT_EQ(ike.pools[1]->family_size(), 16u);

  auto client = ParseSwanctlConf(Conn("vips = 0.0.0.0, ::, 10.3.0.5"), "t.conf", "/nonexistent");
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  EXPECT_EQ(client->connections[0].ike.vips, (std::vector<Bytes>{Bytes(4, 0), Bytes(16, 0), {10, 3, 0, 5}}));
  auto bad = ParseSwanctlConf(Conn("vips = %config"), "t.conf", "/nonexistent");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().detail,
            "t.conf:3: vips = '%config': '%config' is not an IPv4 or IPv6 address (0.0.0.0 or :: asks for any)");
}

// A gateway that asks its road warriors for a PSK round and then EAP-GTC
// with a TOTP code (carol) or a password (dave), and a client of it.
TEST(SwanctlConf, EapRoundsAndTotpSecrets) {
  const std::string secrets =
      "secrets {\n ike { secret = s }\n"
      // RFC 6238 Appendix B's SHA-1 key, "12345678901234567890", in base32.
      " totp-carol { id = carol\n secret = otpauth://totp/gw:carol?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8\n"
      "  window = 2 }\n"
      " eap-dave { id = dave\n secret = dave's password }\n}\n";
  auto gateway = ParseSwanctlConf(
      "connections {\n rw {\n  remote_addrs = %any\n  local { auth = psk\n id = gw.test }\n"
      "  remote { auth = psk }\n  remote-2 { auth = eap-gtc\n eap_id = %any }\n }\n"
      " rw2 {\n  remote_addrs = %any\n  local { auth = psk\n id = gw2.test }\n  remote { auth = eap }\n }\n}\n" +
          secrets,
      "t.conf", "/nonexistent");
  ASSERT_TRUE(gateway.ok()) << gateway.error().ToString();
  const ike::sa::IkeConfig& rw = gateway->connections[0].ike;
  EXPECT_FALSE(rw.remote_auth.is_eap());
  ASSERT_EQ(rw.remote_rounds.size(), 1u);
  const ike::sa::AuthConfig& second = rw.remote_rounds[0].auth;
  EXPECT_EQ(second.eap_methods, std::vector<eap::Type>{eap::Type::kGtc});
  EXPECT_TRUE(second.eap_ask_identity);
  EXPECT_TRUE(rw.remote_rounds[0].id.identification_data.empty());  // any
  EXPECT_TRUE(rw.UsesMultipleAuth());
  const auto check = [&](std::string_view user, std::string_view answer) {
    return second.eap_authenticator.gtc_check(user, ByteSpan(reinterpret_cast<const uint8_t*>(answer.data()), answer.size()));
  };
  // dave has a password, carol a TOTP secret: her password would not do,
  // nor a code of the wrong length; eve has nothing.
  EXPECT_TRUE(check("dave", "dave's password").ok());
  EXPECT_EQ(check("dave", "dave's passworD").error().detail, "the GTC password of 'dave' is wrong");
  EXPECT_FALSE(check("carol", "dave's password").ok());
  EXPECT_FALSE(check("carol", "1234567").ok());
  EXPECT_EQ(check("eve", "x").error().detail, "no eap- or totp- secret names 'eve'");
  EXPECT_EQ(*second.eap_authenticator.secret_for("dave"), SecureBytes(std::string_view("dave's password").begin(),
                                                                      std::string_view("dave's password").end()));
  EXPECT_FALSE(second.eap_authenticator.secret_for("eve").has_value());
  // auth = eap: every method, MSCHAPv2 first; no eap_id: no Identity round.
  const ike::sa::IkeConfig& rw2 = gateway->connections[1].ike;
  EXPECT_EQ(rw2.remote_auth.eap_methods,
            (std::vector<eap::Type>{eap::Type::kMsChapV2, eap::Type::kGtc, eap::Type::kMd5Challenge}));
  EXPECT_FALSE(rw2.remote_auth.eap_ask_identity);
  EXPECT_FALSE(rw2.UsesMultipleAuth());

  // The client: a PSK round as carol@gw.test, then EAP-GTC as carol, whose
  // answer is her TOTP code (8 digits, as the key URI says).
  auto client = ParseSwanctlConf(
      "connections {\n home {\n  remote_addrs = 192.0.2.1\n  local { auth = psk\n id = carol@gw.test }\n"
      "  local-2 { auth = eap-gtc\n eap_id = carol }\n  remote { auth = psk\n id = gw.test }\n }\n}\n" +
          secrets,
      "t.conf", "/nonexistent");
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  const ike::sa::IkeConfig& home = client->connections[0].ike;
  ASSERT_EQ(home.local_rounds.size(), 1u);
  EXPECT_TRUE(home.local_rounds[0].id.identification_data.empty());  // the first round's IDi
  EXPECT_EQ(home.local_rounds[0].auth.eap_peer.identity, "carol");
  ASSERT_TRUE(home.local_rounds[0].auth.eap_peer.gtc_response);
  EXPECT_EQ(home.local_rounds[0].auth.eap_peer.gtc_response("Password").size(), 8u);
}

TEST(SwanctlConf, SecretsAuthoritiesAndTopLevelRefusals) {
  const ErrorCase cases[] = {
      {"pools { p { addrs = 10.0.0.0/33 } }\n", Code::kInvalidArgument,
       "t.conf:1: addrs = '10.0.0.0/33': pool p: addrs: traffic selector 1 \"10.0.0.0/33\": prefix length 33 is "
       "longer than an IPv4 address (32 bits)"},
      {"pools {\n p { addrs = 10.0.0.0/7 } }\n", Code::kInvalidArgument,
       "t.conf:2: addrs = '10.0.0.0/7': pool p: addrs \"10.0.0.0/7\" holds more than 16777216 addresses"},
      {"pools {\n p { dns = 10.0.0.1 } }\n", Code::kInvalidArgument, "t.conf:2: pool 'p' has no 'addrs'"},
      {"pools {\n p { addrs = 10.0.0.0/24\n dns = ns.example } }\n", Code::kInvalidArgument,
       "t.conf:3: dns = 'ns.example': 'ns.example' is not an IPv4 or IPv6 address"},
      {"pools {\n p { addrs = 10.0.0.0/24\n subnet = 10.1.0.0/16 } }\n", Code::kUnsupported,
       "t.conf:3: subnet = '10.1.0.0/16': only the attributes addrs and dns are supported in pools"},
      {"pools {\n p { addr = 10.0.0.0/24 } }\n", Code::kInvalidArgument,
       "t.conf:2: unknown keyword 'addr' in pool 'p' (accepted: addrs, dns)"},
      {"connection { }\n", Code::kInvalidArgument,
       "t.conf:1: unknown keyword 'connection' (accepted: connections, secrets, authorities, pools, manual)"},
      {"connections = x\n", Code::kInvalidArgument, "t.conf:1: 'connections' must be a section (connections { ... })"},
      {"secrets {\n ntlm-carol { secret = x }\n}\n", Code::kUnsupported,
       "t.conf:2: secret 'ntlm-carol': NTLM hashes are not supported (give EAP passwords as eap- secrets)"},
      {"secrets {\n totp-carol { secret = GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ }\n}\n", Code::kInvalidArgument,
       "t.conf:2: secret 'totp-carol' names no user ('id'): whose codes would it check?"},
      {"secrets {\n totp-carol { id = carol\n secret = GEZDGNBVGY3TQOJQ }\n}\n", Code::kInvalidArgument,
       "t.conf:3: secret 'totp-carol': the secret has 80 bits, at least 128 required"},
      {"secrets {\n totp-carol { id = carol\n secret = GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n window = 11 }\n}\n",
       Code::kInvalidArgument, "t.conf:4: window = '11': larger than 10"},
      {"secrets {\n totp-carol { id = carol\n secret = 0123\n }\n}\n", Code::kInvalidArgument, "t.conf:3: secret = '0123': invalid argument at offset 0 (rfc4648#section-3.3): '0' is not a base32 character "
       "(A-Z, 2-7)"},
      {"secrets {\n psk { secret = x }\n}\n", Code::kInvalidArgument,
       "t.conf:2: unknown secret type 'psk' (accepted: ike-, eap-, totp-, private-, ecdsa-, rsa-, pkcs8-)"},
      {"secrets {\n ike-1 { id = a }\n}\n", Code::kInvalidArgument, "t.conf:2: secret 'ike-1' has no 'secret'"},
      {"secrets {\n ike-1 { secret = 0xzz }\n}\n", Code::kInvalidArgument, "t.conf:2: secret: bad hex after 0x"},
      {"secrets {\n ike-1 { secret = 0s!! }\n}\n", Code::kInvalidArgument, "t.conf:2: secret: bad base64 after 0s"},
      {"secrets {\n ike-1 { secret = \"\" }\n}\n", Code::kInvalidArgument, "t.conf:2: secret: empty"},
      {"secrets {\n ike-1 { ids = a\n secret = x }\n}\n", Code::kInvalidArgument,
       "t.conf:2: unknown keyword 'ids' in secret 'ike-1' (accepted: id, id-SUFFIX, secret)"},
      {"secrets {\n ike-1 { id = @#1\n secret = x }\n}\n", Code::kInvalidArgument,
       "t.conf:2: id = '@': '@' without a name after it"},
      {"secrets {\n ecdsa-1 { file = missing.pem }\n}\n", Code::kIoError,
       "t.conf:2: file: cannot read 'vectors/swanctl/swanctl/ecdsa/missing.pem': No such file or directory"},
      {"secrets {\n rsa-1 { file = ../x509/ee-rsa-pkcs1.pem }\n}\n", Code::kBadFile,
       "t.conf:2: file: 'vectors/swanctl/swanctl/rsa/../x509/ee-rsa-pkcs1.pem': no unencrypted private key "
       "(PKCS#8, SEC1 or PKCS#1, PEM or DER): unsupported"},
      {"secrets {\n private-1 { file = a.pem\n secret = pass }\n}\n", Code::kUnsupported,
       "t.conf:3: secret = 'pass': encrypted private keys are not supported (store the key unencrypted)"},
      {"secrets {\n ike-1 { secret = a }\n ike-1 { secret = b }\n}\n", Code::kInvalidArgument,
       "t.conf:3: section 'ike-1' defined twice (first at t.conf:2)"},
      {"authorities {\n ca { crl_uris = http://x }\n}\n", Code::kUnsupported,
       "t.conf:2: crl_uris = 'http://x': only 'cacert' is supported in authorities (no revocation checking, no "
       "tokens)"},
      {"authorities {\n ca { }\n}\n", Code::kInvalidArgument, "t.conf:2: authority 'ca' has no 'cacert'"},
      {"authorities {\n ca { cacert = ../x509/missing.pem }\n}\n", Code::kIoError,
       "t.conf:2: cacert: cannot read 'vectors/swanctl/swanctl/x509ca/../x509/missing.pem': No such file or "
       "directory"},
  };
  ExpectErrors(cases, kDir);
  // An authority's cacert is a trust anchor.
  auto config = ParseSwanctlConf("authorities { a { cacert = ca-p256.pem } }\n", "t.conf", kDir);
  ASSERT_TRUE(config.ok()) << config.error().ToString();
}

// A manual tunnel with `body` after working addresses, SPIs and selectors.
std::string Manual(std::string_view body) {
  return fmt::format("manual {{\n m {{\n{}\n  local_addrs = 192.0.2.1\n  remote_addrs = 192.0.2.2\n  local_ts = "
                     "10.0.0.0/8\n  remote_ts = 10.9.0.0/16\n  spi_in = 1000\n  spi_out = 1001\n }}\n}}\n",
                     body);
}

TEST(SwanctlConf, ManualTunnels) {
  auto gcm = ParseSwanctlConf(
      Manual("esp_proposals = aes256gcm16\nenc_key_in = 0x" + std::string(72, 'a') + "\nenc_key_out = " +
             std::string(72, 'b') + "\nencap = yes"),
      "t.conf", "/nonexistent");
  ASSERT_TRUE(gcm.ok()) << gcm.error().ToString();
  const ManualTunnel& t = gcm->manual[0];
  EXPECT_EQ(t.encr, iana::Encr::kAesGcm16);
  EXPECT_EQ(t.encr_key_bits, 256);
  EXPECT_EQ(t.integ, iana::Integ::kNone);
  EXPECT_EQ(t.encr_key_in.size(), 36u);  // 32 key + 4 salt (RFC 4106 §8.1)
  EXPECT_TRUE(t.udp_encapsulation);
  EXPECT_FALSE(t.esn);  // noesn unless the proposal says esn

  // 64-bit sequence numbers (RFC 4303 §2.2.1) when the proposal says esn.
  auto esn = ParseSwanctlConf(
      Manual("esp_proposals = aes128gcm16-esn\nenc_key_in = " + std::string(40, 'a') + "\nenc_key_out = " +
             std::string(40, 'b')),
      "t.conf", "/nonexistent");
  ASSERT_TRUE(esn.ok()) << esn.error().ToString();
  EXPECT_TRUE(esn->manual[0].esn);

  // NULL encryption (RFC 2410) has no key: the key settings are there, empty.
  const std::string k32 = std::string(64, 'c');
  auto null = ParseSwanctlConf(Manual("esp_proposals = null-sha256\nenc_key_in =\nenc_key_out =\ninteg_key_in = " +
                                      k32 + "\ninteg_key_out = " + k32),
                               "t.conf", "/nonexistent");
  ASSERT_TRUE(null.ok()) << null.error().ToString();
  EXPECT_EQ(null->manual[0].encr, iana::Encr::kNull);
  EXPECT_TRUE(null->manual[0].encr_key_in.empty());
  EXPECT_EQ(null->manual[0].integ_key_in.size(), 32u);

  const std::string k16 = std::string(32, '1');
  const ErrorCase cases[] = {
      {Manual("esp_proposals = aes128gcm16,aes256gcm16\nenc_key_in = " + k16 + "\nenc_key_out = " + k16),
       Code::kInvalidArgument,
       "t.conf:3: esp_proposals = 'aes128gcm16,aes256gcm16': a manual tunnel takes exactly one proposal"},
      {Manual("esp_proposals = aes128gcm16-ecp256\nenc_key_in = " + k16 + "\nenc_key_out = " + k16),
       Code::kInvalidArgument,
       "t.conf:3: esp_proposals = 'aes128gcm16-ecp256': a manual tunnel has no key exchange (remove the KE "
       "transform)"},
      {Manual("esp_proposals = aes128-aes256-sha256\nenc_key_in = " + k16 + "\nenc_key_out = " + k16),
       Code::kInvalidArgument,
       "t.conf:3: esp_proposals = 'aes128-aes256-sha256': a manual tunnel takes one encryption and at most one "
       "integrity algorithm"},
      {Manual("esp_proposals = aes128gcm16\nenc_key_in = " + k16 + "\nenc_key_out = " + k16), Code::kInvalidArgument,
       "t.conf:4: enc_key_in = '11111111111111111111111111111111': 16 bytes, the proposal needs 20 (salt included)"},
      {Manual("esp_proposals = aes128-sha256\nenc_key_in = " + k16 + "\nenc_key_out = " + k16),
       Code::kInvalidArgument, "t.conf:2: manual tunnel 'm' has no 'integ_key_in' (32 bytes)"},
      {Manual("esp_proposals = aes128gcm16\nenc_key_in = xx\nenc_key_out = " + k16), Code::kInvalidArgument,
       "t.conf:4: enc_key_in = 'xx': not hex"},
      {Manual("esp_proposals = null-sha256\nenc_key_in = " + k16 + "\nenc_key_out = " + k16), Code::kInvalidArgument,
       "t.conf:4: enc_key_in = '11111111111111111111111111111111': the proposal's encryption (NULL) takes no key: "
       "leave the value empty"},
      {Manual("esp_proposals = aes128gcm16-esn-noesn\nenc_key_in = " + k16 + "\nenc_key_out = " + k16),
       Code::kInvalidArgument,
       "t.conf:3: esp_proposals = 'aes128gcm16-esn-noesn': a manual tunnel takes esn or noesn, not both"},
      {Manual("esp_proposals = aes128gcm16\nspi = 5"), Code::kInvalidArgument,
       "t.conf:4: unknown keyword 'spi' in manual tunnel 'm' (accepted: local_addrs, remote_addrs, local_ts, "
       "remote_ts, spi_in, spi_out, esp_proposals, enc_key_in, enc_key_out, integ_key_in, integ_key_out, encap)"},
      {Manual("esp_proposals = aes128gcm16"), Code::kInvalidArgument,
       "t.conf:2: manual tunnel 'm' needs local_ts, remote_ts, esp_proposals, enc_key_in and enc_key_out"},
      {"manual {\n m {\n  spi_in = 255\n }\n}\n", Code::kInvalidArgument,
       "t.conf:3: spi_in = '255': SPIs 0-255 are reserved (rfc4303#section-2.1)"},
      {"manual {\n m {\n  local_ts = dynamic\n }\n}\n", Code::kInvalidArgument,
       "t.conf:3: local_ts = 'dynamic': traffic selector 1 \"dynamic\": dynamic stands for the IKE SA's address, "
       "which is not known here; name the addresses"},
      {"manual {\n m {\n  local_addrs = 192.0.2.1, 192.0.2.2\n }\n}\n", Code::kInvalidArgument,
       "t.conf:3: local_addrs = '192.0.2.1, 192.0.2.2': one IPv4 or IPv6 address"},
      {"manual {\n m {\n  local_addrs = 192.0.2.1\n }\n}\n", Code::kInvalidArgument,
       "t.conf:2: manual tunnel 'm' has no 'remote_addrs'"},
  };
  ExpectErrors(cases, "/nonexistent");
}

TEST(SwanctlConf, ReadSwanctlConfNamesAMissingFile) {
  auto config = ReadSwanctlConf("vectors/swanctl/no-such.conf");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Code::kIoError);
  EXPECT_EQ(config.error().detail,
            "vectors/swanctl/no-such.conf:1: cannot read 'vectors/swanctl/no-such.conf': No such file or directory");
}

// The fuzz seeds say what they are by their names: error_* and include_*
// are refused, the others are configurations the reader accepts (so the
// fuzzer starts from both sides of every check).
TEST(SwanctlConf, FuzzSeedsAreWhatTheirNamesSay) {
  size_t seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator("fuzz/corpus/swanctl_conf")) {
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    const Bytes text = ReadVector(entry.path().string());
    auto config = ParseSwanctlConf(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()),
                                   name, "/nonexistent");
    const bool refused = name.starts_with("error_") || name.starts_with("include_");
    EXPECT_EQ(config.ok(), !refused) << (config.ok() ? "" : config.error().detail);
    ++seeds;
  }
  EXPECT_GE(seeds, 10u);
}

// ------------------------------------------------------------------ end to end

// The IKE layer's configuration of connection `name`, its children's
// selectors resolved with the exchange harness's addresses (the gateway
// does this per IKE SA).
ike::sa::IkeConfig IkeOf(const GatewayConfig& config, ByteSpan local, ByteSpan remote) {
  ike::sa::IkeConfig ike = config.connections.at(0).ike;
  for (size_t i = 0; i < ike.children.size(); ++i) {
    ike.children[i].local_ts = *ike::sa::Resolve(config.connections[0].children[i].local_ts, local);
    ike.children[i].remote_ts = *ike::sa::Resolve(config.connections[0].children[i].remote_ts, remote);
  }
  return ike;
}

// Two gateways configured by swanctl.conf text establish an IKE SA and its
// CHILD SA with the reference's IKEv2 (the exchange harness: initiator
// 192.0.2.1, responder 192.0.2.2), with PSKs and with certificates.
TEST(SwanctlConf, ConfigurationsEstablishSas) {
  const Bytes a{192, 0, 2, 1}, b{192, 0, 2, 2};
  const auto conf = [](std::string_view local_end, std::string_view remote_end, std::string_view ts) {
    return fmt::format("connections {{\n c {{\n  proposals = aes128gcm16-prfsha256-x25519\n  local {{\n{}\n  }}\n"
                       "  remote {{\n{}\n  }}\n  children {{ net {{ {}\n esp_proposals = aes128gcm16 }} }}\n }}\n}}\n"
                       "secrets {{ ike-1 {{ id-a = moon.test\n id-b = sun.test\n secret = \"0123456789abcdef\" }} }}\n",
                       local_end, remote_end, ts);
  };
  struct Pair {
    std::string name, initiator, responder;
  };
  const Pair pairs[] = {
      {"psk", conf("auth = psk\nid = moon.test", "auth = psk\nid = sun.test", "local_ts = 10.1.0.0/16\nremote_ts = 10.2.0.0/16"),
       conf("auth = psk\nid = sun.test", "auth = psk\nid = moon.test", "local_ts = 10.2.0.0/16\nremote_ts = 10.1.0.0/16")},
      {"certificates",
       conf("auth = pubkey\ncerts = ee-p256.pem", "auth = pubkey\ncacerts = int-rsa-pkcs1.pem", "mode = transport"),
       conf("auth = pubkey\ncerts = ee-rsa-pkcs1.pem", "auth = pubkey\ncacerts = int-p256.pem", "mode = transport")},
  };
  for (const Pair& p : pairs) {
    SCOPED_TRACE(p.name);
    auto initiator = ParseSwanctlConf(p.initiator, "initiator.conf", kDir);
    auto responder = ParseSwanctlConf(p.responder, "responder.conf", kDir);
    ASSERT_TRUE(initiator.ok()) << initiator.error().ToString();
    ASSERT_TRUE(responder.ok()) << responder.error().ToString();
    testing::Exchange exchange(IkeOf(*initiator, a, b), IkeOf(*responder, b, a));
    EXPECT_NE(exchange.Establish(), 0u);
    const ike::sa::IkeSa* sa = exchange.OnlyIkeSa(exchange.responder());
    ASSERT_NE(sa, nullptr);
    EXPECT_EQ(sa->children.size(), 1u);
  }
}

TEST(SwanctlConf, ConnectionCountBound) {
  std::string text = "secrets { ike { secret = s } }\nconnections {\n";
  for (size_t i = 0; i <= kMaxConnections; ++i)
    text += fmt::format(" c{} {{ local {{ auth = psk\n id = a }} remote {{ auth = psk }} }}\n", i);
  text += "}\n";
  auto config = ParseSwanctlConf(text, "t.conf", "/nonexistent");
  ASSERT_FALSE(config.ok());
  // Each connection takes two lines after the three of the head: c4096 starts at 3 + 2 * 4096.
  EXPECT_EQ(config.error().detail, "t.conf:8195: more than 4096 connections");
}

}  // namespace
}  // namespace ipsecref::gateway
