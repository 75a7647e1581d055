// tail --json's hot path in C: raw records in, NDJSON bytes out, one call per
// batch. A pure conversion with no policy: the line is byte for byte what
// src/render/ndjson.ts (RawNdjsonEncoder) writes for the same record, which a
// unit test holds equal over every record type, verdict, errno and string
// edge case. Formatting in JS cost ~20 k instructions per event (issue 5,
// scripts/bench/analysis.md), more than the syscall being watched.
//
// The errno names come from the caller (the library's table, built from
// Node's os.constants.errno) rather than strerrorname_np: the two disagree on
// errnos Node has no name for, and the output must not depend on which
// formatter ran. Syscall names are the generated table the addon exports.
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "ndjson.h"
#include "uapi/syscallmon.h"

namespace syscallmon {
namespace {

using Event = struct syscallmon_event;

const char *SyscallName(uint32_t nr)
{
	switch (nr) {
#define SYSCALLMON_SYSCALL(nr, name, symbol, path_arg) \
	case nr:                                       \
		return #name;
#include "syscalls.h"
#undef SYSCALLMON_SYSCALL
	}
	return nullptr;
}

// Writes into memory reserved up front for the worst case of a whole batch
// (kLineMax per record), so appending is a store and a pointer bump: this is
// the per-event cost issue 5 measures.
class Out {
public:
	explicit Out(char *p) : start_(p), p_(p) {}
	template <size_t N> void Lit(const char (&s)[N])
	{
		std::memcpy(p_, s, N - 1);
		p_ += N - 1;
	}
	void Str(const char *s, size_t n)
	{
		std::memcpy(p_, s, n);
		p_ += n;
	}
	void Str(const std::string &s) { Str(s.data(), s.size()); }
	void Byte(char c) { *p_++ = c; }
	void U64(uint64_t v)
	{
		char tmp[24];
		int n = 0;
		do {
			tmp[n++] = static_cast<char>('0' + v % 10);
			v /= 10;
		} while (v != 0);
		while (n > 0)
			*p_++ = tmp[--n];
	}
	void I64(int64_t v)
	{
		if (v < 0) {
			Byte('-');
			U64(static_cast<uint64_t>(0) - static_cast<uint64_t>(v));
		} else {
			U64(static_cast<uint64_t>(v));
		}
	}
	// Like the JS: 0x0 for zero, otherwise lower-case hex without leading zeros.
	void Hex(uint64_t v)
	{
		static const char digits[] = "0123456789abcdef";
		char tmp[16];
		int n = 0;
		do {
			tmp[n++] = digits[v & 15];
			v >>= 4;
		} while (v != 0);
		Lit("0x");
		while (n > 0)
			*p_++ = tmp[--n];
	}
	void Utf8(uint32_t cp)
	{
		if (cp < 0x80) {
			Byte(static_cast<char>(cp));
		} else if (cp < 0x800) {
			Byte(static_cast<char>(0xc0 | (cp >> 6)));
			Byte(static_cast<char>(0x80 | (cp & 0x3f)));
		} else {
			Byte(static_cast<char>(0xe0 | (cp >> 12)));
			Byte(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
			Byte(static_cast<char>(0x80 | (cp & 0x3f)));
		}
	}
	void Bytes(const unsigned char *p, size_t n) { Str(reinterpret_cast<const char *>(p), n); }
	size_t size() const { return static_cast<size_t>(p_ - start_); }

private:
	char *start_;
	char *p_;
};

// Room one line can need: fixed text and numbers (under 1 KiB), errno and
// syscall names (under 64 bytes each), and comm and path where every byte
// may become six (\u00XX) — a byte never yields more than 6 output bytes
// (U+FFFD is 3 bytes for at least 1 input byte).
constexpr size_t kLineMax = 1024 + 2 * 64 + 6 * (SYSCALLMON_COMM_LEN + SYSCALLMON_PATH_LEN);

// One code unit as JSON.stringify writes it (ASCII range only; everything
// else is copied as UTF-8, as JSON.stringify leaves it).
void JsonAscii(Out &out, unsigned char c)
{
	switch (c) {
	case '"': out.Lit("\\\""); return;
	case '\\': out.Lit("\\\\"); return;
	case '\b': out.Lit("\\b"); return;
	case '\f': out.Lit("\\f"); return;
	case '\n': out.Lit("\\n"); return;
	case '\r': out.Lit("\\r"); return;
	case '\t': out.Lit("\\t"); return;
	}
	if (c < 0x20) {
		static const char digits[] = "0123456789abcdef";
		out.Lit("\\u00");
		out.Byte(digits[c >> 4]);
		out.Byte(digits[c & 15]);
		return;
	}
	out.Byte(static_cast<char>(c));
}

// The NUL-terminated field as the library reads it (Buffer utf8 decoding:
// the WHATWG decoder, one U+FFFD per maximal invalid subpart), then as a
// JSON string literal.
void JsonCString(Out &out, const unsigned char *s, size_t room)
{
	size_t n = 0;
	while (n < room && s[n] != 0)
		n++;
	out.Byte('"');
	size_t i = 0;
	while (i < n) {
		unsigned char b = s[i];
		if (b < 0x80) {
			JsonAscii(out, b);
			i++;
			continue;
		}
		size_t need;
		unsigned char lo = 0x80, hi = 0xbf;
		if (b >= 0xc2 && b <= 0xdf) {
			need = 1;
		} else if (b >= 0xe0 && b <= 0xef) {
			need = 2;
			if (b == 0xe0)
				lo = 0xa0;
			if (b == 0xed)
				hi = 0x9f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			need = 3;
			if (b == 0xf0)
				lo = 0x90;
			if (b == 0xf4)
				hi = 0x8f;
		} else {
			out.Utf8(0xfffd);
			i++;
			continue;
		}
		size_t k = 1;
		for (; k <= need; k++) {
			if (i + k >= n || s[i + k] < lo || s[i + k] > hi)
				break;
			lo = 0x80;
			hi = 0xbf;
		}
		if (k <= need) {
			// The bytes so far are one invalid subpart; the offending
			// byte starts over.
			out.Utf8(0xfffd);
			i += k;
			continue;
		}
		out.Bytes(s + i, need + 1);
		i += need + 1;
	}
	out.Byte('"');
}

// Date#toISOString up to the seconds (years 0..9999 print as four digits).
void IsoSeconds(Out &out, uint64_t sec)
{
	time_t t = static_cast<time_t>(sec);
	struct tm tm;
	gmtime_r(&t, &tm);
	char tmp[96];
	int n = snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	out.Str(tmp, static_cast<size_t>(n));
}

class Formatter {
public:
	explicit Formatter(std::vector<std::string> errnos) : errnos_(std::move(errnos)) {}

