// Argument conversion shared by the exported functions. TypeScript validates
// and defaults everything; these checks only keep a wrong type from turning
// into undefined behaviour here.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "uapi/syscallmon.h"

namespace syscallmon {

// A JS number is a double: Uint32Value() and Int32Value() would wrap -1 to
// 4294967295, 2^32 + 5 to 5, and cut 1.5 to 1 and NaN to 0, so a wrong value
// would reach the kernel as another, valid one (another pid, another fd).
// Refused instead, in one line.
inline double ToInteger(Napi::Env env, Napi::Value v, const std::string &what, double lo, double hi)
{
	if (!v.IsNumber())
		throw Napi::TypeError::New(env, what + " must be a number");
	double d = v.As<Napi::Number>().DoubleValue();
	if (!std::isfinite(d) || std::trunc(d) != d || d < lo || d > hi)
		throw Napi::RangeError::New(env, what + " must be an integer in " + std::to_string((long long)lo) + ".." +
							 std::to_string((long long)hi) + ", got " + v.ToString().Utf8Value());
	return d;
}

inline uint32_t ToU32(Napi::Env env, Napi::Value v, const std::string &what)
{
	return (uint32_t)ToInteger(env, v, what, 0, UINT32_MAX);
}

inline int32_t ToI32(Napi::Env env, Napi::Value v, const std::string &what)
{
	return (int32_t)ToInteger(env, v, what, INT32_MIN, INT32_MAX);
}

inline Napi::Value Arg(const Napi::CallbackInfo &info, size_t i)
{
	return i < info.Length() ? info[i] : info.Env().Undefined();
}

// Negative fds pass: the syscall answers EBADF, as Node's fs does.
inline int ArgFd(const Napi::CallbackInfo &info, size_t i)
{
	return ToI32(info.Env(), Arg(info, i), "fd");
}

inline uint32_t ArgU32(const Napi::CallbackInfo &info, size_t i, const char *what)
{
	return ToU32(info.Env(), Arg(info, i), what);
}

// A batch size in bytes: room for the largest record at least, so that
// every read can hand out one.
inline uint32_t ArgMaxBytes(const Napi::CallbackInfo &info, size_t i)
{
	uint32_t max = ArgU32(info, i, "maxBytes");
	if (max < SYSCALLMON_RECORD_MAX)
		throw Napi::RangeError::New(info.Env(), "maxBytes must be at least " + std::to_string(SYSCALLMON_RECORD_MAX));
	return max;
}

inline bool ArgBool(const Napi::CallbackInfo &info, size_t i, const char *what)
{
	if (i >= info.Length() || !info[i].IsBoolean())
		throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a boolean");
	return info[i].As<Napi::Boolean>().Value();
}

inline std::vector<uint32_t> ToU32Array(Napi::Env env, Napi::Value v, const char *what)
{
	if (!v.IsArray())
		throw Napi::TypeError::New(env, std::string(what) + " must be an array");
	Napi::Array a = v.As<Napi::Array>();
	std::vector<uint32_t> out(a.Length());
	for (uint32_t i = 0; i < out.size(); i++) {
		Napi::Value e = a.Get(i);
		if (!e.IsNumber())
			throw Napi::TypeError::New(env, std::string(what) + " must hold numbers");
		out[i] = ToU32(env, e, std::string(what) + "[" + std::to_string(i) + "]");
	}
	return out;
}

inline uint32_t PropU32(Napi::Object o, const char *key)
{
	return ToU32(o.Env(), o.Get(key), key);
}

inline int32_t PropI32(Napi::Object o, const char *key)
{
	return ToI32(o.Env(), o.Get(key), key);
}

inline Napi::BigInt U64(Napi::Env env, uint64_t v)
{
	return Napi::BigInt::New(env, v);
}

} // namespace syscallmon
