// The multi-SPU anchoring rules on hand-written scenarios, the checker mode,
// and the tunnel-map event file. Every expected placement is worked out from
// the rules by hand.
#include "reference/spu/anchoring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "reference/spu/events.h"

namespace ipsecref::spu {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

constexpr SpuIndex kNowhere = 0xffffffff;

// A map row by names, to compare with rows written out by hand.
struct Row {
  std::vector<std::string> ike;
  std::vector<std::string> tunnels;
  size_t load = 0;
  bool operator==(const Row&) const = default;
};
void PrintTo(const Row& r, std::ostream* os) {
  for (const auto& n : r.ike) *os << n << ' ';
  *os << '|';
  for (const auto& n : r.tunnels) *os << ' ' << n;
  *os << " (load " << r.load << ')';
}

std::vector<std::string> Names(const std::vector<const Anchor*>& anchors) {
  std::vector<std::string> out;
  for (const Anchor* a : anchors) out.push_back(a->name);
  return out;
}

std::vector<Row> Rows(const Anchoring& a) {
  std::vector<Row> rows;
  const TunnelMap map = a.Map();
  for (size_t i = 0; i < map.size(); ++i) {
    EXPECT_EQ(map[i].spu, i);
    rows.push_back({Names(map[i].ike), Names(map[i].tunnels), map[i].load});
  }
  return rows;
}

Anchoring Make(size_t spus) {
  auto a = Anchoring::Create(spus);
  EXPECT_TRUE(a.ok());
  return std::move(a).value();
}

// Adds without `at` (the reference's own choice); kNowhere if refused.
SpuIndex Placed(Anchoring& a, Kind kind, std::string_view name, std::string_view ike = {}) {
  auto r = a.Add(kind, name, ike);
  EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? *r : kNowhere;
}

template <typename T>
void ExpectError(const Result<T>& r, Code code, std::string_view names) {
  ASSERT_FALSE(r.ok()) << "expected a failure naming " << names;
  EXPECT_EQ(r.error().code, code) << r.error().ToString();
  EXPECT_THAT(r.error().detail, HasSubstr(std::string(names)));
}

template <typename T>
void ExpectRefused(const Result<T>& r, Rule rule) {
  ASSERT_FALSE(r.ok()) << "expected a refusal by " << RuleId(rule);
  EXPECT_EQ(r.error().code, Code::kBadPlacement) << r.error().ToString();
  EXPECT_EQ(r.error().requirement, RuleId(rule)) << r.error().ToString();
}

Anchoring FromEvents(std::string_view text) {
  auto file = ParseEvents(text);
  EXPECT_TRUE(file.ok()) << file.error().ToString();
  EXPECT_TRUE(file->spus.has_value());
  auto a = ApplyEvents(*file, file->spus.value_or(1));
  EXPECT_TRUE(a.ok()) << a.error().ToString();
  return std::move(a).value();
}

const std::vector<Row> kIssueMap = {
    {{"IKE-1"}, {"IPsec-1", "IPsec-2", "IPsec-3"}, 1},
    {{"IKE-2"}, {"IPsec-4", "IPsec-5", "IPsec-6"}, 1},
    {{"IKE-3"}, {"IPsec-7"}, 1},
};

TEST(Anchoring, IssueExample) {
  const Anchoring a = FromEvents(R"(# three SPUs, three gateways, seven tunnels
spus 3
gateway IKE-1
gateway IKE-2
gateway IKE-3
tunnel IPsec-1 over IKE-1
tunnel IPsec-2 over IKE-1
tunnel IPsec-3 over IKE-1
tunnel IPsec-4 over IKE-2
tunnel IPsec-5 over IKE-2
tunnel IPsec-6 over IKE-2
tunnel IPsec-7 over IKE-3
)");
  EXPECT_EQ(Rows(a), kIssueMap);
}

TEST(Anchoring, IssueExampleInterleaved) {
  // Tunnels are no load: IKE-2 goes to SPU1 although SPU0 already has one.
  const Anchoring a = FromEvents(R"(spus 3
gateway IKE-1
tunnel IPsec-1 over IKE-1
gateway IKE-2
tunnel IPsec-4 over IKE-2
tunnel IPsec-2 over IKE-1
gateway IKE-3
tunnel IPsec-7 over IKE-3
tunnel IPsec-5 over IKE-2
tunnel IPsec-3 over IKE-1
tunnel IPsec-6 over IKE-2
)");
  EXPECT_EQ(Rows(a), kIssueMap);
}

TEST(Anchoring, TiesGoToTheLowestIndex) {
  Anchoring a = Make(4);
  EXPECT_EQ(a.LeastLoaded(), (std::vector<SpuIndex>{0, 1, 2, 3}));
  EXPECT_EQ(Placed(a, Kind::kGateway, "A"), 0u);
  EXPECT_EQ(Placed(a, Kind::kGateway, "B"), 1u);
  EXPECT_EQ(Placed(a, Kind::kGateway, "C"), 2u);
  EXPECT_EQ(a.LeastLoaded(), (std::vector<SpuIndex>{3}));
  EXPECT_EQ(Placed(a, Kind::kGateway, "D"), 3u);
  EXPECT_EQ(Placed(a, Kind::kGateway, "E"), 0u);
  EXPECT_EQ(a.LeastLoaded(), (std::vector<SpuIndex>{1, 2, 3}));
}

TEST(Anchoring, ManualTunnelsCountAsLoad) {
  Anchoring a = Make(3);
  EXPECT_EQ(Placed(a, Kind::kManual, "M-1"), 0u);
  EXPECT_EQ(Placed(a, Kind::kGateway, "G-1"), 1u);
  EXPECT_EQ(Placed(a, Kind::kManual, "M-2"), 2u);
  EXPECT_EQ(Placed(a, Kind::kGateway, "G-2"), 0u);
  EXPECT_EQ(Placed(a, Kind::kTunnel, "T-1", "G-1"), 1u);
  EXPECT_EQ(a.Load(0), 2u);
  EXPECT_EQ(a.Load(1), 1u);
  EXPECT_EQ(a.Load(2), 1u);
  EXPECT_EQ(Rows(a),
            (std::vector<Row>{{{"G-2"}, {"M-1"}, 2}, {{"G-1"}, {"T-1"}, 1}, {{}, {"M-2"}, 1}}));
}

TEST(Anchoring, DynamicPeersTakeTurnsWhateverTheLoad) {
  Anchoring a = Make(3);
  EXPECT_EQ(Placed(a, Kind::kGateway, "G-1"), 0u);
  EXPECT_EQ(Placed(a, Kind::kGateway, "G-2"), 1u);
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-1"), 0u);  // the most loaded, but its turn
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-2"), 1u);
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-3"), 2u);
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-4"), 0u);
  EXPECT_EQ(a.Load(0), 1u);  // dynamic peers are no load
  EXPECT_EQ(a.Load(2), 0u);
  EXPECT_EQ(Placed(a, Kind::kGateway, "G-3"), 2u);
  EXPECT_EQ(Placed(a, Kind::kTunnel, "T-1", "D-3"), 2u);
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-5"), 1u);  // gateways do not take a turn
}

TEST(Anchoring, RemovalFreesLoadButMovesNothing) {
  Anchoring a = Make(3);
  EXPECT_EQ(Placed(a, Kind::kGateway, "G-1"), 0u);
  EXPECT_EQ(Placed(a, Kind::kGateway, "G-2"), 1u);
  EXPECT_EQ(Placed(a, Kind::kGateway, "G-3"), 2u);
  EXPECT_EQ(Placed(a, Kind::kTunnel, "T-1", "G-2"), 1u);
  auto removed = a.Remove("G-1");
  ASSERT_TRUE(removed.ok());
  EXPECT_THAT(*removed, UnorderedElementsAre("G-1"));
  EXPECT_EQ(a.Find("G-1"), nullptr);
  EXPECT_EQ(a.Find("G-2")->spu, 1u);
  EXPECT_EQ(a.Find("G-3")->spu, 2u);
  EXPECT_EQ(a.Find("T-1")->spu, 1u);
  EXPECT_EQ(a.Load(0), 0u);
  EXPECT_EQ(a.LeastLoaded(), (std::vector<SpuIndex>{0}));
  EXPECT_EQ(Placed(a, Kind::kGateway, "G-4"), 0u);
  // Removing a dynamic peer does not give its turn back.
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-1"), 0u);
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-2"), 1u);
  ASSERT_TRUE(a.Remove("D-1").ok());
  ASSERT_TRUE(a.Remove("D-2").ok());
  EXPECT_EQ(a.NextRoundRobin(), 2u);
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-3"), 2u);
  EXPECT_EQ(Rows(a),
            (std::vector<Row>{{{"G-4"}, {}, 1}, {{"G-2"}, {"T-1"}, 1}, {{"G-3", "D-3"}, {}, 1}}));
}

TEST(Anchoring, RekeyKeepsSpuAndPlace) {
  //= rfc7296#section-2.8
  //# A rekeyed IKE SA takes over its predecessor's Child SAs.
  Anchoring a = Make(2);
  EXPECT_EQ(Placed(a, Kind::kGateway, "G-1"), 0u);
  EXPECT_EQ(Placed(a, Kind::kGateway, "G-2"), 1u);
  EXPECT_EQ(Placed(a, Kind::kTunnel, "T-1", "G-1"), 0u);
  EXPECT_EQ(Placed(a, Kind::kTunnel, "T-2", "G-2"), 1u);
  EXPECT_EQ(Placed(a, Kind::kTunnel, "T-3", "G-1"), 0u);
  auto r = a.Rekey("T-1", "T-1b");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, 0u);
  EXPECT_EQ(a.Find("T-1"), nullptr);
  EXPECT_EQ(a.Find("T-1b")->ike, "G-1");
  EXPECT_EQ(Rows(a), (std::vector<Row>{{{"G-1"}, {"T-1b", "T-3"}, 1}, {{"G-2"}, {"T-2"}, 1}}));

