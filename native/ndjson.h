// NDJSON formatting of raw records for tail --json (see ndjson.cc).
#pragma once

#include <napi.h>

namespace syscallmon {

void InitNdjson(Napi::Env env, Napi::Object exports);

} // namespace syscallmon
