// The conformance catalogue, runner and judge: the catalogue's schema and
// its errors (each naming the file, the case and the field, or the line and
// column of bad JSON), the expansion of parameters into runs, the judge's
// decisions on runs whose outcome is known by construction (the reference
// against itself, with and without a deviation RFC 7296 says how to answer),
// and the README tables generated from the code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "interop/conformance/catalogue.h"
#include "interop/conformance/remote_target.h"
#include "interop/conformance/runner.h"
#include "reference/testing/generated_section.h"

namespace ipsecref::conformance {
namespace {

using ::testing::HasSubstr;

std::string OneCase(std::string_view fields) {
  return std::string(R"({"cases": [{"id": "X-01", "title": "t", "requirement": "rfc7296#section-2.5", "says": "s",
      "level": "MUST", "role": "responder", "expect": [{"check": "established"}], "faults": ["block-out=1"])") +
         std::string(fields) + "}]}";
}

std::string ErrorOf(const std::string& text) {
  auto r = ParseCatalogue(text, "cat.json");
  return r ? "" : r.error().detail;
}

TEST(Catalogue, ReadsACase) {
  auto r = ParseCatalogue(OneCase(R"(, "tester": ["corrupt-icv"], "needs": ["cookies"], "class": "ADVANCED")"), "g.json");
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->size(), 1u);
  const Case& c = r->front();
  EXPECT_EQ(c.id, "X-01");
  EXPECT_EQ(c.group, "g");
  EXPECT_EQ(c.klass, "ADVANCED");
  EXPECT_EQ(c.node, "any");
  EXPECT_EQ(c.tester, std::vector<std::string>{"corrupt-icv"});
  EXPECT_EQ(c.needs, std::vector<std::string>{"cookies"});
  EXPECT_EQ(c.expect.front().kind, "established");
}

TEST(Catalogue, ErrorsNameTheFileTheCaseAndTheField) {
  EXPECT_THAT(ErrorOf(OneCase(R"(, "colour": "red")")), HasSubstr("cat.json: case 'X-01': unknown field 'colour'"));
  EXPECT_THAT(ErrorOf(OneCase(R"(, "level": "OUGHT")")), HasSubstr("level 'OUGHT' is not one of MUST, SHOULD, MAY"));
  EXPECT_THAT(ErrorOf(OneCase(R"(, "role": "bystander")")), HasSubstr("role 'bystander'"));
  EXPECT_THAT(ErrorOf(OneCase(R"(, "tester": "corrupt-icv")")), HasSubstr("field 'tester' must be an array"));
  EXPECT_THAT(ErrorOf(OneCase(R"(, "tester": [3])")), HasSubstr("tester: every entry must be a string"));
  EXPECT_THAT(ErrorOf(R"({"cases": [{"id": "Y"}]})"), HasSubstr("case 'Y': field 'title' is missing"));
  EXPECT_THAT(ErrorOf(R"({"cases": [{"id": "Y", "title": "t", "requirement": "RFC 7296", "says": "s", "level": "MUST",
      "role": "responder", "expect": [{"check": "established"}], "faults": ["x"]}]})"),
              HasSubstr("must read rfcNNNN#section-X.Y"));
  EXPECT_THAT(ErrorOf(R"({"cases": [{"id": "Y", "title": "t", "requirement": "rfc7296#section-1", "says": "s",
      "level": "MUST", "role": "responder", "expect": [{"check": "established"}], "faults": []}]})"),
              HasSubstr("every case must be shown able to fail"));
  EXPECT_THAT(ErrorOf(R"({"items": []})"), HasSubstr("an object with a 'cases' array"));
}

TEST(Catalogue, BadJsonNamesLineAndColumn) {
  EXPECT_THAT(ErrorOf("{\"cases\": [\n  {\"id\": \"X\",,}\n]}"), HasSubstr("cat.json:2:"));
}

