#include "reference/ike/sa/traffic_selectors.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace ipsecref::ike::sa {
namespace {

using iana::TsType;

//= ipsecref#choice
//# Protocol and service names are read from tables, not with getprotobyname
//# and getservbyname as strongSwan does: the same text means the same
//# selector on every machine, and a fuzzer reads no system file. The tables
//# hold netbase's /etc/protocols (Debian netbase 6.4; keyword and alias,
//# case as written there) and the well-known services of its /etc/services.
struct ProtocolName {
  uint8_t number;
  std::string_view keyword;
  std::string_view alias;
};
constexpr auto kProtocolNames = std::to_array<ProtocolName>({
    {0, "ip", "IP"},
    {0, "hopopt", "HOPOPT"},
    {1, "icmp", "ICMP"},
    {2, "igmp", "IGMP"},
    {3, "ggp", "GGP"},
    {4, "ipencap", "IP-ENCAP"},
    {5, "st", "ST"},
    {6, "tcp", "TCP"},
    {8, "egp", "EGP"},
    {9, "igp", "IGP"},
    {12, "pup", "PUP"},
    {17, "udp", "UDP"},
    {20, "hmp", "HMP"},
    {22, "xns-idp", "XNS-IDP"},
    {27, "rdp", "RDP"},
    {29, "iso-tp4", "ISO-TP4"},
    {33, "dccp", "DCCP"},
    {36, "xtp", "XTP"},
    {37, "ddp", "DDP"},
    {38, "idpr-cmtp", "IDPR-CMTP"},
    {41, "ipv6", "IPv6"},
    {43, "ipv6-route", "IPv6-Route"},
    {44, "ipv6-frag", "IPv6-Frag"},
    {45, "idrp", "IDRP"},
    {46, "rsvp", "RSVP"},
    {47, "gre", "GRE"},
    {50, "esp", "IPSEC-ESP"},
    {51, "ah", "IPSEC-AH"},
    {57, "skip", "SKIP"},
    {58, "ipv6-icmp", "IPv6-ICMP"},
    {59, "ipv6-nonxt", "IPv6-NoNxt"},
    {60, "ipv6-opts", "IPv6-Opts"},
    {73, "rspf", "RSPF"},
    {81, "vmtp", "VMTP"},
    {88, "eigrp", "EIGRP"},
    {89, "ospf", "OSPFIGP"},
    {93, "ax.25", "AX.25"},
    {94, "ipip", "IPIP"},
    {97, "etherip", "ETHERIP"},
    {98, "encap", "ENCAP"},
    {103, "pim", "PIM"},
    {108, "ipcomp", "IPCOMP"},
    {112, "vrrp", "VRRP"},
    {115, "l2tp", "L2TP"},
    {124, "isis", "ISIS"},
    {132, "sctp", "SCTP"},
    {133, "fc", "FC"},
    {135, "mobility-header", "Mobility-Header"},
    {136, "udplite", "UDPLite"},
    {137, "mpls-in-ip", "MPLS-in-IP"},
    {138, "manet", ""},
    {139, "hip", "HIP"},
    {140, "shim6", "Shim6"},
    {141, "wesp", "WESP"},
    {142, "rohc", "ROHC"},
    {143, "ethernet", "Ethernet"},
});

struct ServiceName {
  std::string_view name;
  uint16_t port;
};
constexpr auto kServiceNames = std::to_array<ServiceName>({
    {"ftp-data", 20},      {"ftp", 21},
    {"ssh", 22},           {"telnet", 23},
    {"smtp", 25},          {"mail", 25},
    {"domain", 53},        {"bootps", 67},
    {"bootpc", 68},        {"tftp", 69},
    {"http", 80},          {"www", 80},
    {"kerberos", 88},      {"kerberos5", 88},
    {"krb5", 88},          {"kerberos-sec", 88},
    {"pop3", 110},         {"pop-3", 110},
    {"sunrpc", 111},       {"portmapper", 111},
    {"ntp", 123},          {"netbios-ns", 137},
    {"imap2", 143},        {"imap", 143},
    {"snmp", 161},         {"snmp-trap", 162},
    {"snmptrap", 162},     {"bgp", 179},
    {"ldap", 389},         {"https", 443},
    {"microsoft-ds", 445}, {"isakmp", 500},
    {"syslog", 514},       {"submission", 587},
    {"ldaps", 636},        {"imaps", 993},
    {"pop3s", 995},        {"openvpn", 1194},
    {"radius", 1812},      {"nfs", 2049},
    {"mysql", 3306},       {"ms-wbt-server", 3389},
    {"ipsec-nat-t", 4500}, {"sip", 5060},
    {"xmpp-client", 5222}, {"jabber-client", 5222},
    {"postgresql", 5432},  {"postgres", 5432},
});

constexpr uint8_t kIcmp = 1;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint16_t kOpaqueStart = 65535;
constexpr uint16_t kOpaqueEnd = 0;

size_t AddressSize(TsType type) {
  switch (type) {
    case TsType::kIpv4AddrRange: return 4;
    case TsType::kIpv6AddrRange: return 16;
    default: return 0;
  }
}
TsType TypeOfSize(size_t size) { return size == 4 ? TsType::kIpv4AddrRange : TsType::kIpv6AddrRange; }
std::string_view Family(size_t size) { return size == 4 ? "IPv4" : "IPv6"; }

bool Icmp(uint8_t protocol) { return protocol == kIcmp || protocol == kIcmpv6; }
bool AnyPorts(const TrafficSelector& ts) { return ts.start_port == 0 && ts.end_port == 65535; }
bool OpaquePorts(const TrafficSelector& ts) { return ts.start_port == kOpaqueStart && ts.end_port == kOpaqueEnd; }

// ---------------------------------------------------------------- reading

// One entry of the list being read: its number (from 1), its text without
// the spaces around it, and where that text starts in the whole list.
struct Entry {
  size_t number = 0;
  std::string_view text;
  size_t offset = 0;
};

std::string Shown(std::string_view s) {
  constexpr size_t kMax = 64;
  return s.size() <= kMax ? std::string(s) : fmt::format("{}...", s.substr(0, kMax - 3));
}

// An error about `part` (a piece of e.text) of entry `e`.
Error Bad(const Entry& e, std::string_view part, std::string_view requirement, std::string why) {
  const size_t at = e.offset + static_cast<size_t>(part.data() - e.text.data());
  return MakeError(Code::kInvalidArgument, at, requirement,
                   fmt::format("traffic selector {} \"{}\": {}", e.number, Shown(e.text), why));
}

bool Blank(char c) { return c == ' ' || c == '\t'; }
std::string_view Trim(std::string_view s) {
  while (!s.empty() && Blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && Blank(s.back())) s.remove_suffix(1);
  return s;
}
bool Digit(char c) { return c >= '0' && c <= '9'; }
int HexDigit(char c) {
  if (Digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

//= ipsecref#choice
//# Numbers are decimal, or hex after 0x: the number formats swanctl.conf
//# documents. strongSwan reads ports and protocols with strtol(.., 0), which
//# also takes a leading zero for octal; such a number is refused rather than
//# read as something else than it looks.
Result<uint32_t> Number(const Entry& e, std::string_view s, uint32_t max, std::string_view what) {
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const std::string_view digits = hex ? s.substr(2) : s;
  const uint32_t base = hex ? 16 : 10;
  const bool valid = !digits.empty() && std::all_of(digits.begin(), digits.end(),
                                                    [&](char c) { return hex ? HexDigit(c) >= 0 : Digit(c); });
  if (!valid) return Bad(e, s, "", fmt::format("{} \"{}\" is not a number (decimal, or hex after 0x)", what, Shown(s)));
  if (!hex && digits.size() > 1 && digits[0] == '0')
    return Bad(e, s, "",
               fmt::format("{} \"{}\" has a leading zero, which strongSwan reads as octal; write it in decimal "
                           "or hex (0x)",
                           what, Shown(s)));
  uint64_t value = 0;
  for (char c : digits) {
    value = value * base + static_cast<uint32_t>(HexDigit(c));
    if (value > max) return Bad(e, s, "", fmt::format("{} {} is above {}", what, Shown(s), max));
  }
  return static_cast<uint32_t>(value);
}

// An IPv4 or IPv6 address in inet_pton's text form: 4 or 16 bytes.
std::optional<Bytes> ParseIp(std::string_view s) {
  constexpr size_t kLongest = 45;  // ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255
  // inet_pton stops at a NUL: "192.0.2.1\0junk" is no address.
  if (s.empty() || s.size() > kLongest || s.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string text(s);
  Bytes out(16);
  const bool v6 = s.find(':') != std::string_view::npos;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), out.data()) != 1) return std::nullopt;
  out.resize(v6 ? 16 : 4);
  return out;
}

Result<Bytes> Ip(const Entry& e, std::string_view s, std::string_view what) {
  std::optional<Bytes> ip = ParseIp(s);
  if (!ip) return Bad(e, s, "", fmt::format("{} \"{}\" is not an IPv4 or IPv6 address", what, Shown(s)));
  return *std::move(ip);
}

// The first and last address of the prefix of `bits` bits that holds `address`.
void PrefixRange(const Bytes& address, size_t bits, Bytes& first, Bytes& last) {
  first = last = address;
  for (size_t i = 0; i < address.size(); ++i) {
    const size_t kept = std::min<size_t>(8, bits > 8 * i ? bits - 8 * i : 0);
    const uint8_t mask = static_cast<uint8_t>(0xFF00u >> kept);
    first[i] = address[i] & mask;
    last[i] = address[i] | static_cast<uint8_t>(~mask);
  }
}

// The address part of an entry: "dynamic", an address, a prefix or a range.
Status ReadAddresses(const Entry& e, std::string_view part, ConfiguredSelector& out) {
  TrafficSelector& ts = out.selector;
  if (part == "dynamic") {
    out.dynamic = true;
    return OkStatus();
  }
  if (const size_t dash = part.find('-'); dash != std::string_view::npos) {
    const std::string_view from = Trim(part.substr(0, dash)), to = Trim(part.substr(dash + 1));
    TRY_ASSIGN(Bytes start, Ip(e, from, "range start"));
    TRY_ASSIGN(Bytes end, Ip(e, to, "range end"));
    if (start.size() != end.size())
      return Bad(e, to, "",
                 fmt::format("a range from an {} to an {} address: both ends must be of one family",
                             Family(start.size()), Family(end.size())));
    //= rfc7296#section-3.13.1
    //# A range's starting address is not above its ending address.
    if (end < start)
      return Bad(e, part, "rfc7296#section-3.13.1",
                 fmt::format("range start {} is above its end {}", Shown(from), Shown(to)));
    ts.ts_type = TypeOfSize(start.size());
    ts.starting_address = std::move(start);
    ts.ending_address = std::move(end);
    return OkStatus();
  }
  const size_t slash = part.find('/');
  const std::string_view address = part.substr(0, slash);
  TRY_ASSIGN(Bytes ip, Ip(e, address, "address"));
  const size_t bits = 8 * ip.size();
  size_t prefix = bits;
  if (slash != std::string_view::npos) {
    const std::string_view length = part.substr(slash + 1);
    if (length.empty() || length.size() > 3 || !std::all_of(length.begin(), length.end(), Digit))
      return Bad(e, length, "", fmt::format("prefix length \"{}\" is not a decimal number", Shown(length)));
    prefix = static_cast<size_t>(std::stoul(std::string(length)));
    if (prefix > bits)
      return Bad(
          e, length, "",
          fmt::format("prefix length {} is longer than an {} address ({} bits)", prefix, Family(ip.size()), bits));
  }
  ts.ts_type = TypeOfSize(ip.size());
  PrefixRange(ip, prefix, ts.starting_address, ts.ending_address);
  return OkStatus();
}

Result<uint8_t> Protocol(const Entry& e, std::string_view s) {
  if (s.empty() || s == "any") return uint8_t{0};
  for (const ProtocolName& p : kProtocolNames)
    if (s == p.keyword || (!p.alias.empty() && s == p.alias)) return p.number;
  if (!Digit(s.front()))
    return Bad(e, s, "",
               fmt::format("unknown protocol \"{}\" (a name of /etc/protocols such as tcp, udp, icmp, "
                           "ipv6-icmp, gre, or a number 0-255)",
                           Shown(s)));
  TRY_ASSIGN(uint32_t number, Number(e, s, 255, "protocol"));
  return static_cast<uint8_t>(number);
}

// A port number, or (`named`) a service name of the table.
Result<uint16_t> Port(const Entry& e, std::string_view s, bool named) {
  if (!s.empty() && Digit(s.front())) {
    TRY_ASSIGN(uint32_t number, Number(e, s, 65535, "port"));
    return static_cast<uint16_t>(number);
  }
  if (named)
    for (const ServiceName& service : kServiceNames)
      if (s == service.name) return service.port;
  return Bad(e, s, "",
             fmt::format("{} \"{}\" (any, opaque, a number 0-65535, a range of numbers such as 1024-65535, or a "
                         "service name such as http){}",
                         named ? "unknown port" : "port range bound is no number:", Shown(s),
                         s == "%any" ? "; swanctl.conf spells it any (%any is ipsec.conf's)" : ""));
}

// What is between "[" and "]": protocol, and after "/" the ports.
Status ReadProtoPort(const Entry& e, std::string_view inside, TrafficSelector& ts) {
  const size_t slash = inside.find('/');
  TRY_ASSIGN(ts.ip_protocol_id, Protocol(e, inside.substr(0, slash)));
  const std::string_view ports = slash == std::string_view::npos ? std::string_view() : inside.substr(slash + 1);
  if (ports.empty() || ports == "any") return OkStatus();
  if (ports == "opaque") {
    ts.start_port = kOpaqueStart;
    ts.end_port = kOpaqueEnd;
    return OkStatus();
  }
  // A service name (some hold a dash: ftp-data) or a number, else a range
  // of two numbers, as strongSwan reads them.
  const bool service = std::any_of(kServiceNames.begin(), kServiceNames.end(),
                                   [&](const ServiceName& known) { return known.name == ports; });
  const size_t dash = service ? std::string_view::npos : ports.find('-');
  const bool range = dash != std::string_view::npos;
  TRY_ASSIGN(ts.start_port, Port(e, ports.substr(0, dash), !range));
  ts.end_port = ts.start_port;
  if (range) {
    TRY_ASSIGN(ts.end_port, Port(e, ports.substr(dash + 1), false));
  }
  // swanctl.opt: for ICMP and IPv6-ICMP a port below 256 is a message type
  // (the high octet), one from 256 up is type * 256 + code. The ends are
  // compared once both are mapped: 1128-129 is 0x0468-0x8100.
  const bool icmp = Icmp(ts.ip_protocol_id);
  if (icmp && ts.start_port < 256) ts.start_port = static_cast<uint16_t>(ts.start_port << 8);
  if (icmp && ts.end_port < 256) ts.end_port = static_cast<uint16_t>(ts.end_port << 8);
  //= rfc7296#section-3.13.1
  //# A port range's start is not above its end (OPAQUE aside).
  if (ts.start_port > ts.end_port)
    return Bad(e, ports, "rfc7296#section-3.13.1",
               icmp ? fmt::format("ICMP type and code {} run backwards ({} is above {})", Shown(ports), ts.start_port,
                                  ts.end_port)
                    : fmt::format("start port {} is above end port {}", ts.start_port, ts.end_port));
  return OkStatus();
}

Result<ConfiguredSelector> ReadEntry(const Entry& e) {
  ConfiguredSelector out;
  std::string_view addresses = e.text;
  if (const size_t open = e.text.find('['); open != std::string_view::npos) {
    addresses = Trim(e.text.substr(0, open));
    const std::string_view rest = e.text.substr(open + 1);
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return Bad(e, e.text.substr(open), "", "\"[\" without a closing \"]\"");
    if (close + 1 != rest.size())
      return Bad(e, rest.substr(close + 1), "", fmt::format("\"{}\" after \"]\"", Shown(rest.substr(close + 1))));
    const std::string_view inside = rest.substr(0, close);
    if (const size_t nested = inside.find('['); nested != std::string_view::npos)
      return Bad(e, inside.substr(nested), "", "a second \"[\"");
    TRY(ReadProtoPort(e, inside, out.selector));
  }
  if (addresses.empty())
    return Bad(e, e.text, "", "no address before \"[\" (an address, a prefix, a range or dynamic)");
  TRY(ReadAddresses(e, addresses, out));
  return out;
}

// ---------------------------------------------------------------- writing


// The prefix length that makes start..end a prefix, if any.
std::optional<size_t> PrefixLength(const Bytes& start, const Bytes& end) {
  Bytes first, last;
  for (size_t bits = 0; bits <= 8 * start.size(); ++bits) {
    PrefixRange(start, bits, first, last);
    if (first == start && last == end) return bits;
  }
  return std::nullopt;
}

std::string ProtocolText(uint8_t number) {
  if (number == 0) return "any";
  for (const ProtocolName& p : kProtocolNames)
    if (p.number == number) return std::string(p.keyword);
  return std::to_string(number);
}

// A port bound as the syntax reads it back.
std::string PortText(uint8_t protocol, uint16_t port) {
  if (!Icmp(protocol)) return std::to_string(port);
  const unsigned type = port >> 8, code = port & 0xFF;
  if (code == 0) return std::to_string(type);
  if (port >= 256) return std::to_string(port);
  return fmt::format("{}({})", type, code);  // type 0 with a code: no spelling (refused when read)
}

std::string ProtoPortText(const TrafficSelector& ts) {
  if (AnyPorts(ts)) return ts.ip_protocol_id == 0 ? "" : fmt::format("[{}]", ProtocolText(ts.ip_protocol_id));
  std::string ports;
  if (OpaquePorts(ts))
    ports = "opaque";
  else if (ts.start_port == ts.end_port)
    ports = PortText(ts.ip_protocol_id, ts.start_port);
  else
    ports = fmt::format("{}-{}", PortText(ts.ip_protocol_id, ts.start_port), PortText(ts.ip_protocol_id, ts.end_port));
  return fmt::format("[{}/{}]", ProtocolText(ts.ip_protocol_id), ports);
}

// ---------------------------------------------------------------- sets

// Intersection, for two selectors known to hold packets.
std::optional<TrafficSelector> IntersectionHeld(const TrafficSelector& a, const TrafficSelector& b) {
  if (a.ts_type != b.ts_type) return std::nullopt;
  if (a.ip_protocol_id != 0 && b.ip_protocol_id != 0 && a.ip_protocol_id != b.ip_protocol_id) return std::nullopt;
  TrafficSelector out;
  out.ts_type = a.ts_type;
  out.ip_protocol_id = std::max(a.ip_protocol_id, b.ip_protocol_id);  // the one that is not 0, if any
  if (AnyPorts(a) || AnyPorts(b)) {
    const TrafficSelector& narrower = AnyPorts(a) ? b : a;
    out.start_port = narrower.start_port;
    out.end_port = narrower.end_port;
  } else if (OpaquePorts(a) || OpaquePorts(b)) {
    if (!OpaquePorts(a) || !OpaquePorts(b)) return std::nullopt;
    out.start_port = kOpaqueStart;
    out.end_port = kOpaqueEnd;
  } else {
    out.start_port = std::max(a.start_port, b.start_port);
    out.end_port = std::min(a.end_port, b.end_port);
    if (out.start_port > out.end_port) return std::nullopt;
  }
  out.starting_address = std::max(a.starting_address, b.starting_address);
  out.ending_address = std::min(a.ending_address, b.ending_address);
  if (out.ending_address < out.starting_address) return std::nullopt;
  return out;
}

// Contains, for two selectors known to hold packets: the cheap fields first.
bool ContainsHeld(const TrafficSelector& outer, const TrafficSelector& inner) {
  if (outer.ts_type != inner.ts_type) return false;
  if (outer.ip_protocol_id != 0 && outer.ip_protocol_id != inner.ip_protocol_id) return false;
  //= rfc4301#section-4.4.1
  //# ANY ports hold OPAQUE; OPAQUE holds only itself.
  const bool ports =
      AnyPorts(outer) || (OpaquePorts(inner) ? OpaquePorts(outer)
                                             : !OpaquePorts(outer) && outer.start_port <= inner.start_port &&
                                                   inner.end_port <= outer.end_port);
  return ports && !(inner.starting_address < outer.starting_address) && !(outer.ending_address < inner.ending_address);
}

// Keeps `kept` free of redundancy while adding `ts`: nothing is added when
// one of them contains it; otherwise it replaces the first one it contains
// (the others it contains go), or comes last while there is room. Every
// selector here holds packets.
void AddUnlessContained(std::vector<TrafficSelector>& kept, TrafficSelector ts) {
  if (std::any_of(kept.begin(), kept.end(), [&](const TrafficSelector& k) { return ContainsHeld(k, ts); })) return;
  const auto first =
      std::find_if(kept.begin(), kept.end(), [&](const TrafficSelector& k) { return ContainsHeld(ts, k); });
  if (first == kept.end()) {
    if (kept.size() < kMaxTrafficSelectors) kept.push_back(std::move(ts));
    return;
  }
  const auto rest =
      std::remove_if(std::next(first), kept.end(), [&](const TrafficSelector& k) { return ContainsHeld(ts, k); });
  kept.erase(rest, kept.end());
  *first = std::move(ts);
}

Result<std::vector<ConfiguredSelector>> ParseList(std::string_view text, bool allow_dynamic) {
  ENSURE(!Trim(text).empty(), kInvalidArgument, 0, "", "the traffic selector list is empty");
  std::vector<ConfiguredSelector> out;
  size_t start = 0;
  for (size_t number = 1;; ++number) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view raw = text.substr(start, comma - start);
    const std::string_view trimmed = Trim(raw);
    // An empty entry is shown where it begins, a non-empty one at its first character.
    const size_t skipped = trimmed.empty() ? 0 : static_cast<size_t>(trimmed.data() - raw.data());
    const Entry e{number, trimmed.empty() ? raw.substr(0, 0) : trimmed, start + skipped};
    if (number > kMaxTrafficSelectors)
      return Bad(e, e.text, "rfc7296#section-3.13",
                 fmt::format("more than {} traffic selectors: a TS payload carries at most {}", kMaxTrafficSelectors,
                             kMaxTrafficSelectors));
    if (trimmed.empty()) return Bad(e, e.text, "", "empty entry (two commas, or a comma at an end)");
    TRY_ASSIGN(ConfiguredSelector selector, ReadEntry(e));
    if (selector.dynamic && !allow_dynamic)
      return Bad(e, e.text, "", "dynamic stands for the IKE SA's address, which is not known here; name the addresses");
    out.push_back(std::move(selector));
    if (comma == text.size()) return out;
    start = comma + 1;
  }
}

}  // namespace

