// Argument conversion shared by the exported functions. TypeScript validates
// and defaults everything; these checks only keep a wrong type from turning
// into undefined behaviour here.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "uapi/syscallmon.h"

namespace syscallmon {

inline int ArgFd(const Napi::CallbackInfo &info, size_t i)
{
	if (i >= info.Length() || !info[i].IsNumber())
		throw Napi::TypeError::New(info.Env(), "fd must be a number");
	return info[i].As<Napi::Number>().Int32Value();
}

inline uint32_t ArgU32(const Napi::CallbackInfo &info, size_t i, const char *what)
{
	if (i >= info.Length() || !info[i].IsNumber())
		throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
	return info[i].As<Napi::Number>().Uint32Value();
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
		out[i] = e.As<Napi::Number>().Uint32Value();
	}
	return out;
}

inline uint32_t PropU32(Napi::Object o, const char *key)
{
	Napi::Value v = o.Get(key);
	if (!v.IsNumber())
		throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
	return v.As<Napi::Number>().Uint32Value();
}

inline int32_t PropI32(Napi::Object o, const char *key)
{
	Napi::Value v = o.Get(key);
	if (!v.IsNumber())
		throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
	return v.As<Napi::Number>().Int32Value();
}

inline Napi::BigInt U64(Napi::Env env, uint64_t v)
{
	return Napi::BigInt::New(env, v);
}

} // namespace syscallmon