TEST(Catalogue, NestingDeeperThan32LevelsIsRefusedWhereItStarts) {
  // 40 nested "any" checks: the reader and the judge would recurse 40 deep.
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += R"({"check": "any", "of": [)";
  deep += R"({"check": "silent"})";
  for (int i = 0; i < 40; ++i) deep += "]}";
  EXPECT_THAT(ErrorOf("{\"cases\": [\n" + deep + "]}"), HasSubstr("cat.json:2:"));
  EXPECT_THAT(ErrorOf("{\"cases\": [\n" + deep + "]}"), HasSubstr("nested deeper than 32 levels"));
  // Brackets inside strings do not count.
  EXPECT_THAT(ErrorOf(R"({"cases": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})"),
              HasSubstr("an object with a 'cases' array"));
}

TEST(Catalogue, DuplicateIdsAreRefused) {
  const auto dir = std::filesystem::temp_directory_path() / ("conformance_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.json") << OneCase("");
  std::ofstream(dir / "b.json") << OneCase("");
  auto r = LoadCatalogue(dir.string());
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().detail, HasSubstr("case id 'X-01' is used twice"));
}

TEST(Catalogue, ParametersExpandIntoRunsKeepingTypes) {
  auto r = ParseCatalogue(OneCase(R"(, "tester": ["drop-out={N}"], "params": {"N": [1, 2], "W": ["a", "b"]},
      "expect": [{"check": "count", "min": "{N}"}])"),
                          "g.json");
  ASSERT_TRUE(r) << r.error().ToString();
  Catalogue cat{*r};
  const std::vector<conformance::Run> runs = cat.Runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].id, "X-01[N=1,W=a]");
  EXPECT_EQ(runs[3].id, "X-01[N=2,W=b]");
  EXPECT_EQ(runs[3].tester, std::vector<std::string>{"drop-out=2"});
  EXPECT_TRUE(runs[3].expect.front().args["min"].is_number_unsigned());
  EXPECT_EQ(runs[3].expect.front().args["min"], 2);
}

TEST(Judge, UnknownChecksAndArgumentsAreRefused) {
  auto r = ParseCatalogue(OneCase(R"(, "expect": [{"check": "telepathy"}])"), "g.json");
  ASSERT_TRUE(r);
  Catalogue cat{*r};
  const auto runs = cat.Runs();
  Status s = Validate(runs.front());
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().detail, HasSubstr("check 'telepathy': unknown kind of check"));
  auto r2 = ParseCatalogue(OneCase(R"(, "expect": [{"check": "notify", "notify": "NO_SUCH_NOTIFY"}])"), "g.json");
  Catalogue cat2{*r2};
  EXPECT_THAT(Validate(cat2.Runs().front()).error().detail, HasSubstr("'notify' names no Notify type"));
  auto r3 = ParseCatalogue(OneCase(R"(, "expect": [{"check": "silent", "exchang": "IKE_AUTH"}])"), "g.json");
  Catalogue cat3{*r3};
  EXPECT_THAT(Validate(cat3.Runs().front()).error().detail, HasSubstr("unknown argument 'exchang'"));
}

// Runs one case against the reference target and returns each check's outcome.
std::vector<CheckResult> RunOn(const std::string& fields, const std::vector<std::string>& faults = {}) {
  auto r = ParseCatalogue(OneCase(fields), "g.json");
  EXPECT_TRUE(r) << (r ? "" : r.error().ToString());
  Catalogue cat{*r};
  const auto runs = cat.Runs();
  auto target = MakeReferenceTarget();
  auto o = target->Execute(runs.front(), faults, nullptr);
  EXPECT_TRUE(o) << (o ? "" : o.error().ToString());
  return o ? Judge(runs.front(), *o) : std::vector<CheckResult>{};
}

//= rfc7296#section-2.5
//# An unknown payload with the critical bit set is refused with
//# UNSUPPORTED_CRITICAL_PAYLOAD; the judge sees the Notify, and not when the
//# tester does not deviate.
TEST(Judge, NotifyHoldsOnlyWhenTheIutSendsIt) {
  const std::string c = R"(, "tester": ["unknown-critical-payload=200"], "expect": [{"check": "notify",
      "exchange": "IKE_SA_INIT", "message": "response", "notify": "UNSUPPORTED_CRITICAL_PAYLOAD", "data": "c8"},
      {"check": "not-established"}, {"check": "silent", "exchange": "IKE_AUTH"}])";
  for (const CheckResult& k : RunOn(c)) EXPECT_TRUE(k.held) << k.check << ": " << k.observed;
  const auto lenient = RunOn(c, {"lenient"});
  ASSERT_EQ(lenient.size(), 3u);
  for (const CheckResult& k : lenient) EXPECT_FALSE(k.held) << k.check;
  EXPECT_THAT(lenient[0].observed, HasSubstr("IKE_SA_INIT response"));
  EXPECT_THAT(lenient[2].observed, HasSubstr("IKE_AUTH response"));
}

