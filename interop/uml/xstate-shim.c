/* xstate-shim.so (LD_PRELOAD into user-mode-linux 6.1): UML reads and writes the
 * tracee's FP state with PTRACE_{GET,SET}REGSET NT_X86_XSTATE and a fixed
 * 832-byte struct _xstate. A host whose XSAVE area is larger (AVX-512, AMX)
 * rejects the short SETREGSET with EFAULT ("ptrace set fp regs failed, errno
 * = 14") and UML panics. This shim does the transfer with the host's full
 * size: GET copies the first iov_len bytes out; SET reads the full current
 * state, overlays UML's bytes, and writes the full buffer back. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef long (*ptrace_fn)(int, pid_t, void *, void *);
static ptrace_fn real_ptrace;
static unsigned char full[65536];

long ptrace(enum __ptrace_request req, ...) {
  va_list ap;
  va_start(ap, req);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if (!real_ptrace) real_ptrace = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
  if ((req == PTRACE_GETREGSET || req == PTRACE_SETREGSET) && (long)addr == NT_X86_XSTATE) {
    struct iovec *uiov = data;
    struct iovec fiov = {full, sizeof full};
    long r = real_ptrace(PTRACE_GETREGSET, pid, addr, &fiov);
    if (r < 0) return r;
    size_t n = uiov->iov_len < fiov.iov_len ? uiov->iov_len : fiov.iov_len;
    if (req == PTRACE_GETREGSET) {
      memcpy(uiov->iov_base, full, n);
      uiov->iov_len = n;
      return 0;
    }
    memcpy(full, uiov->iov_base, n);
    return real_ptrace(PTRACE_SETREGSET, pid, addr, &fiov);
  }
  return real_ptrace(req, pid, addr, data);
}
