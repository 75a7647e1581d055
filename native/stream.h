// Event streaming: batches of whole records from the device fd to a JS
// callback without blocking the event loop (design and measurement in
// stream.cc).
#pragma once

#include <napi.h>

namespace syscallmon {

void InitStream(Napi::Env env, Napi::Object exports);

// Stops (and joins) every stream reading fd; called before fd is closed.
void StopStreamsOnFd(int fd);

} // namespace syscallmon