Result<std::vector<ConfiguredSelector>> ParseConfiguredSelectors(std::string_view text) {
  return ParseList(text, /*allow_dynamic=*/true);
}

Result<std::vector<TrafficSelector>> ParseTrafficSelectors(std::string_view text) {
  TRY_ASSIGN(std::vector<ConfiguredSelector> list, ParseList(text, /*allow_dynamic=*/false));
  std::vector<TrafficSelector> out;
  out.reserve(list.size());
  for (ConfiguredSelector& entry : list) out.push_back(std::move(entry.selector));
  return out;
}

Result<std::vector<TrafficSelector>> Resolve(const std::vector<ConfiguredSelector>& list, ByteSpan address) {
  ENSURE(address.size() == 4 || address.size() == 16, kInvalidArgument, kNoOffset, "",
         fmt::format("dynamic resolves to an IPv4 or IPv6 address (4 or 16 bytes), not {} bytes", address.size()));
  const bool unspecified = std::all_of(address.begin(), address.end(), [](uint8_t b) { return b == 0; });
  std::vector<TrafficSelector> out, others;
  for (const ConfiguredSelector& entry : list) {
    TrafficSelector ts = entry.selector;
    if (entry.dynamic) {
      ts.ts_type = TypeOfSize(address.size());
      ts.starting_address.assign(address.begin(), address.end());
      ts.ending_address = unspecified ? Bytes(address.size(), 0xFF) : ts.starting_address;
    }
    if (HoldsPackets(ts))
      AddUnlessContained(out, std::move(ts));
    else
      others.push_back(std::move(ts));  // another TS type: nothing to compare it with
  }
  for (TrafficSelector& ts : others)
    if (out.size() < kMaxTrafficSelectors) out.push_back(std::move(ts));
  return out;
}

