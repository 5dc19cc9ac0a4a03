#include "interop/conformance/catalogue.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace ipsecref::conformance {

namespace {

using nlohmann::json;

// The fields of a case, what each must be, and whether it is required.
struct Field {
  std::string_view name;
  json::value_t type;
  bool required;
};
constexpr Field kFields[] = {
    {"id", json::value_t::string, true},          {"title", json::value_t::string, true},
    {"requirement", json::value_t::string, true}, {"says", json::value_t::string, true},
    {"level", json::value_t::string, true},       {"role", json::value_t::string, true},
    {"node", json::value_t::string, false},       {"class", json::value_t::string, false},
    {"tahi", json::value_t::string, false},       {"setup", json::value_t::array, false},
    {"tester", json::value_t::array, false},      {"drive", json::value_t::array, false},
    {"expect", json::value_t::array, true},       {"needs", json::value_t::array, false},
    {"faults", json::value_t::array, true},       {"params", json::value_t::object, false},
};

// The values a field may take, where they are few.
struct Allowed {
  std::string_view field;
  std::vector<std::string_view> values;
};
const Allowed kAllowed[] = {
    {"level", {"MUST", "SHOULD", "MAY"}},
    {"role", {"initiator", "responder"}},
    {"node", {"any", "end-node", "gateway"}},
    {"class", {"BASIC", "ADVANCED"}},
};

Result<std::vector<std::string>> Strings(const json& j, std::string_view where) {
  std::vector<std::string> out;
  for (const json& v : j) {
    ENSURE(v.is_string(), kInvalidArgument, kNoOffset, "", fmt::format("{}: every entry must be a string", where));
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<Case> ParseCase(const json& j, const std::string& file, size_t index) {
  const std::string where0 = fmt::format("{}: case {}", file, index + 1);
  ENSURE(j.is_object(), kInvalidArgument, kNoOffset, "", where0 + ": a case is an object");
  const std::string where =
      j.contains("id") && j["id"].is_string() ? fmt::format("{}: case '{}'", file, j["id"].get<std::string>()) : where0;
  for (const auto& item : j.items()) {
    const std::string key = item.key();
    const json& value = item.value();
    const auto* f = std::find_if(std::begin(kFields), std::end(kFields), [&](const Field& x) { return x.name == key; });
    ENSURE(f != std::end(kFields), kInvalidArgument, kNoOffset, "", fmt::format("{}: unknown field '{}'", where, key));
    ENSURE(value.type() == f->type, kInvalidArgument, kNoOffset, "",
           fmt::format("{}: field '{}' must be a{} {}", where, key, f->type == json::value_t::array ? "n" : "",
                       f->type == json::value_t::array    ? "array"
                       : f->type == json::value_t::object ? "object"
                                                          : "string"));
  }
  for (const Field& f : kFields)
    ENSURE(!f.required || j.contains(f.name), kInvalidArgument, kNoOffset, "",
           fmt::format("{}: field '{}' is missing", where, f.name));
  for (const Allowed& a : kAllowed) {
    if (!j.contains(a.field)) continue;
    const std::string v = j[a.field].get<std::string>();
    ENSURE(std::find(a.values.begin(), a.values.end(), v) != a.values.end(), kInvalidArgument, kNoOffset, "",
           fmt::format("{}: {} '{}' is not one of {}", where, a.field, v, fmt::join(a.values, ", ")));
  }
  Case c;
  c.file = file;
  c.id = j["id"];
  c.title = j["title"];
  c.requirement = j["requirement"];
  c.says = j["says"];
  c.level = j["level"];
  c.role = j["role"];
  c.node = j.value("node", "any");
  c.klass = j.value("class", "BASIC");
  c.tahi = j.value("tahi", "");
  ENSURE(c.requirement.starts_with("rfc") && c.requirement.find("#section-") != std::string::npos,
         kInvalidArgument, kNoOffset, "",
         fmt::format("{}: requirement '{}' must read rfcNNNN#section-X.Y", where, c.requirement));
  c.group = std::filesystem::path(file).stem().string();
  for (auto [field, out] : {std::pair{"setup", &c.setup}, std::pair{"tester", &c.tester},
                            std::pair{"drive", &c.drive}, std::pair{"needs", &c.needs},
                            std::pair{"faults", &c.faults}}) {
    if (!j.contains(field)) continue;
    TRY_ASSIGN(*out, Strings(j[field], fmt::format("{}: {}", where, field)));
  }
  ENSURE(!c.faults.empty(), kInvalidArgument, kNoOffset, "",
         fmt::format("{}: 'faults' names no fault: every case must be shown able to fail", where));
  for (const json& e : j["expect"]) {
    ENSURE(e.is_object() && e.contains("check") && e["check"].is_string(), kInvalidArgument, kNoOffset, "",
           fmt::format("{}: every 'expect' entry is an object with a 'check'", where));
    Check k{e["check"], e};
    k.args.erase("check");
    c.expect.push_back(std::move(k));
  }
  ENSURE(!c.expect.empty(), kInvalidArgument, kNoOffset, "", fmt::format("{}: 'expect' is empty", where));
  if (j.contains("params"))
    for (const auto& [name, values] : j["params"].items()) {
      ENSURE(values.is_array() && !values.empty(), kInvalidArgument, kNoOffset, "",
             fmt::format("{}: parameter '{}' must be a non-empty array", where, name));
      std::vector<std::string> vs;
      for (const json& v : values) vs.push_back(v.is_string() ? v.get<std::string>() : v.dump());
      c.params[name] = std::move(vs);
    }
  //= ipsecref#choice
  //# A case expands into at most 1024 runs, so that a catalogue cannot ask
  //# for unbounded work or memory.
  size_t runs = 1;
  for (const auto& [name, values] : c.params) runs = std::min<size_t>(runs * values.size(), 1u << 20);
  ENSURE(runs <= 1024, kInvalidArgument, kNoOffset, "",
         fmt::format("{}: its parameters make {} runs, more than 1024", where, runs));
  return c;
}

//= ipsecref#choice
//# Catalogue JSON nests at most 32 levels (the bundled cases need 6): the
//# case reader and the judge walk it recursively.
constexpr int kMaxDepth = 32;

// The offset of the first '[' or '{' nested deeper than kMaxDepth, outside
// strings; nullopt when there is none.
std::optional<size_t> TooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      if (ch == '\\') ++i;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > kMaxDepth) return i;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return std::nullopt;
}

std::string Fill(std::string s, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    const std::string key = "{" + name + "}";
    for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + value.size()))
      s.replace(at, key.size(), value);
  }
  return s;
}

