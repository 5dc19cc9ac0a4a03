// The swanctl.conf reader: a full configuration in strongSwan's syntax
// (vectors/swanctl/swanctl/swanctl.conf, its credentials converted from
// vectors/x509 by openssl), the settings syntax, identities, PSK selection,
// and every refusal with its file:line.
#include "reference/gateway/swanctl_conf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "reference/gateway/identity.h"
#include "reference/gateway/settings.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/sa/traffic_selectors.h"

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
  EXPECT_EQ(ecdsa->ike.remote_id, (ike::IdPayload{IdType::kDerAsn1Dn, ReadVector("vectors/x509/ee-p384.subject.der")}));
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
  std::string_view text;
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
      {"include /dev/null\n", Code::kIoError, "t.conf:1: include '/dev/null': '/dev/null' is not a regular file"},
      {"include nothing-matches-*.conf\n", Code::kInvalidArgument,
       "t.conf:2: unknown keyword 'x' (accepted: connections, secrets, authorities, manual)"},
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
      {"O=ipsecref, OU=vectors, CN=ee-p256.ipsecref.test", false, IdType::kDerAsn1Dn,
       ReadVector("vectors/x509/ee-p256.subject.der")},
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
      Conn("send_cert = always"), Conn("local_addrs = gw.example"), Conn("local_port = 0"),
      Conn("rekey_time = 1w"), Conn("dpd_delay = -1"), Conn("proposals = aes128-md5-modp1024"),
      Conn("proposals = aes128"), Conn("updown = /bin/true"), Conn("local-2 { auth = psk }"),
      Child("mode = beet"), Child("mode = tunnl"), Child("start_action = trap|start"), Child("dpd_action = hold"),
      Child("updown = /bin/true"), Child("local_ts = 10.0.0.0/33"), Child("esp_proposals = aes128-prfsha256"),
      Child("ah_proposals = sha256"), Child("rand_time = 1m"), Child("rekey_time = 2h\nlife_time = 1h"),
  };
  const std::pair<Code, std::string_view> expected[] = {
      {Code::kUnsupported, "t.conf:3: version = '1': IKEv1 is not supported"},
      {Code::kInvalidArgument, "t.conf:3: version = '3': accepted values: 0, 2"},
      {Code::kUnsupported, "t.conf:3: mobike = 'yes': MOBIKE is not supported"},
      {Code::kUnsupported, "t.conf:3: pools = 'p': virtual IP address pools are not supported"},
      {Code::kUnsupported, "t.conf:3: reauth_time = '1h': reauthentication is not supported (only 0)"},
      {Code::kUnsupported, "t.conf:3: keyingtries = '0': the gateway makes one keying attempt (only 1)"},
      {Code::kUnsupported, "t.conf:3: unique = 'replace': unique identities are not enforced"},
      {Code::kInvalidArgument, "t.conf:3: fragmentation = 'maybe': accepted values: yes, accept, no"},
      {Code::kUnsupported, "t.conf:3: childless = 'never': refusing childless IKE SAs (never) is not supported"},
      {Code::kUnsupported, "t.conf:3: send_cert = 'always': certificates are sent only when asked (ifasked)"},
      {Code::kInvalidArgument,
       "t.conf:3: local_addrs = 'gw.example': 'gw.example' is not an IPv4 or IPv6 address or %any (host names, "
       "ranges and subnets are not supported)"},
      {Code::kInvalidArgument, "t.conf:3: local_port = '0': port 0"},
      {Code::kInvalidArgument,
       "t.conf:3: rekey_time = '1w': not a duration (a number of seconds, or with the unit s, m, h or d; at most "
       "315360000 s)"},
      {Code::kInvalidArgument,
       "t.conf:3: dpd_delay = '-1': not a duration (a number of seconds, or with the unit s, m, h or d; at most "
       "315360000 s)"},
      {Code::kUnsupported, ""},  // the proposal parser's own words follow the prefix
      {Code::kInvalidArgument, ""},
      {Code::kInvalidArgument, ""},
      {Code::kUnsupported,
       "t.conf:4: 'local': more than one authentication round (first: 'local-2' at t.conf:3) is not supported"},
      {Code::kUnsupported, "t.conf:4: mode = 'beet': BEET mode is not supported"},
      {Code::kInvalidArgument, "t.conf:4: mode = 'tunnl': accepted values: tunnel, transport"},
      {Code::kUnsupported, "t.conf:4: start_action = 'trap|start': combined start actions (strongSwan 6) are not supported"},
      {Code::kInvalidArgument, "t.conf:4: dpd_action = 'hold': accepted values: clear, none, trap, restart"},
      {Code::kInvalidArgument, ""},
      {Code::kInvalidArgument, ""},
      {Code::kInvalidArgument, ""},
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
    if (expected[i].second.empty()) fprintf(stderr, "DETAIL %s\n", config.error().detail.c_str());
    if (!expected[i].second.empty()) EXPECT_EQ(config.error().detail, expected[i].second);
    else EXPECT_TRUE(config.error().detail.starts_with("t.conf:")) << config.error().detail;
  }
}

}  // namespace
}  // namespace ipsecref::gateway
