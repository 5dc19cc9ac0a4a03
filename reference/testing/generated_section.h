// A README section generated from a code table (the deviations, the
// conformance checks): the test reads the text between `begin` and `end` in
// `path` (relative to the source root, where ctest runs the tests) and
// expects `expected`; with IPSECREF_REGENERATE set it rewrites the section
// instead.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace ipsecref::testing {

inline void ExpectGeneratedSection(const std::string& path, const std::string& begin, const std::string& end,
                                   const std::string& expected) {
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path << " (run from the source root)";
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  const size_t b = text.find(begin), e = text.find(end, b == std::string::npos ? 0 : b);
  ASSERT_NE(b, std::string::npos) << path << " lacks the line " << begin;
  ASSERT_NE(e, std::string::npos) << path << " lacks the line " << end;
  const std::string section = text.substr(b + begin.size(), e - b - begin.size());
  if (section != expected && std::getenv("IPSECREF_REGENERATE") != nullptr) {
    std::ofstream(path) << text.substr(0, b + begin.size()) << expected << text.substr(e);
    std::cout << path << " regenerated\n";
    return;
  }
  EXPECT_EQ(section, expected) << path << " differs from the code's table; regenerate it with IPSECREF_REGENERATE=1";
}

}  // namespace ipsecref::testing