	Napi::Value operator()(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		if (info.Length() < 1 || !info[0].IsBuffer())
			throw Napi::TypeError::New(env, "batch must be a Buffer");
		Napi::Buffer<unsigned char> batch = info[0].As<Napi::Buffer<unsigned char>>();
		const unsigned char *data = batch.Data();
		size_t len = batch.Length();
		if (len % sizeof(Event) != 0)
			throw Napi::RangeError::New(env, "batch is not a whole number of records");
		size_t records = len / sizeof(Event);
		if (scratch_.size() < records * kLineMax)
			scratch_.resize(records * kLineMax);
		Out out(scratch_.data());
		for (size_t at = 0; at < len; at += sizeof(Event)) {
			Event e;
			std::memcpy(&e, data + at, sizeof e);
			std::string problem = Line(out, e);
			if (!problem.empty())
				throw Napi::Error::New(env, "record at byte " + std::to_string(at) + ": " + problem);
		}
		return Napi::Buffer<char>::Copy(env, scratch_.data(), out.size());
	}

private:
	std::string Line(Out &out, const Event &e)
	{
		if (e.type == SYSCALLMON_RECORD_LOST) {
			out.Lit("{\"type\":\"lost\",\"count\":");
			out.U64(e.lost);
			out.Lit("}\n");
			return "";
		}
		if (e.type != SYSCALLMON_RECORD_SYSCALL && e.type != SYSCALLMON_RECORD_EXIT)
			return "unknown record type " + std::to_string(e.type) + " (module newer than this tool?)";
		const char *action = nullptr;
		if (e.type == SYSCALLMON_RECORD_SYSCALL) {
			switch (e.verdict) {
			case SYSCALLMON_VERDICT_ALLOWED: action = "allowed"; break;
			case SYSCALLMON_VERDICT_BLOCKED: action = "blocked"; break;
			case SYSCALLMON_VERDICT_WOULD_BLOCK: action = "would_block"; break;
			default: return "unknown verdict " + std::to_string(e.verdict);
			}
		}
		if (e.type == SYSCALLMON_RECORD_SYSCALL)
			out.Lit("{\"type\":\"syscall\",\"seq\":");
		else
			out.Lit("{\"type\":\"exit\",\"seq\":");
		out.U64(e.seq);
		out.Lit(",\"ts_ns\":\"");
		out.U64(e.ts_ns);
		out.Lit("\",\"time\":\"");
		uint64_t sec = e.ts_ns / 1000000000u;
		if (sec != cached_sec_ || cached_iso_len_ == 0) {
			Out iso(cached_iso_);
			IsoSeconds(iso, sec);
			cached_iso_len_ = iso.size();
			cached_sec_ = sec;
		}
		out.Str(cached_iso_, cached_iso_len_);
		unsigned ms = static_cast<unsigned>(e.ts_ns / 1000000u % 1000u);
		out.Byte('.');
		out.Byte(static_cast<char>('0' + ms / 100));
		out.Byte(static_cast<char>('0' + ms / 10 % 10));
		out.Byte(static_cast<char>('0' + ms % 10));
		out.Byte('Z');
		out.Lit("\",\"pid\":");
		out.U64(e.pid);
		out.Lit(",\"tgid\":");
		out.U64(e.tgid);
		out.Lit(",\"ppid\":");
		out.U64(e.ppid);
		out.Lit(",\"uid\":");
		out.U64(e.uid);
		out.Lit(",\"gid\":");
		out.U64(e.gid);
		out.Lit(",\"comm\":");
		JsonCString(out, reinterpret_cast<const unsigned char *>(e.comm), sizeof e.comm);
		if (e.type == SYSCALLMON_RECORD_EXIT) {
			out.Lit(",\"exit_code\":");
			out.I64(e.exit_code);
			out.Lit(",\"signal\":");
			out.I64(e.exit_signal);
			out.Lit(",\"utime_ns\":\"");
			out.U64(e.utime_ns);
			out.Lit("\",\"stime_ns\":\"");
			out.U64(e.stime_ns);
			out.Lit("\"}\n");
			return "";
		}
		out.Lit(",\"syscall\":\"");
		const char *name = SyscallName(e.nr);
		if (name != nullptr) {
			out.Str(name, std::strlen(name));
		} else {
			out.Lit("syscall_");
			out.U64(e.nr);
		}
		out.Lit("\",\"nr\":");
		out.U64(e.nr);
		out.Lit(",\"action\":\"");
		out.Str(action, std::strlen(action));
		out.Lit("\",\"errno\":");
		if (e.verdict != SYSCALLMON_VERDICT_ALLOWED && e.err != 0) {
			out.Byte('"');
			if (e.err > 0 && static_cast<size_t>(e.err) < errnos_.size() && !errnos_[e.err].empty())
				out.Str(errnos_[e.err]);
			else
				out.I64(e.err);
			out.Byte('"');
		} else {
			out.Lit("null");
		}
		out.Lit(",\"path\":");
		if ((e.path_flags & (SYSCALLMON_PATH_NONE | SYSCALLMON_PATH_UNREADABLE)) == 0)
			JsonCString(out, reinterpret_cast<const unsigned char *>(e.path), sizeof e.path);
		else
			out.Lit("null");
		if ((e.path_flags & SYSCALLMON_PATH_TRUNCATED) != 0)
			out.Lit(",\"path_truncated\":true,\"args\":[");
		else
			out.Lit(",\"path_truncated\":false,\"args\":[");
		for (int i = 0; i < SYSCALLMON_NR_ARGS; i++) {
			if (i != 0)
				out.Byte(',');
			out.Byte('"');
			out.Hex(e.args[i]);
			out.Byte('"');
		}
		out.Lit("]}\n");
		return "";
	}

