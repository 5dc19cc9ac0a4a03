// ipsecref ike-decode [INPUT] [--keys DIR] [--json]: decodes IKEv2 messages
// (hex, one message per line, or the IKE traffic of a pcap), decrypts their
// SK payloads when keys are known, validates each against the payload rules
// and the exchange rule tables, and prints a tree of payloads. Exit 1 when
// any message is malformed or breaks a requirement.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "reference/ike/wire/describe.h"
#include "reference/ike/wire/protection.h"
#include "reference/ike/wire/rules.h"
#include "reference/io/ike_messages.h"
#include "reference/io/ikev2_table.h"
#include "reference/io/keys_csv.h"
#include "reference/io/text_lines.h"
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

struct Outcome {
  std::optional<ike::Message> message;
  std::optional<Error> decode_error;  // the message did not decode
  std::optional<Error> decrypt_error;
  std::string fragment_state;         // SKF: "fragment 1 of 2 stored"
  ike::Validation validation;
  bool response = false;
};

bool IsPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint8_t magic[4] = {};
  if (!in.read(reinterpret_cast<char*>(magic), 4)) return false;
  const uint32_t m = LoadU32(magic);
  return m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1 || m == 0x0a0d0d0a;
}

Result<std::vector<Input>> ReadHex(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path);
    ENSURE(file.good(), kIoError, kNoOffset, "", fmt::format("cannot open {}", path));
    in = &file;
  }
  std::stringstream text;
  text << in->rdbuf();
  std::vector<Input> inputs;
  size_t line_number = 0;
  std::istringstream lines(text.str());
  std::string line;
  while (std::getline(lines, line)) {
    ++line_number;
    std::string hex;
    for (char c : line) {
      if (c == '#') break;
      if (!std::isspace(static_cast<unsigned char>(c)) && c != ':') hex += c;
    }
    if (hex.empty()) continue;
    auto bytes = FromHex(hex);
    ENSURE(bytes.ok(), kBadHex, kNoOffset, "",
           fmt::format("{} line {}: {}", path == "-" ? "stdin" : path, line_number,
                       bytes ? "" : bytes.error().ToString()));
    inputs.push_back({fmt::format("line {}", line_number), std::move(bytes).value()});
  }
  return inputs;
}

Result<std::vector<Input>> ReadCapture(const std::string& path) {
  TRY_ASSIGN(auto messages, io::ReadIkeMessages(path));
  std::vector<Input> inputs;
  for (auto& m : messages)
    inputs.push_back({fmt::format("frame {} {}:{} -> {}:{}", m.packet_number, m.src, m.sport, m.dst, m.dport),
                      std::move(m.message)});
  return inputs;
}

ike::SkKeys Direction(const io::Ikev2Keys& k, bool initiator) {
  return ike::SkKeys{k.encr, k.encr_key_bits, k.integ, initiator ? k.sk_ei : k.sk_er,
                     initiator ? k.sk_ai : k.sk_ar};
}

// The keys of each IKE SA, made once per SPI pair.
class KeyRing {
 public:
  explicit KeyRing(std::vector<io::Ikev2Keys> table) : table_(std::move(table)) {}

  Result<ike::MessageProtection*> For(const ike::Header& h) {
    auto it = sas_.find({h.spi_i, h.spi_r});
    if (it != sas_.end()) return it->second.get();
    const io::Ikev2Keys* k = io::Find(table_, h.spi_i, h.spi_r);
    if (k == nullptr) return static_cast<ike::MessageProtection*>(nullptr);
    TRY_ASSIGN(auto p, ike::MessageProtection::Create({Direction(*k, true), Direction(*k, false)}));
    return (sas_[{h.spi_i, h.spi_r}] = std::move(p)).get();
  }

 private:
  std::vector<io::Ikev2Keys> table_;
  std::map<std::pair<uint64_t, uint64_t>, std::unique_ptr<ike::MessageProtection>> sas_;
};

Outcome Process(const Input& input, KeyRing* keys) {
  Outcome out;
  // Even a message that does not decode says in its Flags octet (offset 19)
  // whether it is a response, which decides whether anyone answers it.
  ByteReader header(input.datagram);
  uint8_t flags = 0;
  out.response = header.Skip(19) && header.ReadU8(flags) && (flags & ike::kFlagResponse) != 0;
  auto decoded = ike::Decode(input.datagram);
  if (!decoded) {
    out.decode_error = std::move(decoded).error();
    return out;
  }
  ike::Message& m = out.message.emplace(std::move(decoded).value());
  const ike::Payload* encrypted = m.Encrypted();
  if (encrypted != nullptr && keys != nullptr) {
    auto protection = keys->For(m.header);
    if (!protection) {
      out.decrypt_error = protection.error();
    } else if (*protection != nullptr) {
      if (encrypted->type == iana::PayloadType::kSk) {
        Status s = (*protection)->Decrypt(m, input.datagram);
        if (!s) out.decrypt_error = std::move(s).error();
      } else {
        auto outcome = (*protection)->DecryptFragment(m, input.datagram);
        if (!outcome) out.decrypt_error = std::move(outcome).error();
        else if (*outcome != ike::SkfReassembler::Outcome::kComplete)
          out.fragment_state = "fragment kept for reassembly";
      }
    }
  }
  out.validation = ike::Validate(m);
  return out;
}

