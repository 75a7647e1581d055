#include "device.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "convert.h"
#include "errors.h"
#include "stream.h"
#include "uapi/syscallmon.h"

namespace syscallmon {
namespace {

void Ioctl(Napi::Env env, int fd, unsigned long request, void *arg, const char *name)
{
	int r;
	do
		r = ioctl(fd, request, arg);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		ThrowErrno(env, errno, name);
}

// A list ioctl says how many entries there are, which may be more than fit
// (some may come between two calls): grow until everything fit. 0 or the
// errno of the failed ioctl.
template <typename Entry, typename List>
int TryListAll(int fd, unsigned long request, List list, __u64 List::*at, size_t room, std::vector<Entry> *entries)
{
	entries->assign(room ? room : 1, Entry{});
	for (;;) {
		list.max = entries->size();
		list.*at = (__u64)(uintptr_t)entries->data();
		int r;
		do
			r = ioctl(fd, request, &list);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return errno;
		if (list.count <= list.max)
			break;
		entries->resize(list.count);
	}
	entries->resize(list.count);
	return 0;
}

template <typename Entry, typename List>
std::vector<Entry> ListAll(Napi::Env env, int fd, unsigned long request, const char *name, List list,
			   __u64 List::*at, size_t room)
{
	std::vector<Entry> entries;
	int err = TryListAll(fd, request, list, at, room, &entries);
	if (err)
		ThrowErrno(env, err, name);
	return entries;
}

Napi::Array ToArray(Napi::Env env, const std::vector<uint32_t> &v)
{
	Napi::Array out = Napi::Array::New(env, v.size());
	for (uint32_t j = 0; j < v.size(); j++)
		out.Set(j, v[j]);
	return out;
}

// The processes of a target's scope (nr) or a rule's set (rule), as numbers in our pid namespace.
Napi::Array ScopePids(Napi::Env env, int fd, struct syscallmon_pid_list list, size_t room)
{
	return ToArray(env, ListAll<uint32_t>(env, fd, SYSCALLMON_IOC_GET_PIDS, "ioctl:GET_PIDS", list,
					      &syscallmon_pid_list::pids, room));
}

Napi::Value Open(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	if (info.Length() < 1 || !info[0].IsString())
		throw Napi::TypeError::New(env, "path must be a string");
	std::string path = info[0].As<Napi::String>();
	// open() would take the path up to its first NUL: another file.
	if (path.find('\0') != std::string::npos)
		throw Napi::TypeError::New(env, "path must be a string without NUL bytes");
	int flags = O_RDWR | O_CLOEXEC;
	if (ArgBool(info, 1, "nonblock"))
		flags |= O_NONBLOCK;
	int fd;
	do
		fd = open(path.c_str(), flags);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		ThrowErrno(env, errno, "open");
	return Napi::Number::New(env, fd);
}

Napi::Value Close(const Napi::CallbackInfo &info)
{
	int fd = ArgFd(info, 0);
	// A reader thread or uv_poll still watching fd would, after close(),
	// watch whatever file next gets that number.
	StopStreamsOnFd(fd);
	// Linux releases the fd even when close() fails with EINTR: no retry.
	if (close(fd) < 0 && errno != EINTR)
		ThrowErrno(info.Env(), errno, "close");
	return info.Env().Undefined();
}

Napi::Value GetVersion(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	struct syscallmon_version v;
	memset(&v, 0, sizeof(v));
	Ioctl(env, ArgFd(info, 0), SYSCALLMON_IOC_GET_VERSION, &v, "ioctl:GET_VERSION");
	Napi::Object o = Napi::Object::New(env);
	o.Set("apiVersion", v.api_version);
	o.Set("recordMax", v.record_max);
	o.Set("maxPids", v.max_pids);
	o.Set("nrLimit", v.nr_limit);
	return o;
}

// ioctls whose argument is one __u32 passed by pointer.
Napi::Value U32Ioctl(const Napi::CallbackInfo &info, unsigned long request, const char *name, __u32 value)
{
	Ioctl(info.Env(), ArgFd(info, 0), request, &value, name);
	return info.Env().Undefined();
}

Napi::Value SetMode(const Napi::CallbackInfo &info)
{
	return U32Ioctl(info, SYSCALLMON_IOC_SET_MODE, "ioctl:SET_MODE", ArgU32(info, 1, "mode"));
}

Napi::Value Hold(const Napi::CallbackInfo &info)
{
	struct syscallmon_hold h = {};

	h.mode = ArgU32(info, 1, "mode");
	h.exits = ArgU32(info, 2, "exits");
	Ioctl(info.Env(), ArgFd(info, 0), SYSCALLMON_IOC_HOLD, &h, "ioctl:HOLD");
	return info.Env().Undefined();
}

Napi::Value Clear(const Napi::CallbackInfo &info)
{
	return U32Ioctl(info, SYSCALLMON_IOC_CLEAR, "ioctl:CLEAR", ArgU32(info, 1, "flags"));
}

Napi::Value Seek(const Napi::CallbackInfo &info)
{
	return U32Ioctl(info, SYSCALLMON_IOC_SEEK, "ioctl:SEEK", ArgU32(info, 1, "whence"));
}

Napi::Value SetExits(const Napi::CallbackInfo &info)
{
	__u32 on = ArgBool(info, 1, "on") ? SYSCALLMON_EXITS_ON : SYSCALLMON_EXITS_OFF;
	return U32Ioctl(info, SYSCALLMON_IOC_SET_EXITS, "ioctl:SET_EXITS", on);
}

Napi::Value AddTarget(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	if (info.Length() < 2 || !info[1].IsObject())
		throw Napi::TypeError::New(env, "target must be an object");
	Napi::Object t = info[1].As<Napi::Object>();
	std::vector<uint32_t> pids = ToU32Array(env, t.Get("pids"), "pids");
	struct syscallmon_target target;
	memset(&target, 0, sizeof(target));
	target.nr = PropU32(t, "nr");
	target.action = PropU32(t, "action");
	target.err = PropI32(t, "err");
	target.flags = PropU32(t, "flags");
	target.record = PropU32(t, "record");
	target.npids = pids.size();
	target.pids = (__u64)(uintptr_t)pids.data();
	Ioctl(env, fd, SYSCALLMON_IOC_ADD_TARGET, &target, "ioctl:ADD_TARGET");
	return env.Undefined();
}

Napi::Value DelTarget(const Napi::CallbackInfo &info)
{
	struct syscallmon_target target;
	memset(&target, 0, sizeof(target));
	target.nr = ArgU32(info, 1, "nr");
	Ioctl(info.Env(), ArgFd(info, 0), SYSCALLMON_IOC_DEL_TARGET, &target, "ioctl:DEL_TARGET");
	return info.Env().Undefined();
}

Napi::Value PidsIoctl(const Napi::CallbackInfo &info, unsigned long request, const char *name)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	uint32_t nr = ArgU32(info, 1, "nr");
	std::vector<uint32_t> pids = ToU32Array(env, info[2], "pids");
	struct syscallmon_pids p;
	memset(&p, 0, sizeof(p));
	p.nr = nr;
	p.npids = pids.size();
	p.pids = (__u64)(uintptr_t)pids.data();
	Ioctl(env, fd, request, &p, name);
	return env.Undefined();
}

Napi::Value AddPids(const Napi::CallbackInfo &info)
{
	return PidsIoctl(info, SYSCALLMON_IOC_ADD_PIDS, "ioctl:ADD_PIDS");
}

Napi::Value DelPids(const Napi::CallbackInfo &info)
{
	return PidsIoctl(info, SYSCALLMON_IOC_DEL_PIDS, "ioctl:DEL_PIDS");
}

Napi::Value GetStatus(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	struct syscallmon_status s;
	memset(&s, 0, sizeof(s));
	Ioctl(env, ArgFd(info, 0), SYSCALLMON_IOC_GET_STATUS, &s, "ioctl:GET_STATUS");
	Napi::Object o = Napi::Object::New(env);
	o.Set("api_version", s.api_version);
	o.Set("mode", s.mode);
	o.Set("flags", s.flags);
	o.Set("return_slots", s.return_slots);
	o.Set("ntargets", s.ntargets);
	o.Set("armed", s.armed);
	o.Set("readers", s.readers);
	o.Set("hooked", s.hooked);
	o.Set("ring_size", U64(env, s.ring_size));
	o.Set("head", U64(env, s.head));
	o.Set("tail", U64(env, s.tail));
	o.Set("head_seq", U64(env, s.head_seq));
	o.Set("tail_seq", U64(env, s.tail_seq));
	o.Set("events", U64(env, s.events));
	o.Set("overwritten", U64(env, s.overwritten));
	o.Set("cleared", U64(env, s.cleared));
	o.Set("reader_lost", U64(env, s.reader_lost));
	o.Set("reader_seq", U64(env, s.reader_seq));
	o.Set("exits", U64(env, s.exits));
	o.Set("missed", U64(env, s.missed));
	o.Set("no_result", U64(env, s.no_result));
	o.Set("calls_in_flight", U64(env, s.calls_in_flight));
	o.Set("allocs_live", U64(env, s.allocs_live));
	o.Set("nrules", s.nrules);
	o.Set("file_hooks", s.file_hooks);
	o.Set("tree_missed", U64(env, s.tree_missed));
	o.Set("file_hooks_missed", U64(env, s.file_hooks_missed));
	o.Set("config_records", U64(env, s.config_records));
	o.Set("mode_set", s.mode_set);
	o.Set("mode_holders", s.mode_holders);
	o.Set("exits_holders", s.exits_holders);
	return o;
}

// Tries before a listing that keeps changing under GetTargets is reported.
constexpr int kTargetListTries = 8;

// Every target, and the processes of each pid-scoped one: one GET_PIDS per
// target after GET_TARGETS, so a target removed or given every process in
// between answers EINVAL. Then the list is stale: take it again.
Napi::Value GetTargets(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	std::vector<struct syscallmon_target_info> entries;
	std::vector<std::vector<uint32_t>> pids;
	for (int tries = 1;; tries++) {
		entries = ListAll<struct syscallmon_target_info>(env, fd, SYSCALLMON_IOC_GET_TARGETS, "ioctl:GET_TARGETS",
								 syscallmon_target_list{}, &syscallmon_target_list::entries,
								 16);
		pids.assign(entries.size(), {});
		int err = 0;
		for (size_t i = 0; i < entries.size() && !err; i++) {
			const struct syscallmon_target_info &t = entries[i];
			if (t.flags & SYSCALLMON_TARGET_ALL_PIDS)
				continue;
			struct syscallmon_pid_list list = {};
			list.nr = t.nr;
			err = TryListAll(fd, SYSCALLMON_IOC_GET_PIDS, list, &syscallmon_pid_list::pids, t.npids, &pids[i]);
		}
		if (!err)
			break;
		if (err != EINVAL || tries == kTargetListTries)
			ThrowErrno(env, err, "ioctl:GET_PIDS");
	}
	Napi::Array out = Napi::Array::New(env, entries.size());
	for (uint32_t i = 0; i < entries.size(); i++) {
		const struct syscallmon_target_info &t = entries[i];
		Napi::Object o = Napi::Object::New(env);
		o.Set("nr", t.nr);
		o.Set("action", t.action);
		o.Set("err", t.err);
		o.Set("flags", t.flags);
		o.Set("pids", ToArray(env, pids[i]));
		o.Set("armed", Napi::Boolean::New(env, t.armed != 0));
		o.Set("record", t.record);
		o.Set("hits", U64(env, t.hits));
		o.Set("logged", U64(env, t.logged));
		o.Set("blocked", U64(env, t.blocked));
		o.Set("missed", U64(env, t.missed));
		o.Set("no_result", U64(env, t.no_result));
		o.Set("failed_skipped", U64(env, t.failed_skipped));
		out.Set(i, o);
	}
	return out;
}

// ---- rules

// A string member of a rule: it must fit its array with the NUL.
template <size_t N> void PropString(Napi::Object o, const char *key, char (&dst)[N])
{
	Napi::Value v = o.Get(key);
	if (!v.IsString())
		throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a string");
	std::string text = v.As<Napi::String>();
	if (text.size() >= N || text.find('\0') != std::string::npos)
		throw Napi::RangeError::New(o.Env(), std::string(key) + " must be shorter than " + std::to_string(N) +
							     " bytes, without NUL");
	std::memcpy(dst, text.data(), text.size());
}

struct syscallmon_id_range PropRange(Napi::Object o, const char *key)
{
	Napi::Value v = o.Get(key);
	if (!v.IsObject())
		throw Napi::TypeError::New(o.Env(), std::string(key) + " must be an object { min, max }");
	Napi::Object r = v.As<Napi::Object>();
	return { PropU32(r, "min"), PropU32(r, "max") };
}

// A rule object (binding.ts RawRule) as struct syscallmon_rule; pids stay
// in *pids, which the struct points to.
void ToRule(Napi::Env env, Napi::Value v, struct syscallmon_rule *r, std::vector<uint32_t> *pids)
{
	if (!v.IsObject())
		throw Napi::TypeError::New(env, "rule must be an object");
	Napi::Object o = v.As<Napi::Object>();
	memset(r, 0, sizeof(*r));
	r->id = PropU32(o, "id");
	r->rule_class = PropU32(o, "rule_class");
	PropString(o, "name", r->name);
	for (uint32_t nr : ToU32Array(env, o.Get("syscalls"), "syscalls")) {
		if (nr >= SYSCALLMON_NR_LIMIT)
			throw Napi::RangeError::New(env, "syscall number " + std::to_string(nr) + " is not below " +
								 std::to_string(SYSCALLMON_NR_LIMIT));
		r->syscalls[nr / 64] |= 1ull << (nr % 64);
	}
	r->action = PropU32(o, "action");
	r->err = PropI32(o, "err");
	r->flags = PropU32(o, "flags");
	r->record = PropU32(o, "record");
	r->file_ops = PropU32(o, "file_ops");
	*pids = ToU32Array(env, o.Get("pids"), "pids");
	r->npids = pids->size();
	r->pids = (__u64)(uintptr_t)pids->data();
	r->uid = PropRange(o, "uid");
	r->euid = PropRange(o, "euid");
	r->auid = PropRange(o, "auid");
	r->gid = PropRange(o, "gid");
	PropString(o, "comm", r->comm);
	PropString(o, "exe", r->exe);
	PropString(o, "cgroup", r->cgroup);
	PropString(o, "path", r->path);
	PropString(o, "file", r->file);
}

Napi::Object FromRange(Napi::Env env, const struct syscallmon_id_range &r)
{
	Napi::Object o = Napi::Object::New(env);
	o.Set("min", r.min);
	o.Set("max", r.max);
	return o;
}

// A string member the kernel filled: up to its NUL, or its whole array.
template <size_t N> Napi::String FromString(Napi::Env env, const char (&s)[N])
{
	return Napi::String::New(env, s, strnlen(s, N));
}

// struct syscallmon_rule as the kernel lists it (npids: how many it holds; no pids).
Napi::Object FromRule(Napi::Env env, const struct syscallmon_rule &r)
{
	Napi::Object o = Napi::Object::New(env);
	o.Set("id", r.id);
	o.Set("rule_class", r.rule_class);
	o.Set("name", FromString(env, r.name));
	Napi::Array nrs = Napi::Array::New(env);
	uint32_t n = 0;
	for (uint32_t nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (r.syscalls[nr / 64] & (1ull << (nr % 64)))
			nrs.Set(n++, nr);
	o.Set("syscalls", nrs);
	o.Set("action", r.action);
	o.Set("err", r.err);
	o.Set("flags", r.flags);
	o.Set("record", r.record);
	o.Set("file_ops", r.file_ops);
	o.Set("npids", r.npids);
	o.Set("uid", FromRange(env, r.uid));
	o.Set("euid", FromRange(env, r.euid));
	o.Set("auid", FromRange(env, r.auid));
	o.Set("gid", FromRange(env, r.gid));
	o.Set("comm", FromString(env, r.comm));
	o.Set("exe", FromString(env, r.exe));
	o.Set("cgroup", FromString(env, r.cgroup));
	o.Set("path", FromString(env, r.path));
	o.Set("file", FromString(env, r.file));
	return o;
}

Napi::Value AddRule(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	struct syscallmon_rule rule;
	std::vector<uint32_t> pids;
	ToRule(env, info.Length() > 1 ? info[1] : env.Undefined(), &rule, &pids);
	Ioctl(env, fd, SYSCALLMON_IOC_ADD_RULE, &rule, "ioctl:ADD_RULE");
	return Napi::Number::New(env, rule.id);
}

Napi::Value DeleteRules(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	std::vector<uint32_t> ids = ToU32Array(env, info[1], "ids");
	struct syscallmon_rule_ids req = {};

	req.count = ids.size();
	req.ids = (uintptr_t)ids.data();
	Ioctl(env, ArgFd(info, 0), SYSCALLMON_IOC_DEL_RULES, &req, "ioctl:DEL_RULES");
	return env.Undefined();
}

Napi::Value GetRules(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	std::vector<struct syscallmon_rule_info> entries = ListAll<struct syscallmon_rule_info>(
		env, fd, SYSCALLMON_IOC_GET_RULES, "ioctl:GET_RULES", syscallmon_rule_list{},
		&syscallmon_rule_list::entries, 16);
	Napi::Array out = Napi::Array::New(env, entries.size());
	for (uint32_t i = 0; i < entries.size(); i++) {
		const struct syscallmon_rule_info &r = entries[i];
		Napi::Object o = Napi::Object::New(env);
		o.Set("rule", FromRule(env, r.rule));
		o.Set("exe_dev", U64(env, r.exe_dev));
		o.Set("exe_ino", U64(env, r.exe_ino));
		o.Set("cgroup_id", U64(env, r.cgroup_id));
		o.Set("matched", U64(env, r.matched));
		o.Set("logged", U64(env, r.logged));
		o.Set("blocked", U64(env, r.blocked));
		o.Set("killed", U64(env, r.killed));
		o.Set("would_act", U64(env, r.would_act));
		o.Set("file_dev", U64(env, r.file_dev));
		o.Set("file_ino", U64(env, r.file_ino));
		o.Set("state", r.state);
		out.Set(i, o);
	}
	return out;
}

Napi::Value ReplacePolicy(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	if (info.Length() < 2 || !info[1].IsObject())
		throw Napi::TypeError::New(env, "policy must be an object");
	Napi::Object p = info[1].As<Napi::Object>();
	Napi::Value list = p.Get("rules");
	if (!list.IsArray())
		throw Napi::TypeError::New(env, "rules must be an array");
	Napi::Array a = list.As<Napi::Array>();
	std::vector<struct syscallmon_rule> rules(a.Length());
	std::vector<std::vector<uint32_t>> pids(a.Length());
	// To rules' size, not the array's length: a getter ToRule runs may grow the array.
	for (uint32_t i = 0; i < rules.size(); i++)
		ToRule(env, a.Get(i), &rules[i], &pids[i]);
	struct syscallmon_policy policy;
	memset(&policy, 0, sizeof(policy));
	policy.mode = PropU32(p, "mode");
	policy.exits = PropU32(p, "exits");
	PropString(p, "tag", policy.tag);
	policy.nrules = rules.size();
	policy.rules = (__u64)(uintptr_t)rules.data();
	Ioctl(env, fd, SYSCALLMON_IOC_REPLACE_POLICY, &policy, "ioctl:REPLACE_POLICY");
	return env.Undefined();
}

// The processes of a rule's pid set or process tree, as numbers in our pid namespace.
Napi::Value RulePids(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	struct syscallmon_pid_list list = {};

	list.rule = ArgU32(info, 1, "id");
	return ScopePids(env, fd, list, 16);
}

Napi::Value Read(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	uint32_t max = ArgMaxBytes(info, 1);
	// The contract is "never blocks": with a blocking fd, ask poll first.
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		ThrowErrno(env, errno, "fcntl");
	if (!(fl & O_NONBLOCK)) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, 0);
		if (r < 0 && errno != EINTR)
			ThrowErrno(env, errno, "poll");
		if (r <= 0 || !(p.revents & POLLIN))
			return Napi::Buffer<uint8_t>::New(env, 0);
	}
	// One scratch buffer per thread: reading straight into a max-sized JS
	// Buffer would hand out mostly-empty Buffers on short reads.
	thread_local std::vector<uint8_t> scratch;
	if (scratch.size() < max)
		scratch.resize(max);
	ssize_t n;
	do
		n = read(fd, scratch.data(), max);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			return Napi::Buffer<uint8_t>::New(env, 0);
		ThrowErrno(env, errno, "read");
	}
	return Napi::Buffer<uint8_t>::Copy(env, scratch.data(), n);
}

} // namespace

