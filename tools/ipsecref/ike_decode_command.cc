// ipsecref ike-decode [INPUT] [--keys DIR] [--json]: decodes IKE messages
// (hex, one message per line, or the IKE traffic of a pcap), decrypts their
// SK payloads when keys are known, validates each against the payload rules
// and the exchange rule tables, and prints a tree of payloads. A message
// whose header says major version 1 is IKEv1 (ISAKMP): decoded by
// reference/ikev1 and, when the keys name its ISAKMP SA
// (ikev1_decryption_table, or keys.json's pre-shared key and g^xy),
// decrypted. Exit 1 when any message is malformed or breaks a requirement.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reference/ike/wire/describe.h"
#include "reference/ike/wire/rules.h"
#include "reference/ikev1/describe.h"
#include "interop/check/ike_judge.h"
#include "reference/io/ike_messages.h"
#include "reference/io/keys_csv.h"
#include "reference/io/text_lines.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"

namespace ipsecref::tool {
namespace {

using nlohmann::json;

struct Args {
  std::string input = "-";
  std::string keys;
  bool json = false;
};

// One message to decode and where it came from.
struct Input {
  std::string where;  // "line 3" or "frame 7 192.0.2.1:500 -> 192.0.2.2:500"
  Bytes datagram;
};

// Decode, decrypt and validate: the reference's per-message judgement.
struct Outcome : io::IkeMessageOutcome {
  std::string fragment_state;  // SKF: "fragment kept for reassembly"
};

using Ikev1Outcome = io::Ikev1MessageOutcome;

bool IsPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint8_t magic[4] = {};
  if (!in.read(reinterpret_cast<char*>(magic), 4)) return false;
  const uint32_t m = LoadU32(magic);
  return m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1 || m == 0x0a0d0d0a;
}

using InputSink = std::function<Status(const Input&)>;

//= ipsecref#choice
//# A hex line holds one IKE message, at most 65535 bytes (UDP's and RFC
//# 8229's TCP length fields are 16 bits): 1 MiB of text leaves room for
//# separators and a comment. A longer line is refused before it is read
//# whole, so that any input is read in bounded memory.
constexpr size_t kMaxHexLine = 1 << 20;

// Each message as its line is read: the first is decoded before the rest
// of the input is read.
Status ReadHex(const std::string& path, const InputSink& sink) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    ENSURE(file.good(), kIoError, kNoOffset, "", fmt::format("cannot open {}", path));
    in = &file;
  }
  const std::string name = path == "-" ? "stdin" : path;
  return io::ForEachLineIn(*in, name, kMaxHexLine, [&](std::string_view line, size_t number) -> Status {
    std::string hex;
    for (char c : line) {
      if (c == '#') break;
      if (!std::isspace(static_cast<unsigned char>(c)) && c != ':') hex += c;
    }
    if (hex.empty()) return OkStatus();
    auto bytes = FromHex(hex);
    ENSURE(bytes.ok(), kBadHex, kNoOffset, "",
           fmt::format("{} line {}: {}", name, number, bytes ? "" : bytes.error().ToString()));
    return sink({fmt::format("line {}", number), std::move(bytes).value()});
  });
}

// Each IKE message as the capture is read, record by record.
Status ReadCapture(const std::string& path, const InputSink& sink) {
  return io::ForEachIkeMessage(path, [&sink](io::CapturedIke m) {
    return sink({fmt::format("frame {} {}:{} -> {}:{}", m.packet_number, m.src, m.sport, m.dst,
                             m.dport),
                 std::move(m.message)});
  });
}

Outcome Process(const Input& input, io::IkeKeyRing* keys) {
  Outcome out{io::JudgeIkeMessage(input.datagram, keys), {}};
  if (out.fragment_kept) out.fragment_state = "fragment kept for reassembly";
  return out;
}

bool Failed(const Outcome& o) { return o.failed(); }

std::string NotifyText(const Error& e, bool response, iana::ExchangeType exchange) {
  const auto notify = ike::NotifyFor(e, response, exchange);
  if (notify) return fmt::format("a responder answers {}", ike::NotifyName(*notify));
  return response ? "responses are never answered" : "dropped without an answer";
}

void PrintNode(const ike::Node& n, int depth) {
  std::string fields;
  for (const auto& [k, v] : n.fields)
    if (k != "offset") fields += fmt::format("{}{}: {}", fields.empty() ? "" : ", ", k, v);
  fmt::print("{:{}}{}{}{}\n", "", depth * 2, n.name, fields.empty() ? "" : "  ", fields);
  for (const ike::Node& c : n.children) PrintNode(c, depth + 1);
}