std::string FormatTrafficSelector(const TrafficSelector& ts) {
  const size_t size = AddressSize(ts.ts_type);
  if (size == 0 || ts.starting_address.size() != size || ts.ending_address.size() != size) return DescribeTs(ts);
  std::string addresses;
  if (const std::optional<size_t> prefix = PrefixLength(ts.starting_address, ts.ending_address))
    addresses = fmt::format("{}/{}", AddressText(ts.starting_address), *prefix);
  else
    addresses = fmt::format("{}-{}", AddressText(ts.starting_address), AddressText(ts.ending_address));
  return addresses + ProtoPortText(ts);
}

std::string FormatConfiguredSelectors(const std::vector<ConfiguredSelector>& list) {
  std::string out;
  for (const ConfiguredSelector& entry : list) {
    if (!out.empty()) out += ", ";
    out += entry.dynamic ? "dynamic" + ProtoPortText(entry.selector) : FormatTrafficSelector(entry.selector);
  }
  return out;
}

bool HoldsPackets(const TrafficSelector& ts) {
  const size_t size = AddressSize(ts.ts_type);
  return size != 0 && ts.starting_address.size() == size && ts.ending_address.size() == size && ts.other.empty() &&
         !(ts.ending_address < ts.starting_address) && (OpaquePorts(ts) || ts.start_port <= ts.end_port);
}