  r = a.Rekey("G-1", "G-1b");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, 0u);
  EXPECT_EQ(a.Find("T-1b")->ike, "G-1b");
  EXPECT_EQ(a.Find("T-3")->ike, "G-1b");
  EXPECT_EQ(a.Load(0), 1u);
  ExpectError(a.Add(Kind::kTunnel, "T-4", "G-1"), Code::kInvalidArgument, "G-1");
  EXPECT_EQ(Placed(a, Kind::kTunnel, "T-4", "G-1b"), 0u);
  EXPECT_EQ(Rows(a),
            (std::vector<Row>{{{"G-1b"}, {"T-1b", "T-3", "T-4"}, 1}, {{"G-2"}, {"T-2"}, 1}}));

  //= rfc7296#section-1.4.1
  //# Closing an IKE SA closes every Child SA negotiated over it.
  auto removed = a.Remove("G-1b");
  ASSERT_TRUE(removed.ok());
  EXPECT_THAT(*removed, UnorderedElementsAre("G-1b", "T-1b", "T-3", "T-4"));
  EXPECT_EQ(Rows(a), (std::vector<Row>{{{}, {}, 0}, {{"G-2"}, {"T-2"}, 1}}));
  removed = a.Remove("T-2");  // a tunnel alone leaves its IKE SA
  ASSERT_TRUE(removed.ok());
  EXPECT_THAT(*removed, UnorderedElementsAre("T-2"));
  EXPECT_NE(a.Find("G-2"), nullptr);
}