void PrintText(const Input& input, const Outcome& o) {
  fmt::print("== {}\n", input.where);
  if (o.decode_error) {
    fmt::print("  MALFORMED: {}\n    -> {}\n", o.decode_error->ToString(), NotifyText(*o.decode_error, o.response, o.exchange));
    return;
  }
  const ike::Message& m = *o.message;
  PrintNode(ike::DescribeMessage(m), 1);
  if (m.Encrypted() != nullptr && !m.decrypted)
    fmt::print("  (encrypted payloads not decrypted{})\n", o.fragment_state.empty() ? ": no keys for these SPIs"
                                                                                    : ": " + o.fragment_state);
  if (o.decrypt_error)
    fmt::print("  DECRYPTION FAILED: {}\n    -> {}\n", o.decrypt_error->ToString(),
               NotifyText(*o.decrypt_error, m.header.response(), m.header.exchange_type));
  for (const Error& note : m.notes) fmt::print("  note: {}\n", note.ToString());
  for (const ike::Violation& v : o.validation.violations)
    fmt::print("  VIOLATION: {}\n    -> {}\n", v.error.ToString(), NotifyText(v.error, m.header.response(), m.header.exchange_type));
  if (!Failed(o))
    fmt::print("  ok: {}\n", o.validation.shape ? o.validation.shape->name : "exchange without rule table");
}

void PrintIkev1Text(const Input& input, const Ikev1Outcome& o) {
  fmt::print("== {}\n", input.where);
  if (o.decode_error) {
    fmt::print("  MALFORMED: {}\n", o.decode_error->ToString());
    return;
  }
  const ikev1::Message& m = *o.message;
  PrintNode(ikev1::DescribeMessage(m), 1);
  if (m.header.encrypted() && !m.decrypted && !o.decrypt_error)
    fmt::print("  (IKEv1 payloads encrypted: not decrypted: no key for initiator cookie {:016x})\n",
               m.header.initiator_cookie);
  if (o.decrypt_error) fmt::print("  DECRYPTION FAILED: {}\n", o.decrypt_error->ToString());
  for (const Error& note : m.notes) fmt::print("  note: {}\n", note.ToString());
  for (const Error& v : o.violations) fmt::print("  VIOLATION: {}\n", v.ToString());
  if (!o.failed()) fmt::print("  ok: IKEv1 {}\n", ikev1::ExchangeLabel(m.header.exchange_type));
}

json NodeJson(const ike::Node& n) {
  json fields = json::object();
  for (const auto& [k, v] : n.fields) {
    if (!fields.contains(k)) fields[k] = v;
    else if (fields[k].is_array()) fields[k].push_back(v);
    else fields[k] = json::array({fields[k], v});
  }
  json j = {{"name", n.name}, {"fields", fields}};
  if (!n.children.empty()) {
    j["children"] = json::array();
    for (const ike::Node& c : n.children) j["children"].push_back(NodeJson(c));
  }
  return j;
}

json ErrorJson(const Error& e, bool response, iana::ExchangeType exchange) {
  json j = {{"code", Describe(e.code).name}, {"text", e.ToString()}, {"detail", e.detail}};
  if (e.offset != kNoOffset) j["offset"] = e.offset;
  if (!e.requirement.empty()) j["requirement"] = e.requirement;
  const auto notify = ike::NotifyFor(e, response, exchange);
  j["notify"] = notify ? json(ike::NotifyName(*notify)) : json(nullptr);
  return j;
}

json Ikev1ErrorJson(const Error& e) {
  json j = {{"code", Describe(e.code).name}, {"text", e.ToString()}, {"detail", e.detail}};
  if (e.offset != kNoOffset) j["offset"] = e.offset;
  if (!e.requirement.empty()) j["requirement"] = e.requirement;
  return j;
}

json Ikev1OutcomeJson(const Input& input, const Ikev1Outcome& o) {
  json j = {{"input", input.where}, {"ok", !o.failed()}, {"ike_version", 1}};
  if (o.decode_error) {
    j["malformed"] = Ikev1ErrorJson(*o.decode_error);
    return j;
  }
  const ikev1::Message& m = *o.message;
  j["message"] = NodeJson(ikev1::DescribeMessage(m));
  j["encrypted"] = m.header.encrypted();
  j["decrypted"] = m.decrypted;
  if (o.decrypt_error) j["decryption_error"] = Ikev1ErrorJson(*o.decrypt_error);
  j["violations"] = json::array();
  for (const Error& v : o.violations) j["violations"].push_back(Ikev1ErrorJson(v));
  j["notes"] = json::array();
  for (const Error& note : m.notes) j["notes"].push_back(note.ToString());
  return j;
}

