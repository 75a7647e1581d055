#include "errors.h"

#include <cstring>
#include <string>

namespace syscallmon {

Napi::Error ErrnoError(Napi::Env env, int err, const char *syscall)
{
	// strerrorname_np (glibc >= 2.32) gives the symbolic name Node users
	// match on; it is NULL for numbers glibc does not know.
	const char *name = strerrorname_np(err);
	std::string code = name ? name : "E" + std::to_string(err);
	char text[128];
	// GNU strerror_r returns the message, not necessarily in text.
	const char *msg = strerror_r(err, text, sizeof(text));
	Napi::Error e = Napi::Error::New(env, code + ": " + msg + ", " + syscall);
	e.Set("code", Napi::String::New(env, code));
	e.Set("errno", Napi::Number::New(env, err));
	e.Set("syscall", Napi::String::New(env, syscall));
	return e;
}

void ThrowErrno(Napi::Env env, int err, const char *syscall)
{
	throw ErrnoError(env, err, syscall);
}

} // namespace syscallmon