void InitDevice(Napi::Env env, Napi::Object exports)
{
	exports.Set("open", Napi::Function::New(env, Open, "open"));
	exports.Set("close", Napi::Function::New(env, Close, "close"));
	exports.Set("getVersion", Napi::Function::New(env, GetVersion, "getVersion"));
	exports.Set("setMode", Napi::Function::New(env, SetMode, "setMode"));
	exports.Set("hold", Napi::Function::New(env, Hold, "hold"));
	exports.Set("addTarget", Napi::Function::New(env, AddTarget, "addTarget"));
	exports.Set("delTarget", Napi::Function::New(env, DelTarget, "delTarget"));
	exports.Set("addPids", Napi::Function::New(env, AddPids, "addPids"));
	exports.Set("delPids", Napi::Function::New(env, DelPids, "delPids"));
	exports.Set("clear", Napi::Function::New(env, Clear, "clear"));
	exports.Set("getStatus", Napi::Function::New(env, GetStatus, "getStatus"));
	exports.Set("getTargets", Napi::Function::New(env, GetTargets, "getTargets"));
	exports.Set("seek", Napi::Function::New(env, Seek, "seek"));
	exports.Set("setExits", Napi::Function::New(env, SetExits, "setExits"));
	exports.Set("addRule", Napi::Function::New(env, AddRule, "addRule"));
	exports.Set("deleteRules", Napi::Function::New(env, DeleteRules, "deleteRules"));
	exports.Set("getRules", Napi::Function::New(env, GetRules, "getRules"));
	exports.Set("replacePolicy", Napi::Function::New(env, ReplacePolicy, "replacePolicy"));
	exports.Set("rulePids", Napi::Function::New(env, RulePids, "rulePids"));
	exports.Set("read", Napi::Function::New(env, Read, "read"));
}

} // namespace syscallmon
