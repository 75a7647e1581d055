// Module init: the ABI facts TypeScript needs (constants, record offsets and
// sizes, the syscall table), then the device functions and streaming.
// Everything numeric comes from kernel/include/uapi/syscallmon.h and the
// generated tables; nothing is written here by hand.
#include <napi.h>

#include <cstddef>

#include "device.h"
#include "formatter.h"
#include "stream.h"
#include "uapi/syscallmon.h"

namespace syscallmon {
namespace {

Napi::Object Constants(Napi::Env env)
{
	Napi::Object c = Napi::Object::New(env);
	// abi.h (native/gen-abi.sh) lists every integer SYSCALLMON_* name.
#define SYSCALLMON_CONST(name) c.Set(#name, Napi::Number::New(env, static_cast<double>(SYSCALLMON_##name)));
#define SYSCALLMON_EVENT_FIELD(name)
#include "abi.h"
#undef SYSCALLMON_CONST
#undef SYSCALLMON_EVENT_FIELD
	c.Set("RECORD_SIZE", Napi::Number::New(env, sizeof(struct syscallmon_event)));
	return c;
}

Napi::Object Offsets(Napi::Env env)
{
	Napi::Object o = Napi::Object::New(env);
#define SYSCALLMON_CONST(name)
#define SYSCALLMON_EVENT_FIELD(name) o.Set(#name, Napi::Number::New(env, offsetof(struct syscallmon_event, name)));
#include "abi.h"
#undef SYSCALLMON_CONST
#undef SYSCALLMON_EVENT_FIELD
	return o;
}

Napi::Object Sizes(Napi::Env env)
{
	Napi::Object o = Napi::Object::New(env);
#define SYSCALLMON_CONST(name)
#define SYSCALLMON_EVENT_FIELD(name) \
	o.Set(#name, Napi::Number::New(env, sizeof(static_cast<struct syscallmon_event *>(nullptr)->name)));
#include "abi.h"
#undef SYSCALLMON_CONST
#undef SYSCALLMON_EVENT_FIELD
	return o;
}

struct Entry {
	uint32_t abi;
	uint32_t nr;
	const char *symbol;
};

static const Entry kEntries[] = {
#define SYSCALLMON_OP(nr, name, path_arg, fd_arg)
#define SYSCALLMON_ENTRY(abi, nr, name, symbol, op) { abi, nr, symbol },
#define SYSCALLMON_SOCKETCALL(call, op)
#define SYSCALLMON_IPC(call, op)
#include "syscall_table.h"
#undef SYSCALLMON_OP
#undef SYSCALLMON_ENTRY
#undef SYSCALLMON_SOCKETCALL
#undef SYSCALLMON_IPC
};

// The x86_64 entry symbol of an operation ("" where this kernel has none).
static const char *X64Symbol(uint32_t op)
{
	for (const Entry &e : kEntries)
		if (e.abi == SYSCALLMON_ABI_X64 && e.nr == op)
			return e.symbol;
	return "";
}

Napi::Array Syscalls(Napi::Env env)
{
	Napi::Array a = Napi::Array::New(env);
	uint32_t i = 0;
	// syscall_table.h (scripts/gen-syscalls.sh) is the table the module uses.
#define SYSCALLMON_OP(nr, name, path_arg, fd_arg)                           \
	{                                                                    \
		Napi::Object e = Napi::Object::New(env);                     \
		e.Set("nr", Napi::Number::New(env, nr));                     \
		e.Set("name", Napi::String::New(env, #name));                \
		e.Set("symbol", Napi::String::New(env, X64Symbol(nr)));      \
		e.Set("pathArg", Napi::Number::New(env, path_arg));          \
		a.Set(i++, e);                                               \
	}
#define SYSCALLMON_ENTRY(abi, nr, name, symbol, op)
#define SYSCALLMON_SOCKETCALL(call, op)
#define SYSCALLMON_IPC(call, op)
#include "syscall_table.h"
#undef SYSCALLMON_OP
#undef SYSCALLMON_ENTRY
#undef SYSCALLMON_SOCKETCALL
#undef SYSCALLMON_IPC
	return a;
}

Napi::Object Init(Napi::Env env, Napi::Object exports)
{
	exports.Set("constants", Constants(env));
	exports.Set("offsets", Offsets(env));
	exports.Set("sizes", Sizes(env));
	exports.Set("devicePath", Napi::String::New(env, SYSCALLMON_DEVICE_PATH));
	exports.Set("procDir", Napi::String::New(env, SYSCALLMON_PROC_DIR));
	exports.Set("syscalls", Syscalls(env));
	InitDevice(env, exports);
	InitStream(env, exports);
	InitFormatter(env, exports);
	return exports;
}

} // namespace
} // namespace syscallmon

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports)
{
	return syscallmon::Init(env, exports);
}

NODE_API_MODULE(syscallmon, InitAddon)