//= rfc7296#section-2.1
//# A lost request is sent again unchanged, after the reference's 4 s
//# timeout and then at growing intervals.
TEST(Judge, RetransmissionsAreSeen) {
  const std::string c = R"(, "role": "initiator", "tester": ["block-in=1"], "expect": [
      {"check": "identical", "exchange": "IKE_SA_INIT", "message": "request"},
      {"check": "backoff", "exchange": "IKE_SA_INIT", "message": "request", "first_ms": 4000},
      {"check": "count", "exchange": "IKE_SA_INIT", "message": "request", "min": 3},
      {"check": "gives-up", "within_ms": 600000}, {"check": "not-established"}])";
  for (const CheckResult& k : RunOn(c)) EXPECT_TRUE(k.held) << k.check << ": " << k.observed;
  const auto silent = RunOn(c, {"no-retransmit"});
  EXPECT_FALSE(silent[0].held);
  EXPECT_FALSE(silent[1].held);
  EXPECT_FALSE(silent[2].held);
}

TEST(Judge, EstablishedNeedsTheClosingLivenessCheckAnswered) {
  for (const CheckResult& k : RunOn(R"(, "expect": [{"check": "established", "children": 1}, {"check": "ike-sas",
      "count": 1}, {"check": "header", "major": 2, "minor": 0, "reserved_flags": 0, "initiator_flag": 0}])"))
    EXPECT_TRUE(k.held) << k.check << ": " << k.observed;
  // The IUT answers IKE_SA_INIT and IKE_AUTH, then nothing arrives of it:
  // the closing liveness check goes unanswered, the tester gives the IKE SA
  // up (RFC 7296 §2.4), and the check fails naming the answers it sent.
  const auto mute = RunOn(R"(, "expect": [{"check": "established"}])", {"block-out=3"});
  ASSERT_EQ(mute.size(), 1u);
  EXPECT_FALSE(mute[0].held);
  EXPECT_THAT(mute[0].observed, HasSubstr("the tester holds no established IKE SA"));
  EXPECT_THAT(mute[0].observed, HasSubstr("INFORMATIONAL response v2.0 flags 20 id 2"));
}

TEST(Judge, RekeyedAndDeletesFollowTheDrive) {
  const std::string c = R"(, "drive": ["iut:child-rekey"], "expect": [{"check": "rekeyed", "what": "child"},
      {"check": "deletes", "protocol": "ESP"}, {"check": "established", "children": 1}])";
  for (const CheckResult& k : RunOn(c)) EXPECT_TRUE(k.held) << k.check << ": " << k.observed;
  const auto none = RunOn(R"(, "expect": [{"check": "rekeyed", "what": "child"}, {"check": "rekeyed", "what": "ike"}])");
  for (const CheckResult& k : none) EXPECT_FALSE(k.held) << k.check;
}