bool Failed(const Outcome& o) { return o.decode_error || o.decrypt_error || !o.validation.ok(); }

std::string NotifyText(const Error& e, bool response) {
  const auto notify = ike::NotifyFor(e, response);
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
    fmt::print("  MALFORMED: {}\n    -> {}\n", o.decode_error->ToString(), NotifyText(*o.decode_error, o.response));
    return;
  }
  const ike::Message& m = *o.message;
  PrintNode(ike::DescribeMessage(m), 1);
  if (m.Encrypted() != nullptr && !m.decrypted)
    fmt::print("  (encrypted payloads not decrypted{})\n", o.fragment_state.empty() ? ": no keys for these SPIs"
                                                                                    : ": " + o.fragment_state);
  if (o.decrypt_error)
    fmt::print("  DECRYPTION FAILED: {}\n    -> {}\n", o.decrypt_error->ToString(),
               NotifyText(*o.decrypt_error, m.header.response()));
  for (const Error& note : m.notes) fmt::print("  note: {}\n", note.ToString());
  for (const ike::Violation& v : o.validation.violations)
    fmt::print("  VIOLATION: {}\n    -> {}\n", v.error.ToString(), NotifyText(v.error, m.header.response()));
  if (!Failed(o))
    fmt::print("  ok: {}\n", o.validation.shape ? o.validation.shape->name : "exchange without rule table");
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

json ErrorJson(const Error& e, bool response) {
  json j = {{"code", Describe(e.code).name}, {"text", e.ToString()}, {"detail", e.detail}};
  if (e.offset != kNoOffset) j["offset"] = e.offset;
  if (!e.requirement.empty()) j["requirement"] = e.requirement;
  const auto notify = ike::NotifyFor(e, response);
  j["notify"] = notify ? json(ike::NotifyName(*notify)) : json(nullptr);
  return j;
}

json OutcomeJson(const Input& input, const Outcome& o) {
  json j = {{"input", input.where}, {"ok", !Failed(o)}};
  if (o.decode_error) {
    j["malformed"] = ErrorJson(*o.decode_error, o.response);
    return j;
  }
  const ike::Message& m = *o.message;
  j["message"] = NodeJson(ike::DescribeMessage(m));
  j["decrypted"] = m.decrypted;
  if (o.validation.shape) j["shape"] = o.validation.shape->name;
  if (o.decrypt_error) j["decryption_error"] = ErrorJson(*o.decrypt_error, m.header.response());
  j["violations"] = json::array();
  for (const ike::Violation& v : o.validation.violations)
    j["violations"].push_back(ErrorJson(v.error, m.header.response()));
  j["notes"] = json::array();
  for (const Error& note : m.notes) j["notes"].push_back(note.ToString());
  return j;
}

int Run(const Args& args) {
  auto inputs = args.input != "-" && IsPcap(args.input) ? ReadCapture(args.input) : ReadHex(args.input);
  if (!inputs) {
    fmt::print(stderr, "ipsecref ike-decode: {}\n", inputs.error().ToString());
    return kExitUsage;
  }
  std::optional<KeyRing> keys;
  if (!args.keys.empty()) {
    auto table = io::LoadIkeKeys(args.keys);
    if (!table) {
      fmt::print(stderr, "ipsecref ike-decode: {}\n", table.error().ToString());
      return kExitUsage;
    }
    keys.emplace(std::move(table).value());
  }
  json all = json::array();
  size_t failed = 0;
  for (const Input& input : *inputs) {
    const Outcome o = Process(input, keys ? &*keys : nullptr);
    failed += Failed(o) ? 1 : 0;
    if (args.json) all.push_back(OutcomeJson(input, o));
    else PrintText(input, o);
  }
  if (args.json) fmt::print("{}\n", all.dump(2));
  else fmt::print("{} messages, {} malformed or breaking a requirement\n", inputs->size(), failed);
  return failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace

void AddIkeDecodeCommand(CLI::App& app, Runner& run) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "ike-decode", "Decode and validate IKEv2 messages: hex lines (stdin by default) or a pcap's IKE traffic");
  cmd->add_option("input", args->input, "pcap/pcapng file, or a text file of hex messages (one per line); - = stdin");
  cmd->add_option("--keys", args->keys,
                  "keys to decrypt SK payloads: Wireshark's ikev2_decryption_table, a keys.csv, or a directory "
                  "holding either");
  cmd->add_flag("--json", args->json, "print JSON for machines");
  cmd->callback([&run, args] { run = [args] { return Run(*args); }; });
}

}  // namespace ipsecref::tool
