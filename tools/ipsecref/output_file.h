// Output files of the ipsecref tool (decrypt -o, check --junit): written in
// full or not at all, and never over an input.
//
// A regular file (new or existing) is written to a temporary file beside it
// (".NAME.ipsecref-XXXXXX" in the same directory, so the rename cannot cross
// file systems) and renamed onto NAME by Commit(), once everything was
// written; until then an existing NAME is untouched, and a command that
// fails leaves it as it was (the destructor removes the temporary file). A
// symbolic link is written through (its target is replaced). Devices and
// FIFOs (/dev/null, a pipe) are written in place.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"

namespace ipsecref::tool {

class OutputFile {
 public:
  // Plans writing `path` for `option` ("-o", "--junit"); "-" is standard
  // output when `allow_stdout`. Refuses (kIoError, naming the option and
  // the path) an empty name, a directory, and a path that is one of
  // `inputs` (the same file: same device and inode, through links and
  // other names too), before anything is read or written. Creates the
  // temporary file.
  static Result<OutputFile> Open(std::string_view option, const std::string& path,
                                 const std::vector<std::string>& inputs, bool allow_stdout = false);

  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&&) = delete;
  OutputFile(const OutputFile&) = delete;
  ~OutputFile();

  bool is_stdout() const { return stdout_; }
  const std::string& path() const { return path_; }
  // Where the writer writes: the temporary file, or the path itself when it
  // is written in place. Empty for standard output.
  const std::string& write_path() const { return write_path_; }

  // Renames the temporary file onto the path (nothing to do in place).
  // Errors: kIoError with the system's reason.
  [[nodiscard]] Status Commit();

 private:
  OutputFile() = default;
  std::string option_;
  std::string path_;        // as given
  std::string target_;      // what the rename replaces (a link's target)
  std::string write_path_;  // the temporary file, or path_
  bool stdout_ = false;
  bool temporary_ = false;  // write_path_ is a temporary file not yet renamed
};

}  // namespace ipsecref::tool