//= rfc7296#section-2.21.4
//# A message for an IKE SA the receiver does not have may be answered with
//# INVALID_IKE_SPI or dropped: `any` accepts either, `notify` a list of
//# names; `lacks` and `children` see what a response leaves out.
TEST(Judge, AlternativesAndAbsences) {
  const std::string c = R"(, "tester": ["unknown-critical-payload=200"], "expect": [
      {"check": "notify", "notify": ["INVALID_SYNTAX", "UNSUPPORTED_CRITICAL_PAYLOAD"]},
      {"check": "payloads", "exchange": "IKE_SA_INIT", "message": "response", "lacks": ["KE", "SA", "Nonce"]},
      {"check": "any", "of": [{"check": "silent", "exchange": "IKE_SA_INIT"},
                             {"check": "notify", "notify": "UNSUPPORTED_CRITICAL_PAYLOAD"}]},
      {"check": "children", "count": 0}])";
  for (const CheckResult& k : RunOn(c)) EXPECT_TRUE(k.held) << k.check << ": " << k.observed;
  const auto lenient = RunOn(c, {"lenient"});
  ASSERT_EQ(lenient.size(), 4u);
  for (const CheckResult& k : lenient) EXPECT_FALSE(k.held) << k.check;
  EXPECT_THAT(lenient[1].observed, HasSubstr("carries KE"));
  EXPECT_THAT(lenient[2].check, HasSubstr("either the IUT sends no IKE_SA_INIT message, or"));
  EXPECT_THAT(lenient[3].observed, HasSubstr("1 CHILD SAs"));
  auto r = ParseCatalogue(OneCase(R"(, "expect": [{"check": "any", "of": [{"check": "silent", "colour": 1}]}])"), "g.json");
  Catalogue cat{*r};
  EXPECT_THAT(Validate(cat.Runs().front()).error().detail, HasSubstr("check 'silent': unknown argument 'colour'"));
  auto r2 = ParseCatalogue(OneCase(R"(, "expect": [{"check": "payloads", "exchange": "IKE_AUTH"}])"), "g.json");
  Catalogue cat2{*r2};
  EXPECT_THAT(Validate(cat2.Runs().front()).error().detail, HasSubstr("'has' or 'lacks' is needed"));
}

// A target that answers nothing, ever (a crashed daemon).
class SilentTarget final : public Target {
 public:
  std::string name() const override { return "silent"; }
  const std::set<std::string>& features() const override {
    static const std::set<std::string> f = {"initiate"};
    return f;
  }
  Result<Observation> Execute(const conformance::Run&, const std::vector<std::string>&, exchange::Session*) override {
    ++executed;
    return Observation{};
  }
  size_t executed = 0;
};

TEST(Runner, ATargetThatStopsAnsweringIsNotJudgedFurther) {
  auto r = ParseCatalogue(R"({"cases": [
      {"id": "A", "title": "t", "requirement": "rfc7296#section-1.2", "says": "s", "level": "MUST", "role": "responder",
       "expect": [{"check": "established"}], "faults": ["block-out=1"]},
      {"id": "B", "title": "t", "requirement": "rfc7296#section-1.2", "says": "s", "level": "MUST", "role": "responder",
       "expect": [{"check": "established"}], "faults": ["block-out=1"]},
      {"id": "C", "title": "t", "requirement": "rfc7296#section-1.2", "says": "s", "level": "MUST", "role": "responder",
       "needs": ["certificates"], "expect": [{"check": "established"}], "faults": ["block-out=1"]}]})",
                          "g.json");
  ASSERT_TRUE(r);
  Catalogue cat{*r};
  SilentTarget target;
  auto report = RunCatalogue(cat, target, {});
  ASSERT_TRUE(report) << report.error().ToString();
  ASSERT_EQ(report->results.size(), 3u);
  EXPECT_EQ(report->results[0].verdict, Verdict::kInconclusive);
  EXPECT_THAT(report->results[0].reason, HasSubstr("the IUT sent nothing at all"));
  EXPECT_THAT(report->results[0].reason, HasSubstr("does not answer the initial exchanges any more"));
  EXPECT_EQ(report->results[1].verdict, Verdict::kInconclusive);
  EXPECT_THAT(report->results[1].reason, HasSubstr("not run: the target stopped answering after A"));
  EXPECT_EQ(report->results[2].verdict, Verdict::kInconclusive);
  EXPECT_EQ(target.executed, 2u);  // A and the health check, nothing after
}

TEST(Runner, UnsupportedNamesWhatTheTargetLacks) {
  SilentTarget silent;
  auto r = ParseCatalogue(OneCase(R"(, "needs": ["invalid-ike-spi", "fragmentation"])"), "g.json");
  Catalogue cat{*r};
  auto report = RunCatalogue(cat, silent, {});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->results[0].verdict, Verdict::kUnsupported);
  EXPECT_EQ(report->results[0].reason, "the target lacks invalid-ike-spi, fragmentation");
  // A setup the target cannot honour makes the run unsupported too.
  auto r2 = ParseCatalogue(OneCase(R"(, "setup": ["nat", "fragments"])"), "g.json");
  Catalogue cat2{*r2};
  auto report2 = RunCatalogue(cat2, silent, {});
  ASSERT_TRUE(report2);
  EXPECT_EQ(report2->results[0].verdict, Verdict::kUnsupported);
  EXPECT_EQ(report2->results[0].reason, "the target lacks nat-traversal, fragmentation");
  EXPECT_EQ(silent.executed, 0u);
}

