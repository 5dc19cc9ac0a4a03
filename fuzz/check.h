// The fuzz targets' assertion: a broken invariant traps, which every fuzzing
// engine reports as a crash (an exception or a log line would not be).
#pragma once

namespace ipsecref::fuzz {

inline void Check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace ipsecref::fuzz