TEST(Anchoring, DynamicPeerRekeyIsNotANewTurn) {
  Anchoring a = Make(3);
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-1"), 0u);
  EXPECT_EQ(Placed(a, Kind::kTunnel, "T-1", "D-1"), 0u);
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-2"), 1u);
  auto r = a.Rekey("D-1", "D-1b");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, 0u);
  EXPECT_EQ(a.Find("T-1")->ike, "D-1b");
  EXPECT_EQ(a.NextRoundRobin(), 2u);
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-3"), 2u);
  EXPECT_EQ(Rows(a),
            (std::vector<Row>{{{"D-1b"}, {"T-1"}, 0}, {{"D-2"}, {}, 0}, {{"D-3"}, {}, 0}}));
}

TEST(Anchoring, Errors) {
  ExpectError(Anchoring::Create(0), Code::kInvalidArgument, "0 SPUs");
  ExpectError(Anchoring::Create(kMaxSpus + 1), Code::kInvalidArgument, "1025 SPUs");
  EXPECT_TRUE(Anchoring::Create(1).ok());
  EXPECT_TRUE(Anchoring::Create(kMaxSpus).ok());

  Anchoring a = Make(3);
  Placed(a, Kind::kGateway, "G-1");
  Placed(a, Kind::kManual, "M-1");
  Placed(a, Kind::kTunnel, "T-1", "G-1");
  ExpectError(a.Add(Kind::kGateway, "G-1"), Code::kInvalidArgument, "'G-1'");
  ExpectError(a.Add(Kind::kDynamic, "M-1"), Code::kInvalidArgument, "'M-1'");
  ExpectError(a.Add(Kind::kTunnel, "G-1", "G-1"), Code::kInvalidArgument, "'G-1'");
  ExpectError(a.Rekey("T-1", "M-1"), Code::kInvalidArgument, "'M-1'");
  ExpectError(a.Rekey("T-1", "T-1"), Code::kInvalidArgument, "'T-1'");
  ExpectError(a.Add(Kind::kTunnel, "T-2", "NOPE"), Code::kInvalidArgument, "'NOPE'");
  ExpectError(a.Add(Kind::kTunnel, "T-2", ""), Code::kInvalidArgument, "T-2");
  ExpectError(a.Add(Kind::kTunnel, "T-2", "M-1"), Code::kInvalidArgument, "'M-1'");
  ExpectError(a.Add(Kind::kTunnel, "T-2", "T-1"), Code::kInvalidArgument, "'T-1'");
  ExpectError(a.Add(Kind::kGateway, "G-2", "G-1"), Code::kInvalidArgument, "gateway");
  ExpectError(a.Rekey("M-1", "M-2"), Code::kInvalidArgument, "M-1");
  ExpectError(a.Rekey("NOPE", "X"), Code::kInvalidArgument, "'NOPE'");
  ExpectError(a.Remove("NOPE"), Code::kInvalidArgument, "'NOPE'");
  ExpectError(a.Add(Kind::kGateway, ""), Code::kInvalidArgument, "''");
  ExpectError(a.Add(Kind::kGateway, "a b"), Code::kInvalidArgument, "'a b'");
  ExpectError(a.Add(Kind::kGateway, "a#b"), Code::kInvalidArgument, "'a#b'");
  ExpectError(a.Add(Kind::kGateway, "caf\xc3\xa9"), Code::kInvalidArgument, "'caf\xc3\xa9'");
  ExpectError(a.Rekey("T-1", "t 2"), Code::kInvalidArgument, "'t 2'");
  const std::string longest(64, 'x');
  ExpectError(a.Add(Kind::kGateway, longest + "y"), Code::kInvalidArgument, longest + "y");
  EXPECT_EQ(Placed(a, Kind::kGateway, longest), 2u);
  EXPECT_EQ(Placed(a, Kind::kGateway, "Az09-_.:/@"), 0u);
  ExpectError(a.Add(Kind::kGateway, "G-3", {}, 3), Code::kInvalidArgument, "SPU3");
  ExpectError(a.Add(Kind::kDynamic, "D-1", {}, 7), Code::kInvalidArgument, "SPU7");
  ExpectError(a.Add(Kind::kTunnel, "T-3", "G-1", 3), Code::kInvalidArgument, "SPU3");
  ExpectError(a.Rekey("T-1", "T-1b", 3), Code::kInvalidArgument, "SPU3");
  // Nothing refused was taken.
  EXPECT_EQ(Names(a.Anchors()),
            (std::vector<std::string>{"G-1", "M-1", "T-1", longest, "Az09-_.:/@"}));
  EXPECT_EQ(a.Load(0), 2u);
  EXPECT_EQ(a.Load(1), 1u);
  EXPECT_EQ(a.Load(2), 1u);
  EXPECT_EQ(a.NextRoundRobin(), 0u);
}