json FillJson(const json& j, const std::map<std::string, std::string>& values) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    // A value that is the whole string keeps its JSON type ("{N}" -> 5).
    for (const auto& [name, value] : values)
      if (s == "{" + name + "}") {
        json parsed = TooDeep(value) ? json(json::value_t::discarded) : json::parse(value, nullptr, false);
        return parsed.is_discarded() ? json(value) : parsed;
      }
    return Fill(s, values);
  }
  if (j.is_array() || j.is_object()) {
    json out = j;
    for (auto& [key, v] : out.items()) v = FillJson(v, values);
    return out;
  }
  return j;
}

}  // namespace

Result<std::vector<Case>> ParseCatalogue(const std::string& text, const std::string& name) {
  // A byte offset as FILE:LINE:COL.
  const auto where = [&](size_t byte) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < byte && i < text.size(); ++i) {
      column = text[i] == '\n' ? 1 : column + 1;
      line += text[i] == '\n' ? 1 : 0;
    }
    return fmt::format("{}:{}:{}", name, line, column);
  };
  if (const std::optional<size_t> deep = TooDeep(text))
    return Error{Code::kInvalidArgument, kNoOffset, "",
                 fmt::format("{}: JSON nested deeper than {} levels", where(*deep), kMaxDepth)};
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return Error{Code::kInvalidArgument, kNoOffset, "",
                 fmt::format("{}: not JSON: {}", where(e.byte == 0 ? 0 : e.byte - 1), e.what())};
  }
  ENSURE(j.is_object() && j.contains("cases") && j["cases"].is_array(), kInvalidArgument, kNoOffset, "",
         fmt::format("{}: a catalogue file is an object with a 'cases' array", name));
  std::vector<Case> out;
  for (size_t i = 0; i < j["cases"].size(); ++i) {
    TRY_ASSIGN(Case c, ParseCase(j["cases"][i], name, i));
    out.push_back(std::move(c));
  }
  return out;
}

Result<Catalogue> LoadCatalogue(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  ENSURE(fs::is_directory(dir, ec), kInvalidArgument, kNoOffset, "",
         fmt::format("{}: not a directory of catalogue files", dir));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ENSURE(!files.empty(), kInvalidArgument, kNoOffset, "", fmt::format("{}: no *.json catalogue file", dir));
  Catalogue cat;
  std::set<std::string> ids;
  for (const fs::path& f : files) {
    //= ipsecref#choice
    //# A catalogue file is a regular file of at most 4 MiB (the bundled
    //# ones are tens of KiB): a FIFO or a device is not read for ever.
    ENSURE(fs::is_regular_file(f, ec) && fs::file_size(f, ec) <= (4u << 20), kInvalidArgument, kNoOffset, "",
           fmt::format("{}: not a regular file of at most 4 MiB", f.string()));
    std::ifstream in(f);
    ENSURE(in.good(), kInvalidArgument, kNoOffset, "", fmt::format("{}: cannot be read", f.string()));
    std::stringstream text;
    text << in.rdbuf();
    TRY_ASSIGN(std::vector<Case> cases, ParseCatalogue(text.str(), f.string()));
    for (Case& c : cases) {
      ENSURE(ids.insert(c.id).second, kInvalidArgument, kNoOffset, "",
             fmt::format("{}: case id '{}' is used twice", f.string(), c.id));
      cat.cases.push_back(std::move(c));
    }
  }
  return cat;
}

std::vector<Run> Catalogue::Runs() const {
  std::vector<Run> out;
  for (const Case& c : cases) {
    // Every combination of the parameters' values, in the order written.
    std::vector<std::map<std::string, std::string>> combos{{}};
    for (const auto& [name, values] : c.params) {
      std::vector<std::map<std::string, std::string>> next;
      for (const auto& combo : combos)
        for (const std::string& v : values) {
          auto more = combo;
          more[name] = v;
          next.push_back(std::move(more));
        }
      combos = std::move(next);
    }
    for (const auto& values : combos) {
      Run r;
      r.c = &c;
      r.values = values;
      r.id = c.id;
      if (!values.empty()) {
        std::vector<std::string> parts;
        for (const auto& [name, v] : values) parts.push_back(name + "=" + v);
        r.id += "[" + fmt::format("{}", fmt::join(parts, ",")) + "]";
      }
      r.title = Fill(c.title, values);
      for (const std::string& s : c.setup) r.setup.push_back(Fill(s, values));
      for (const std::string& t : c.tester) r.tester.push_back(Fill(t, values));
      for (const std::string& d : c.drive) r.drive.push_back(Fill(d, values));
      for (const std::string& f : c.faults) r.faults.push_back(Fill(f, values));
      for (const Check& k : c.expect) r.expect.push_back({k.kind, FillJson(k.args, values)});
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace ipsecref::conformance