json OutcomeJson(const Input& input, const Outcome& o) {
  json j = {{"input", input.where}, {"ok", !Failed(o)}};
  if (o.decode_error) {
    j["malformed"] = ErrorJson(*o.decode_error, o.response, o.exchange);
    return j;
  }
  const ike::Message& m = *o.message;
  j["message"] = NodeJson(ike::DescribeMessage(m));
  j["decrypted"] = m.decrypted;
  if (o.validation.shape) j["shape"] = o.validation.shape->name;
  if (o.decrypt_error) j["decryption_error"] = ErrorJson(*o.decrypt_error, m.header.response(), m.header.exchange_type);
  j["violations"] = json::array();
  for (const ike::Violation& v : o.validation.violations)
    j["violations"].push_back(ErrorJson(v.error, m.header.response(), m.header.exchange_type));
  j["notes"] = json::array();
  for (const Error& note : m.notes) j["notes"].push_back(note.ToString());
  return j;
}

int Run(const Args& args) {
  const auto fail = [&args](const Error& e) { return Fail("ike-decode", e, args.json); };
  if (args.input != "-")
    if (Status s = CheckInput("", args.input); !s) return fail(s.error());
  if (!args.keys.empty())
    if (Status s = CheckInput("--keys", args.keys, InputKind::kFileOrDirectory); !s) return fail(s.error());
  std::optional<io::IkeKeyRing> keys;
  io::Ikev1KeyRing v1_keys({});
  if (!args.keys.empty()) {
    auto store = io::KeyStore::Load(args.keys);
    if (!store) return fail(store.error());
    if (store->ike_sas().empty() && store->ikev1_sas().empty())
      return fail(MakeError(Code::kIoError, kNoOffset, "",
                            fmt::format("{} holds no IKE keys (ikev2_decryption_table, ikev1_decryption_table, "
                                        "keys.csv ike records, keys.json ike or ikev1 entries)",
                                        args.keys)));
    keys.emplace(store->ike_sas());
    v1_keys = io::Ikev1KeyRing(store->ikev1_sas());
  }
  // Each message is printed as it is judged (JSON: one element of the array
  // at a time, indented as a whole array would be).
  size_t messages = 0, failed = 0;
  const InputSink judge = [&](const Input& input) -> Status {
    //= rfc2408#section-3.1
    //# ISAKMP's header has IKEv2's layout; its major version, 1, tells an
    //# IKEv1 message apart.
    const bool v1 = ikev1::IsIkev1(input.datagram);
    std::optional<Outcome> o;
    std::optional<Ikev1Outcome> o1;
    if (v1) o1 = v1_keys.Judge(input.datagram);
    else o = Process(input, keys ? &*keys : nullptr);
    failed += (v1 ? o1->failed() : Failed(*o)) ? 1 : 0;
    if (args.json) {
      std::string element = DumpJson(v1 ? Ikev1OutcomeJson(input, *o1) : OutcomeJson(input, *o));
      std::string indented = "  ";
      for (char c : element) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
      fmt::print("{}\n{}", messages == 0 ? "[" : ",", indented);
    } else if (v1) {
      PrintIkev1Text(input, *o1);
    } else {
      PrintText(input, *o);
    }
    ++messages;
    return OkStatus();
  };
  const Status read = args.input != "-" && IsPcap(args.input) ? ReadCapture(args.input, judge)
                                                              : ReadHex(args.input, judge);
  // An input that breaks off: with --json, the error object when nothing was
  // printed yet, else the array of what was judged and the error on stderr.
  if (!read.ok() && (!args.json || messages == 0)) return fail(read.error());
  if (args.json) fmt::print("{}\n", messages == 0 ? "[]" : "\n]");
  if (!read.ok()) return Fail("ike-decode", read.error(), /*json=*/false);
  if (!args.json) fmt::print("{} messages, {} malformed or breaking a requirement\n", messages, failed);
  return failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace

void AddIkeDecodeCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "ike-decode", "Decode and validate IKE messages (IKEv2; IKEv1 by its header's version): hex lines (stdin by default) or a pcap's IKE traffic");
  cmd->add_option("input", args->input, "pcap/pcapng file, or a text file of hex messages (one per line); - = stdin");
  cmd->add_option("--keys", args->keys,
                  "keys to decrypt SK payloads (IKEv2) and ISAKMP SAs (IKEv1): Wireshark's "
                  "ikev2_decryption_table or ikev1_decryption_table, a keys.csv, a keys.json, or a directory "
                  "holding them")
      ->check(NotEmpty());
  cmd->add_flag("--json", args->json, "print JSON for machines");
  cmd->callback([&run, args] { run = [args] { return Run(*args); }; });
}

}  // namespace ipsecref::tool