TEST(Anchoring, RuleIds) {
  EXPECT_EQ(RuleId(Rule::kLeastLoaded), "spu.least-loaded");
  EXPECT_EQ(RuleId(Rule::kRoundRobin), "spu.round-robin");
  EXPECT_EQ(RuleId(Rule::kFollowIkeSa), "spu.follow-ike-sa");
  EXPECT_EQ(RuleId(Rule::kNeverMoved), "spu.never-moved");
  EXPECT_EQ(KindName(Kind::kManual), "manual");
  EXPECT_EQ(KindFromName("dynamic"), Kind::kDynamic);
  EXPECT_EQ(KindFromName("gw"), std::nullopt);
}

TEST(AnchoringChecker, LeastLoadedAnyOfTheTies) {
  Anchoring a = Make(3);
  EXPECT_EQ(a.Add(Kind::kGateway, "G-1", {}, 2).value(), 2u);  // all three tie
  EXPECT_EQ(a.Add(Kind::kManual, "M-1", {}, 0).value(), 0u);   // SPU0 and SPU1 tie
  ExpectRefused(a.Add(Kind::kGateway, "G-2", {}, 2), Rule::kLeastLoaded);
  ExpectRefused(a.Add(Kind::kManual, "M-2", {}, 0), Rule::kLeastLoaded);
  EXPECT_EQ(a.Find("G-2"), nullptr);
  EXPECT_EQ(a.Load(2), 1u);
  EXPECT_EQ(a.Add(Kind::kGateway, "G-2", {}, 1).value(), 1u);
  EXPECT_EQ(a.Add(Kind::kManual, "M-2", {}, 1).value(), 1u);  // all tie again
  ExpectRefused(a.Add(Kind::kGateway, "G-3", {}, 1), Rule::kLeastLoaded);
  EXPECT_EQ(a.Add(Kind::kGateway, "G-3", {}, 2).value(), 2u);
}

