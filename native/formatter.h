// ndjsonFormatter(): the NDJSON formatter's face to JS (see formatter.cc).
#pragma once

#include <napi.h>

#include <memory>

#include "ndjson.h"

namespace syscallmon {

// The formatter behind a function that ndjsonFormatter() returned; throws a
// TypeError for any other value.
std::shared_ptr<NdjsonFormatter> UnwrapFormatter(Napi::Env env, Napi::Value v);

void InitFormatter(Napi::Env env, Napi::Object exports);

} // namespace syscallmon
