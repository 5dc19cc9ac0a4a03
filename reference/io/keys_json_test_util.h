// What the keys.json tests share: a vector file parsed, a key file or
// directory loaded as `ipsecref check --keys` loads it, and a fresh
// temporary directory. Each reports a failure to GoogleTest and returns an
// empty value.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "reference/io/keys.h"
#include "reference/io/keys_json.h"

namespace ipsecref::io::test {

inline const std::string kKeysJsonVectors = "vectors/keys-json/";

inline KeysJson ParseKeysJsonFile(const std::string& path) {
  auto text = ReadKeyFile(path);
  EXPECT_TRUE(text.ok()) << text.error().ToString();
  if (!text.ok()) return {};
  auto keys = ParseKeysJson(*text, path);
  EXPECT_TRUE(keys.ok()) << keys.error().ToString();
  return keys.ok() ? std::move(*keys) : KeysJson{};
}

inline KeyStore LoadKeys(const std::string& path) {
  auto store = KeyStore::Load(path);
  EXPECT_TRUE(store.ok()) << store.error().ToString();
  return store.ok() ? std::move(*store) : KeyStore{};
}

// A fresh directory under the temporary directory, named after the test.
inline std::filesystem::path TempDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("ipsecref-keys-json-{}-{}", ::getpid(), name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace ipsecref::io::test
