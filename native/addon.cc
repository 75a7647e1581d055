// Module init: the ABI facts TypeScript needs (constants, the record structs'
// members, the event schema, the syscall table), then the device functions
// and streaming. Everything comes from kernel/include/uapi/ and the
// generated tables; nothing is written here by hand.
#include <napi.h>

#include <cstddef>
#include <string>
#include <type_traits>

#include "device.h"
#include "formatter.h"
#include "stream.h"
#include "uapi/syscallmon.h"
#include "uapi/syscallmon_schema.h"

namespace syscallmon {
namespace {

Napi::Object Constants(Napi::Env env)
{
	Napi::Object c = Napi::Object::New(env);
	// abi.h (native/gen-abi.sh) lists every integer SYSCALLMON_* name.
#define SYSCALLMON_CONST(name) c.Set(#name, Napi::Number::New(env, static_cast<double>(SYSCALLMON_##name)));
#define SYSCALLMON_MEMBER(rec, member)
#include "abi.h"
#undef SYSCALLMON_CONST
#undef SYSCALLMON_MEMBER
	return c;
}

// A member's C type as the library reads it: u16, s32, u64[6], char[16],
// char[] (a flexible array), from the declaration itself.
template <typename M> std::string TypeName()
{
	using E = std::remove_all_extents_t<M>;
	std::string t;
	if constexpr (std::is_same_v<E, char>)
		t = "char";
	else
		t = std::string(std::is_signed_v<E> ? "s" : "u") + std::to_string(8 * sizeof(E));
	if constexpr (std::is_array_v<M>)
		t += "[" + (std::extent_v<M> ? std::to_string(std::extent_v<M>) : std::string()) + "]";
	return t;
}

Napi::Object Member(Napi::Env env, size_t offset, const std::string &type)
{
	Napi::Object m = Napi::Object::New(env);
	m.Set("offset", Napi::Number::New(env, static_cast<double>(offset)));
	m.Set("type", Napi::String::New(env, type));
	return m;
}

// Every record struct: its fixed size and every member's offset and type.
Napi::Object Records(Napi::Env env)
{
	Napi::Object records = Napi::Object::New(env);
	for (const char *rec : { "syscall", "exit", "config", "lost" })
		records.Set(rec, Napi::Object::New(env));
	records.Get("syscall").As<Napi::Object>().Set("size", Napi::Number::New(env, sizeof(struct syscallmon_syscall)));
	records.Get("exit").As<Napi::Object>().Set("size", Napi::Number::New(env, sizeof(struct syscallmon_exit)));
	records.Get("config").As<Napi::Object>().Set("size", Napi::Number::New(env, sizeof(struct syscallmon_config)));
	records.Get("lost").As<Napi::Object>().Set("size", Napi::Number::New(env, sizeof(struct syscallmon_lost)));
	for (const char *rec : { "syscall", "exit", "config", "lost" })
		records.Get(rec).As<Napi::Object>().Set("members", Napi::Object::New(env));
#define SYSCALLMON_CONST(name)
#define SYSCALLMON_MEMBER(rec, member)                                                              \
	records.Get(#rec).As<Napi::Object>().Get("members").As<Napi::Object>().Set(                 \
		#member, Member(env, offsetof(struct syscallmon_##rec, member),                     \
				TypeName<decltype(static_cast<struct syscallmon_##rec *>(nullptr)->member)>()));
#include "abi.h"
#undef SYSCALLMON_CONST
#undef SYSCALLMON_MEMBER
	return records;
}

// A field several record types carry is read at one offset in all of them.
static_assert(offsetof(struct syscallmon_syscall, h) == 0 && offsetof(struct syscallmon_exit, h) == 0 &&
		      offsetof(struct syscallmon_config, h) == 0 && offsetof(struct syscallmon_lost, h) == 0,
	      "every record starts with its header");
static_assert(offsetof(struct syscallmon_syscall, task) == offsetof(struct syscallmon_exit, task) &&
		      offsetof(struct syscallmon_syscall, task) == offsetof(struct syscallmon_config, task),
	      "syscall, exit and config records hold the task at one offset");

// syscallmon_schema.h's table, field by field, in its order.
Napi::Array Schema(Napi::Env env)
{
	Napi::Array a = Napi::Array::New(env);
	uint32_t i = 0;
#define SYSCALLMON_FIELD(name, kind, presence, records, rec, member, flag)                        \
	{                                                                                         \
		Napi::Object f = Napi::Object::New(env);                                          \
		f.Set("name", Napi::String::New(env, #name));                                     \
		f.Set("kind", Napi::String::New(env, #kind));                                     \
		f.Set("nullable", Napi::Boolean::New(env, std::string(#presence) == "NULLABLE")); \
		f.Set("records", Napi::Number::New(env, records));                                \
		f.Set("rec", Napi::String::New(env, #rec));                                       \
		f.Set("member", Napi::String::New(env, #member));                                 \
		f.Set("flag", Napi::Number::New(env, flag));                                      \
		(void)offsetof(struct syscallmon_##rec, member);                                  \
		a.Set(i++, f);                                                                    \
	}
	SYSCALLMON_EVENT_FIELDS(SYSCALLMON_FIELD)
#undef SYSCALLMON_FIELD
	return a;
}

struct Entry {
	uint32_t abi;
	uint32_t nr;
	const char *symbol;
};

static const Entry kEntries[] = {
#define SYSCALLMON_ENTRY(abi, nr, name, symbol, op) { abi, nr, symbol },
#include "syscall_table.h"
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
		e.Set("fdArg", Napi::Number::New(env, fd_arg));              \
		a.Set(i++, e);                                               \
	}
#include "syscall_table.h"
	return a;
}

Napi::Object Init(Napi::Env env, Napi::Object exports)
{
	exports.Set("constants", Constants(env));
	exports.Set("records", Records(env));
	exports.Set("schema", Schema(env));
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