TEST(AnchoringChecker, RoundRobinStartsAnywhereThenTakesTurns) {
  Anchoring a = Make(3);
  Placed(a, Kind::kGateway, "G-1");
  EXPECT_EQ(a.Add(Kind::kDynamic, "D-1", {}, 2).value(), 2u);  // the first: anywhere
  ExpectRefused(a.Add(Kind::kDynamic, "D-2", {}, 2), Rule::kRoundRobin);
  // SPU1 is the least loaded, but not the turn.
  ExpectRefused(a.Add(Kind::kDynamic, "D-2", {}, 1), Rule::kRoundRobin);
  EXPECT_EQ(a.Add(Kind::kDynamic, "D-2", {}, 0).value(), 0u);
  EXPECT_EQ(Placed(a, Kind::kDynamic, "D-3"), 1u);  // turns continue from the device's start
  ExpectRefused(a.Add(Kind::kDynamic, "D-4", {}, 0), Rule::kRoundRobin);
  EXPECT_EQ(a.Add(Kind::kDynamic, "D-4", {}, 2).value(), 2u);
  ExpectRefused(a.Rekey("D-4", "D-4b", 0), Rule::kNeverMoved);
  EXPECT_EQ(a.Rekey("D-4", "D-4b", 2).value(), 2u);
  EXPECT_EQ(a.NextRoundRobin(), 0u);
}

TEST(AnchoringChecker, TunnelsFollowTheirIkeSa) {
  Anchoring a = Make(3);
  EXPECT_EQ(a.Add(Kind::kGateway, "G-1", {}, 1).value(), 1u);
  ExpectRefused(a.Add(Kind::kTunnel, "T-1", "G-1", 0), Rule::kFollowIkeSa);
  EXPECT_EQ(a.Find("T-1"), nullptr);
  EXPECT_EQ(a.Add(Kind::kTunnel, "T-1", "G-1", 1).value(), 1u);
  ExpectRefused(a.Rekey("T-1", "T-1b", 2), Rule::kFollowIkeSa);
  EXPECT_NE(a.Find("T-1"), nullptr);
  EXPECT_EQ(a.Find("T-1b"), nullptr);
  EXPECT_EQ(a.Rekey("T-1", "T-1b", 1).value(), 1u);
}

TEST(AnchoringChecker, RekeyedIkeSaIsNeverMoved) {
  Anchoring a = Make(2);
  Placed(a, Kind::kGateway, "G-1");
  Placed(a, Kind::kTunnel, "T-1", "G-1");
  // SPU1 is the least loaded, but a rekeyed IKE SA stays where it was.
  ExpectRefused(a.Rekey("G-1", "G-1b", 1), Rule::kNeverMoved);
  EXPECT_EQ(a.Find("T-1")->ike, "G-1");
  EXPECT_EQ(a.Rekey("G-1", "G-1b", 0).value(), 0u);
}

// ---- the event file ----

