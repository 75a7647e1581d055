// Failed syscalls become JS Errors shaped like Node's own (code, errno, syscall).
#pragma once

#include <napi.h>

namespace syscallmon {

// err is a positive errno; syscall names the call ("open", "ioctl:SEEK").
Napi::Error ErrnoError(Napi::Env env, int err, const char *syscall);

// Throws ErrnoError as a C++ exception (node-addon-api turns it into a JS throw).
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char *syscall);

} // namespace syscallmon