bool Contains(const TrafficSelector& outer, const TrafficSelector& inner) {
  return HoldsPackets(outer) && HoldsPackets(inner) && ContainsHeld(outer, inner);
}

std::optional<TrafficSelector> Intersection(const TrafficSelector& a, const TrafficSelector& b) {
  if (!HoldsPackets(a) || !HoldsPackets(b)) return std::nullopt;
  return IntersectionHeld(a, b);
}

std::vector<TrafficSelector> Intersect(const std::vector<TrafficSelector>& ours,
                                       const std::vector<TrafficSelector>& offered) {
  std::vector<const TrafficSelector*> held;
  for (const TrafficSelector& u : ours)
    if (HoldsPackets(u)) held.push_back(&u);
  std::vector<TrafficSelector> out;
  for (const TrafficSelector& o : offered) {
    if (!HoldsPackets(o)) continue;
    for (const TrafficSelector* u : held)
      if (std::optional<TrafficSelector> both = IntersectionHeld(*u, o)) AddUnlessContained(out, *std::move(both));
  }
  return out;
}

std::optional<Narrowed> NarrowForResponder(const std::vector<TrafficSelector>& local,
                                           const std::vector<TrafficSelector>& remote, const TsPayload& tsi,
                                           const TsPayload& tsr) {
  Narrowed narrowed{Intersect(remote, tsi.traffic_selectors), Intersect(local, tsr.traffic_selectors)};
  if (narrowed.tsi.empty() || narrowed.tsr.empty()) return std::nullopt;
  return narrowed;
}