TEST(Events, ParsesEveryEventWithCommentsBlankLinesAndCrlf) {
  auto f = ParseEvents(
      "# tunnel map\r\n\r\n  spus 4 # four\r\ngateway G-1\r\n\tdynamic D-1 at SPU2\r\n"
      "manual M-1 at 3\r\n# a comment line\r\ntunnel T-1 over G-1 at SPU0\r\n"
      "rekey T-1 T-1b\r\nremove G-1   \r\n   \r\n");
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->spus, 4u);
  ASSERT_EQ(f->events.size(), 6u);
  const auto& e = f->events;
  EXPECT_EQ(e[0].line, 4u);
  EXPECT_EQ(e[0].op, Event::Op::kAdd);
  EXPECT_EQ(e[0].kind, Kind::kGateway);
  EXPECT_EQ(e[0].name, "G-1");
  EXPECT_EQ(e[0].at, std::nullopt);
  EXPECT_EQ(e[1].line, 5u);
  EXPECT_EQ(e[1].kind, Kind::kDynamic);
  EXPECT_EQ(e[1].at, 2u);
  EXPECT_EQ(e[2].kind, Kind::kManual);
  EXPECT_EQ(e[2].at, 3u);
  EXPECT_EQ(e[3].line, 8u);
  EXPECT_EQ(e[3].kind, Kind::kTunnel);
  EXPECT_EQ(e[3].name, "T-1");
  EXPECT_EQ(e[3].other, "G-1");
  EXPECT_EQ(e[3].at, 0u);
  EXPECT_EQ(e[4].op, Event::Op::kRekey);
  EXPECT_EQ(e[4].name, "T-1");
  EXPECT_EQ(e[4].other, "T-1b");
  EXPECT_EQ(e[5].line, 10u);
  EXPECT_EQ(e[5].op, Event::Op::kRemove);
  EXPECT_EQ(e[5].name, "G-1");

  auto empty = ParseEvents("# nothing\n\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->spus, std::nullopt);
  EXPECT_TRUE(empty->events.empty());
  auto last = ParseEvents("gateway G at SPU1023");  // no final newline; the highest SPU
  ASSERT_TRUE(last.ok()) << last.error().ToString();
  EXPECT_EQ(last->events.at(0).at, 1023u);
}

struct BadLine {
  std::string_view text;
  size_t line;
  size_t offset;
  std::string_view detail;
};

TEST(Events, SyntaxErrorsNameLineAndWord) {
  const BadLine cases[] = {
      {"frobnicate X\n", 1, 0, "unknown event 'frobnicate'"},
      {"spus 3\ngateway\n", 2, 7, "gateway NAME"},
      {"spus\n", 1, 0, "spus N"},
      {"spus 0\n", 1, 5, "'0'"},
      {"spus 1025\n", 1, 5, "'1025'"},
      {"spus x3\n", 1, 5, "'x3'"},
      {"spus -1\n", 1, 5, "'-1'"},
      {"spus 2\nspus 3\n", 2, 7, "twice"},
      {"gateway G\nspus 3\n", 2, 10, "before any event"},
      {"tunnel T\n", 1, 7, "tunnel NAME over IKE-NAME"},
      {"tunnel T via G\n", 1, 9, "tunnel NAME over IKE-NAME"},
      {"tunnel T over\n", 1, 9, "tunnel NAME over IKE-NAME"},
      {"rekey A\n", 1, 6, "rekey OLD-NAME NEW-NAME"},
      {"remove\n", 1, 0, "remove NAME"},
      {"gateway G at\n", 1, 10, "at SPUn"},
      {"gateway G at SPUx\n", 1, 13, "'SPUx'"},
      {"gateway G at SPU\n", 1, 13, "'SPU'"},
      {"gateway G at spu1\n", 1, 13, "'spu1'"},
      {"gateway G at 1024\n", 1, 13, "'1024'"},
      {"gateway G at SPU-1\n", 1, 13, "'SPU-1'"},
      {"remove G at SPU1\n", 1, 9, "unexpected 'at'"},
      {"gateway G H\n", 1, 10, "unexpected 'H'"},
      {"tunnel T over G at SPU1 at SPU2\n", 1, 24, "unexpected 'at'"},
      {"  \t dynamic\tD  at SPU1 extra # comment\n", 1, 23, "unexpected 'extra'"},
      {"# header\r\n\r\nspus 2\r\ngateway G\r\nbogus\r\n", 5, 31, "'bogus'"},
      {"spus 1\ngateway G at", 2, 17, "at SPUn"},
  };
  for (const BadLine& c : cases) {
    SCOPED_TRACE(c.text);
    auto f = ParseEvents(c.text);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().code, Code::kBadFile);
    EXPECT_EQ(f.error().offset, c.offset);
    EXPECT_THAT(f.error().detail, StartsWith("line " + std::to_string(c.line) + ": "));
    EXPECT_THAT(f.error().detail, HasSubstr(std::string(c.detail)));
  }
}