	std::vector<std::string> errnos_;
	std::vector<char> scratch_;
	uint64_t cached_sec_ = 0;
	char cached_iso_[96] = {};
	size_t cached_iso_len_ = 0;
};

// ndjsonFormatter(errnoNames): errnoNames[n] is errno n's name (holes and
// non-strings: print the number, as the library's errnoName does).
Napi::Value NdjsonFormatter(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	if (info.Length() < 1 || !info[0].IsArray())
		throw Napi::TypeError::New(env, "errnoNames must be an array");
	Napi::Array names = info[0].As<Napi::Array>();
	std::vector<std::string> errnos(names.Length());
	for (uint32_t i = 0; i < names.Length(); i++) {
		Napi::Value v = names.Get(i);
		if (!v.IsString())
			continue;
		std::string s = v.As<Napi::String>().Utf8Value();
		// Names go into the line unescaped and within kLineMax: short identifiers only.
		if (s.size() > 64)
			throw Napi::TypeError::New(env, "errno name '" + s + "' is longer than 64 bytes");
		for (char c : s) {
			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
				throw Napi::TypeError::New(env, "errno name '" + s + "' is not an identifier");
		}
		errnos[i] = std::move(s);
	}
	return Napi::Function::New(env, Formatter(std::move(errnos)), "formatNdjson");
}

} // namespace

void InitNdjson(Napi::Env env, Napi::Object exports)
{
	exports.Set("ndjsonFormatter", Napi::Function::New(env, NdjsonFormatter, "ndjsonFormatter"));
}

} // namespace syscallmon
