// Following the device as NDJSON in C (Monitor.follow, `tail --json`): raw
// records in, NDJSON bytes out, one call per batch, written straight to an
// fd by stream.cc's NDJSON stream. The line is byte for byte what
// src/render/ndjson.ts (RawNdjsonEncoder) writes for the same record, which a
// unit test holds equal over every record type, verdict, errno and string
// edge case. Formatting in JS cost ~20 k instructions per event
// (scripts/bench/analysis.md), more than the syscall being watched.
//
// The selection (which syscalls and processes, how many events) is applied
// here, on the record as it is, so that a filtered follow takes the same
// path as an unfiltered one; the library's JS follow applies the same rule
// to decoded events (src/lib/follow.ts), and a unit test holds the two equal.
//
// Errno and syscall names come from the caller, the library's own tables
// (errno names from Node's os.constants.errno, not strerrorname_np: the two
// disagree on errnos Node has no name for), so the output does not depend on
// which formatter ran.
#include "ndjson.h"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <poll.h>
#include <unistd.h>

#include "uapi/syscallmon.h"

namespace syscallmon {

// Writes into memory reserved up front for the worst case of a whole batch
// (kLineMax per record), so appending is a store and a pointer bump: this is
// the per-event cost the benchmarks measure.
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
	// A key as it is written (`,"pid":`) followed by its number.
	template <size_t N> void U64(const char (&key)[N], uint64_t v)
	{
		Lit(key);
		U64(v);
	}
	template <size_t N> void I64(const char (&key)[N], int64_t v)
	{
		Lit(key);
		I64(v);
	}
	void Byte(char c) { *p_++ = c; }
	// Two digits per division: the line's numbers (a 19-digit ts_ns, pids,
	// seq) are most of its formatting cost.
	void U64(uint64_t v)
	{
		static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
					    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
					    "8081828384858687888990919293949596979899";
		char tmp[20];
		char *end = tmp + sizeof tmp;
		char *q = end;
		while (v >= 100) {
			unsigned i = static_cast<unsigned>(v % 100) * 2;
			v /= 100;
			*--q = pairs[i + 1];
			*--q = pairs[i];
		}
		if (v >= 10) {
			unsigned i = static_cast<unsigned>(v) * 2;
			*--q = pairs[i + 1];
			*--q = pairs[i];
		} else {
			*--q = static_cast<char>('0' + v);
		}
		Str(q, static_cast<size_t>(end - q));
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
	// Like the JS: 0x0 for zero, otherwise lower-case hex without leading
	// zeros. Digits go straight to their place, a byte (two digits) at a time.
	void Hex(uint64_t v)
	{
		static const char pairs[] =
			"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
			"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
			"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
			"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
			"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
			"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
			"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
			"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
		Lit("0x");
		int digits = (64 - __builtin_clzll(v | 1) + 3) / 4;
		char *q = p_ + digits;
		p_ = q;
		for (; digits >= 2; digits -= 2) {
			unsigned i = static_cast<unsigned>(v & 0xff) * 2;
			*--q = pairs[i + 1];
			*--q = pairs[i];
			v >>= 8;
		}
		if (digits)
			*--q = pairs[v * 2 + 1];
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
	char *end() const { return p_; }

private:
	char *start_;
	char *p_;
};

namespace {

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

// Bytes JSON.stringify copies as they are (printable ASCII but '"' and
// '\\'): the common case, copied in runs.
struct PlainBytes {
	bool plain[256];
	constexpr PlainBytes() : plain()
	{
		for (int c = 0x20; c < 0x80; c++)
			plain[c] = c != '"' && c != '\\';
	}
};
constexpr PlainBytes kPlain;

// The NUL-terminated field as the library reads it (Buffer utf8 decoding:
// the WHATWG decoder, one U+FFFD per maximal invalid subpart), then as a
// JSON string literal.
void JsonCString(Out &out, const unsigned char *s, size_t room)
{
	out.Byte('"');
	size_t i = 0;
	for (;;) {
		size_t run = i;
		while (i < room && kPlain.plain[s[i]])
			i++;
		out.Bytes(s + run, i - run);
		if (i == room || s[i] == 0)
			break;
		unsigned char b = s[i];
		if (b < 0x80) {
			JsonAscii(out, b);
			i++;
			continue;
		}
		size_t n = i + 1; // the sequence must end before the NUL or the room
		while (n < room && s[n] != 0 && n < i + 4)
			n++;
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

} // namespace

NdjsonFormatter::NdjsonFormatter(std::vector<std::string> errnos, std::vector<std::string> syscalls, Selection selection)
	: errnos_(std::move(errnos)), syscalls_(std::move(syscalls)), sel_(std::move(selection))
{
}

// A record type this formatter does not know is an error, whatever the
// selection: it means a newer module.
static std::string UnknownType(const struct syscallmon_event &e, size_t at)
{
	if (e.type == SYSCALLMON_RECORD_SYSCALL || e.type == SYSCALLMON_RECORD_EXIT || e.type == SYSCALLMON_RECORD_LOST)
		return "";
	return "record at byte " + std::to_string(at) + ": unknown record type " + std::to_string(e.type) +
	       " (module newer than this tool?)";
}

bool NdjsonFormatter::Selected(const Event &e) const
{
	if (!sel_.pids.empty() && sel_.pids.count(e.tgid) == 0 && sel_.pids.count(e.pid) == 0)
		return false;
	if (!sel_.nrs.empty())
		return e.type == SYSCALLMON_RECORD_SYSCALL && sel_.nrs.count(e.nr) != 0;
	return true;
}

void NdjsonFormatter::Reserve(size_t records)
{
	if (scratch_size_ >= records * kLineMax)
		return;
	// Not zero-filled (as vector::resize would): under emulation, clearing
	// ~700 KiB on the first batch stalls a fresh follow long enough for a
	// full-speed stream to overrun the ring.
	scratch_.reset(new char[records * kLineMax]);
	scratch_size_ = records * kLineMax;
}

bool NdjsonFormatter::Format(const uint8_t *data, size_t len, size_t *out_len, Counts *counts, std::string *problem)
{
	if (len % sizeof(Event) != 0) {
		*problem = "batch is not a whole number of records";
		return false;
	}
	Reserve(len / sizeof(Event));
	Out out(scratch_.get());
	*counts = Counts{};
	for (size_t at = 0; at < len && !full(); at += sizeof(Event)) {
		Event e;
		std::memcpy(&e, data + at, sizeof e);
		*problem = UnknownType(e, at);
		if (!problem->empty())
			return false;
		if (e.type == SYSCALLMON_RECORD_LOST)
			counts->lost += e.lost;
		else
			counts->read++;
		if (e.type != SYSCALLMON_RECORD_LOST && !Selected(e))
			continue;
		std::string why = Line(out, e);
		if (!why.empty()) {
			*problem = "record at byte " + std::to_string(at) + ": " + why;
			return false;
		}
		if (e.type != SYSCALLMON_RECORD_LOST) {
			counts->shown++;
			shown_++;
		}
	}
	counts->full = full();
	*out_len = out.size();
	return true;
}

bool NdjsonFormatter::FormatLast(const uint8_t *data, size_t len, uint64_t n, size_t *out_len, Counts *counts,
				 std::string *problem)
{
	if (len % sizeof(Event) != 0) {
		*problem = "batch is not a whole number of records";
		return false;
	}
	std::vector<size_t> picked;
	for (size_t at = 0; at < len; at += sizeof(Event)) {
		Event e;
		std::memcpy(&e, data + at, sizeof e);
		*problem = UnknownType(e, at);
		if (!problem->empty())
			return false;
		if (e.type != SYSCALLMON_RECORD_LOST && Selected(e))
			picked.push_back(at);
	}
	if (picked.size() > n)
		picked.erase(picked.begin(), picked.end() - static_cast<std::ptrdiff_t>(n));
	Reserve(picked.size());
	Out out(scratch_.get());
	*counts = Counts{};
	for (size_t at : picked) {
		if (full())
			break;
		Event e;
		std::memcpy(&e, data + at, sizeof e);
		std::string why = Line(out, e);
		if (!why.empty()) {
			*problem = "record at byte " + std::to_string(at) + ": " + why;
			return false;
		}
		counts->shown++;
		shown_++;
	}
	counts->full = full();
	*out_len = out.size();
	return true;
}

int NdjsonFormatter::WriteRecords(const uint8_t *data, size_t len, int fd, Counts *counts, std::string *problem)
{
	size_t n;
	if (!Format(data, len, &n, counts, problem))
		return EINVAL;
	return WriteScratch(n, fd);
}

int NdjsonFormatter::WriteScratch(size_t n, int fd)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, scratch_.get() + done, n - done);
		if (w >= 0) {
			done += static_cast<size_t>(w);
		} else if (errno == EAGAIN) {
			struct pollfd p = { fd, POLLOUT, 0 };
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return errno;
		} else if (errno != EINTR) {
			return errno;
		}
	}
	return 0;
}

std::string NdjsonFormatter::Line(Out &out, const Event &e)
{
	if (e.type == SYSCALLMON_RECORD_LOST) {
		out.U64("{\"type\":\"lost\",\"count\":", e.lost);
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
	out.U64(",\"ts_ns\":\"", e.ts_ns);
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
	if (SameTask(e)) {
		out.Str(task_text_, task_len_);
	} else {
		char *from = out.end();
		out.U64("\",\"pid\":", e.pid);
		out.U64(",\"tgid\":", e.tgid);
		out.U64(",\"ppid\":", e.ppid);
		out.U64(",\"uid\":", e.uid);
		out.U64(",\"gid\":", e.gid);
		out.Lit(",\"comm\":");
		JsonCString(out, reinterpret_cast<const unsigned char *>(e.comm), sizeof e.comm);
		task_len_ = static_cast<size_t>(out.end() - from);
		std::memcpy(task_text_, from, task_len_);
		task_ = e;
		task_valid_ = true;
	}
	if (e.type == SYSCALLMON_RECORD_EXIT) {
		out.I64(",\"exit_code\":", e.exit_code);
		out.I64(",\"signal\":", e.exit_signal);
		out.U64(",\"utime_ns\":\"", e.utime_ns);
		out.U64("\",\"stime_ns\":\"", e.stime_ns);
		out.Lit("\"}\n");
		return "";
	}
	if (SameCall(e)) {
		out.Str(call_text_, call_len_);
	} else {
		char *from = out.end();
		CallFields(out, e, action);
		call_len_ = static_cast<size_t>(out.end() - from);
		std::memcpy(call_text_, from, call_len_);
		call_ = e;
		call_valid_ = true;
	}
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

bool NdjsonFormatter::SameTask(const Event &e) const
{
	return task_valid_ && e.pid == task_.pid && e.tgid == task_.tgid && e.ppid == task_.ppid &&
	       e.uid == task_.uid && e.gid == task_.gid && std::memcmp(e.comm, task_.comm, sizeof e.comm) == 0;
}

bool NdjsonFormatter::SameCall(const Event &e) const
{
	return call_valid_ && e.nr == call_.nr && e.verdict == call_.verdict && e.err == call_.err &&
	       e.path_flags == call_.path_flags && std::memcmp(e.path, call_.path, sizeof e.path) == 0;
}

// From ,"syscall": to the opening [ of "args".
void NdjsonFormatter::CallFields(Out &out, const Event &e, const char *action)
{
	out.Lit(",\"syscall\":\"");
	if (e.nr < syscalls_.size() && !syscalls_[e.nr].empty()) {
		out.Str(syscalls_[e.nr]);
	} else {
		out.U64("syscall_", e.nr);
	}
	out.U64("\",\"nr\":", e.nr);
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
}

} // namespace syscallmon