Status CheckNarrowed(const TsPayload& offered, const TsPayload& answered) {
  const std::vector<TrafficSelector>& ours = offered.traffic_selectors;
  const std::vector<TrafficSelector>& theirs = answered.traffic_selectors;
  ENSURE(!theirs.empty(), kInvalidSyntax, kNoOffset, "rfc7296#section-2.9",
         "the answer holds no traffic selector; a responder narrows to a non-empty subset or answers "
         "TS_UNACCEPTABLE");
  for (size_t i = 0; i < theirs.size(); ++i) {
    const TrafficSelector& ts = theirs[i];
    ENSURE(HoldsPackets(ts), kInvalidSyntax, kNoOffset, "rfc7296#section-2.9",
           fmt::format("answered traffic selector {} of {} ({}) is no IPv4 or IPv6 range of packets; a responder "
                       "answers only selectors it understood within the offered ones",
                       i + 1, theirs.size(), FormatTrafficSelector(ts)));
    const bool within =
        std::any_of(ours.begin(), ours.end(), [&](const TrafficSelector& o) { return Contains(o, ts); });
    if (within) continue;
    std::string offered_text;
    constexpr size_t kShown = 4;
    for (size_t j = 0; j < ours.size() && j < kShown; ++j)
      offered_text += fmt::format("{}{}", j ? ", " : "", FormatTrafficSelector(ours[j]));
    if (ours.size() > kShown) offered_text += fmt::format(", ... ({} in all)", ours.size());
    return MakeError(Code::kInvalidSyntax, kNoOffset, "rfc7296#section-2.9",
                     fmt::format("answered traffic selector {} of {} ({}) lies within none of the offered ones "
                                 "({}); a responder may only narrow what the initiator proposed",
                                 i + 1, theirs.size(), FormatTrafficSelector(ts), offered_text));
  }
  return OkStatus();
}

}  // namespace ipsecref::ike::sa