TEST(Events, ApplyErrorsNameTheLine) {
  auto f = ParseEvents("spus 2\n\ngateway G\n# again\ngateway G\n");
  ASSERT_TRUE(f.ok());
  auto a = ApplyEvents(*f, 2);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, Code::kInvalidArgument);
  EXPECT_THAT(a.error().detail, StartsWith("line 5: "));
  EXPECT_THAT(a.error().detail, HasSubstr("'G'"));

  f = ParseEvents("spus 2\ngateway G at SPU1\ngateway H at SPU1\n");
  ASSERT_TRUE(f.ok());
  a = ApplyEvents(*f, 2);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, Code::kBadPlacement);
  EXPECT_EQ(a.error().requirement, RuleId(Rule::kLeastLoaded));
  EXPECT_THAT(a.error().detail, StartsWith("line 3: "));

  f = ParseEvents("gateway G\ntunnel T over G\n\nremove G\nrekey T T2\n");
  ASSERT_TRUE(f.ok());
  a = ApplyEvents(*f, 1);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.error().detail, StartsWith("line 5: "));  // T went with G
  EXPECT_THAT(a.error().detail, HasSubstr("'T'"));

  f = ParseEvents("gateway G at SPU2\n");
  ASSERT_TRUE(f.ok());
  a = ApplyEvents(*f, 2);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, Code::kInvalidArgument);
  EXPECT_THAT(a.error().detail, StartsWith("line 1: "));
  EXPECT_THAT(a.error().detail, HasSubstr("SPU2"));
}

TEST(Events, FormatWritesTheFileSyntax) {
  EventFile file;
  file.spus = 3;
  file.events = {
      {1, Event::Op::kAdd, Kind::kGateway, "G-1", "", std::nullopt},
      {2, Event::Op::kAdd, Kind::kDynamic, "D-1", "", 2},
      {3, Event::Op::kAdd, Kind::kManual, "M-1", "", std::nullopt},
      {4, Event::Op::kAdd, Kind::kTunnel, "T-1", "G-1", 0},
      {5, Event::Op::kRekey, Kind::kTunnel, "T-1", "T-1b", std::nullopt},
      {6, Event::Op::kRemove, Kind::kTunnel, "G-1", "", std::nullopt},
  };
  EXPECT_EQ(FormatEvents(file),
            "spus 3\ngateway G-1\ndynamic D-1 at SPU2\nmanual M-1\ntunnel T-1 over G-1 at SPU0\n"
            "rekey T-1 T-1b\nremove G-1\n");
}

// Names are any 1 to 64 of the name characters (events.h), "at" included;
// the parse of FormatEvents' output must give the same events back.
TEST(Events, KeywordsAsNamesRoundTrip) {
  const std::string text =
      "gateway at\ngateway over\ntunnel tunnel over at\ntunnel at2 over over at SPU0\n"
      "rekey tunnel at\nremove at\n";
  auto f = ParseEvents(text);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  ASSERT_EQ(f->events.size(), 6u);
  EXPECT_EQ(f->events[0].name, "at");
  EXPECT_EQ(f->events[2].name, "tunnel");
  EXPECT_EQ(f->events[2].other, "at");
  EXPECT_EQ(f->events[3].name, "at2");
  EXPECT_EQ(f->events[3].other, "over");
  EXPECT_EQ(f->events[3].at, 0u);
  EXPECT_EQ(f->events[4].other, "at");
  EXPECT_EQ(f->events[5].name, "at");
  EXPECT_EQ(FormatEvents(*f), text);
}

}  // namespace
}  // namespace ipsecref::spu