// The negative form of `auth`: in a shared-key run the IUT's IKE_AUTH
// response carries AUTH of method 2, so "no AUTH of method 14" holds and
// "no AUTH of method 2" fails, naming the message.
TEST(Judge, AuthAbsentHoldsOnlyWhenNoSelectedMessageCarriesTheMethod) {
  const auto r = RunOn(R"(, "expect": [
      {"check": "auth", "exchange": "IKE_AUTH", "message": "response", "method": 14, "absent": true},
      {"check": "auth", "exchange": "IKE_AUTH", "message": "response", "method": 2, "absent": true},
      {"check": "auth", "exchange": "IKE_AUTH", "message": "response", "method": 2, "absent": false}])");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0].held) << r[0].check << ": " << r[0].observed;
  EXPECT_FALSE(r[1].held) << r[1].check;
  EXPECT_THAT(r[1].observed, HasSubstr("IKE_AUTH response"));
  EXPECT_TRUE(r[2].held) << r[2].check << ": " << r[2].observed;
}

TEST(Readme, TablesAgreeWithTheCode) {
  testing::ExpectGeneratedSection("interop/conformance/README.md", "<!-- table: generated from judge.cc -->\n",
                                  "<!-- end of table -->", CheckTableMarkdown());
  testing::ExpectGeneratedSection("interop/conformance/README.md", "<!-- setups: generated from runner.cc -->\n",
                                  "<!-- end of setups -->", SetupTableMarkdown());
  testing::ExpectGeneratedSection("interop/conformance/README.md", "<!-- features: generated from runner.cc -->\n",
                                  "<!-- end of features -->", FeatureTableMarkdown());
}

TEST(Runner, EveryFeatureATargetDeclaresIsKnown) {
  const auto target = MakeReferenceTarget("");
  for (const std::string& f : target->features()) EXPECT_TRUE(IsFeature(f)) << f;
  EXPECT_TRUE(IsFeature("iut:child-rekey"));
  EXPECT_FALSE(IsFeature("iut:teleport"));
  EXPECT_FALSE(IsFeature("chacha20"));
}

TEST(Catalogue, ANeedThatIsNoFeatureIsRefused) {
  auto cat = ParseCatalogue(OneCase(R"(, "needs": ["fragmentatoin"])"), "g.json");
  ASSERT_TRUE(cat.ok()) << cat.error().ToString();
  Catalogue c;
  c.cases = *cat;
  const auto target = MakeReferenceTarget("");
  auto report = RunCatalogue(c, *target, RunOptions{});
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.error().detail, HasSubstr("needs 'fragmentatoin', which is no feature"));
}

// The AH dataplane runs against the reference target only: a udp target
// file that claims feature ah is refused with the reason, and the
// reference target has it.
TEST(Runner, AhIsAFeatureOfTheReferenceTargetOnly) {
  EXPECT_TRUE(MakeReferenceTarget("")->features().count("ah"));
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "ipsecref-ah-target.conf";
  std::ofstream(file) << "connections {\n  c {\n    local_addrs = 192.0.2.1\n    remote_addrs = 192.0.2.2\n"
                         "    local { auth = psk\n id = a.example }\n    remote { auth = psk\n id = b.example }\n"
                         "    children { net { local_ts = 10.1.0.0/16\n remote_ts = 10.2.0.0/16 } }\n  }\n}\n"
                         "secrets { ike-c { id-1 = a.example\n secret = \"s\" } }\n"
                         "conformance {\n  features = esp-dataplane, ah\n}\n";
  auto target = MakeUdpTarget("udp:192.0.2.2", file.string(), 1);
  std::filesystem::remove(file);
  ASSERT_FALSE(target.ok());
  EXPECT_EQ(target.error().code, Code::kUnsupported);
  EXPECT_THAT(target.error().detail, HasSubstr("'ah': the AH dataplane runs against the reference target only"));
}

}  // namespace
}  // namespace ipsecref::conformance
