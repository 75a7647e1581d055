// The device's syscalls, one exported function each: open/close, every
// ioctl of kernel/include/uapi/syscallmon.h, and the non-blocking read.
#pragma once

#include <napi.h>

namespace syscallmon {

void InitDevice(Napi::Env env, Napi::Object exports);

} // namespace syscallmon
