#include "tools/ipsecref/output_file.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "tools/ipsecref/cli.h"

namespace ipsecref::tool {

namespace {

// The permissions a new file gets from open(..., 0666): what the umask leaves.
mode_t NewFileMode() {
  const mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

}  // namespace

Result<OutputFile> OutputFile::Open(std::string_view option, const std::string& path,
                                    const std::vector<std::string>& inputs, bool allow_stdout) {
  OutputFile out;
  out.option_ = std::string(option);
  out.path_ = path;
  ENSURE(!path.empty(), kIoError, kNoOffset, "", fmt::format("{}: empty file name", option));
  if (path == "-") {
    ENSURE(allow_stdout, kIoError, kNoOffset, "",
           fmt::format("{} -: standard output carries the report; name a file", option));
    out.stdout_ = true;
    return out;
  }
  const auto failed = [&](std::string_view what, int error) {
    return MakeError(Code::kIoError, kNoOffset, "",
                     fmt::format("{}: {} {}: {}", option, what, Echo(path), std::strerror(error)));
  };
  struct stat st {};
  const bool exists = stat(path.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) return failed("cannot write", errno);
  out.target_ = path;
  if (exists) {
    ENSURE(!S_ISDIR(st.st_mode), kIoError, kNoOffset, "",
           fmt::format("{}: {} is a directory, not a file", option, Echo(path)));
    for (const std::string& input : inputs) {
      struct stat in {};
      if (input.empty() || input == "-" || stat(input.c_str(), &in) != 0) continue;
      ENSURE(in.st_dev != st.st_dev || in.st_ino != st.st_ino, kIoError, kNoOffset, "",
             fmt::format("{}: {} is the input {}: writing it would destroy what is read", option, Echo(path),
                         Echo(input)));
    }
    // `-o /dev/stdout` with stdout redirected to a file: a rename would put
    // the output beside what the shell opened, and the report in a file
    // nobody can see any more.
    struct stat out_st {};
    if (fstat(STDOUT_FILENO, &out_st) == 0 && out_st.st_dev == st.st_dev && out_st.st_ino == st.st_ino &&
        S_ISREG(st.st_mode)) {
      ENSURE(allow_stdout, kIoError, kNoOffset, "",
             fmt::format("{}: {} is standard output, which carries the report; name another file", option,
                         Echo(path)));
      out.stdout_ = true;
      return out;
    }
    if (!S_ISREG(st.st_mode)) {  // a device or a FIFO: written in place
      out.write_path_ = path;
      return out;
    }
    struct stat link {};
    if (lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
      char resolved[PATH_MAX];
      if (realpath(path.c_str(), resolved) == nullptr) return failed("cannot resolve", errno);
      out.target_ = resolved;
    }
  }
  const std::filesystem::path target(out.target_);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  // The name shows what it belongs to, cut so that the suffix still fits.
  std::string temporary = fmt::format("{}/.{}.ipsecref-XXXXXX", dir, target.filename().string().substr(0, 100));
  const int fd = mkstemp(temporary.data());
  if (fd < 0) return failed("cannot create a file beside", errno);
  out.write_path_ = temporary;
  out.temporary_ = true;
  // An existing file keeps its permissions; a new one gets the umask's.
  const int chmod_error = fchmod(fd, exists ? (st.st_mode & 07777) : NewFileMode()) == 0 ? 0 : errno;
  close(fd);
  if (chmod_error != 0) return failed("cannot set the permissions of a file beside", chmod_error);
  return out;
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : option_(std::move(other.option_)),
      path_(std::move(other.path_)),
      target_(std::move(other.target_)),
      write_path_(std::move(other.write_path_)),
      stdout_(other.stdout_),
      temporary_(other.temporary_) {
  other.temporary_ = false;
}

OutputFile::~OutputFile() {
  if (temporary_) unlink(write_path_.c_str());
}

Status OutputFile::Commit() {
  if (!temporary_) return OkStatus();
  if (rename(write_path_.c_str(), target_.c_str()) != 0)
    return MakeError(Code::kIoError, kNoOffset, "",
                     fmt::format("{}: cannot put {} in place: {}", option_, Echo(path_), std::strerror(errno)));
  temporary_ = false;
  return OkStatus();
}

}  // namespace ipsecref::tool
