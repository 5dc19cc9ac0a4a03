// Replays fuzz inputs without libFuzzer: runs LLVMFuzzerTestOneInput over
// every regular file in the directories (or the files) named on the command
// line, so that corpora and saved crashers run as ordinary tests in builds
// without the fuzzing engine (ctest label `fuzz-regression`).
//
//   esp_decap_fuzzer_regression fuzz/corpus/esp_decap fuzz/regressions/esp_decap
//
// README and dot files are not inputs. A crash, sanitizer report or trap
// fails the run, naming the input first. A path that is neither a file nor a
// directory, or no input at all, fails it too (exit 2): a corpus that went
// missing must not pass as a run over nothing (fuzz/CMakeLists.txt names
// regressions/<target> only where it exists).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

bool IsInput(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] != '.' && name.rfind("README", 0) != 0;
}

bool Run(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::fprintf(stderr, "running %s (%zu bytes)\n", path.c_str(), bytes.size());
  // A heap copy of exactly the input's size, so that ASan sees overreads.
  std::vector<uint8_t> exact(bytes);
  LLVMFuzzerTestOneInput(exact.data(), exact.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  size_t inputs = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code ec;
    if (fs::is_regular_file(arg, ec)) {
      ok = Run(arg) && ok;
      ++inputs;
      continue;
    }
    if (!fs::is_directory(arg, ec)) {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(arg, ec))
      if (entry.is_regular_file() && IsInput(entry.path())) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      ok = Run(file) && ok;
      ++inputs;
    }
  }
  if (inputs == 0) {
    std::fprintf(stderr, "no inputs in %d paths: nothing was run\n", argc - 1);
    return 2;
  }
  std::printf("%zu inputs ran without a crash\n", inputs);
  return ok ? 0 : 1;
}
