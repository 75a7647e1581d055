// Following the device as NDJSON in C (Monitor.follow, `tail --json`): raw
// records in, NDJSON bytes out, one call per batch, written straight to an
// fd by stream.cc's NDJSON stream. A line has the fields of
// kernel/include/uapi/syscallmon_schema.h in its order, and is byte for
// byte what src/render/ndjson.ts (RawNdjsonEncoder) writes for the same
// record, which unit tests hold equal to each other and to the schema over
// every record type, verdict, flag, errno and string edge case. Formatting
// in JS cost ~20 k instructions per event (scripts/bench/analysis.md), more
// than the syscall being watched.
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

#include "records.h"
#include "uapi/syscallmon.h"

namespace syscallmon {

namespace {

// "00" to "99": numbers are written two digits at a time.
constexpr char kDecimalPairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				 "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				 "8081828384858687888990919293949596979899";

// v (below 10^9) as nine digits, zero-padded, from the top without a
// division: t is v / 10^8 in 57-bit fixed point, and each multiplication by
// 100 brings the next pair into its integer part. The multiplier is
// 2^57 / 10^8 rounded up; the excess, carried through the four
// multiplications, stays under a sixth of the smallest step of the true
// value at every stage, so every integer part is exact.
inline __attribute__((always_inline)) void NineDigits(char *d, uint32_t v)
{
	constexpr uint64_t kFraction = (uint64_t{ 1 } << 57) - 1;
	uint64_t t = static_cast<uint64_t>(v) * 1441151881u;
	auto next_pair = [&t](char *pair) {
		t = (t & kFraction) * 100;
		std::memcpy(pair, kDecimalPairs + 2 * (t >> 57), 2);
	};
	d[0] = static_cast<char>('0' + (t >> 57));
	next_pair(d + 1);
	next_pair(d + 3);
	next_pair(d + 5);
	next_pair(d + 7);
}

} // namespace

// false, with why in *problem.
static bool Refuse(std::string *problem, std::string why)
{
	*problem = std::move(why);
	return false;
}

// Whether the N bytes at a and b are equal, compared a word at a time
// inline: a call to memcmp() costs more than these short compares.
template <size_t N> static bool SameBytes(const void *a, const void *b)
{
	static_assert(N % sizeof(uint64_t) == 0, "whole words");
	uint64_t diff = 0;
	for (size_t i = 0; i < N; i += sizeof(uint64_t))
		diff |= FieldAt<uint64_t>(static_cast<const uint8_t *>(a), i) ^
			FieldAt<uint64_t>(static_cast<const uint8_t *>(b), i);
	return diff == 0;
}

// A field of the syscall record at rec, read where it is.
#define SYSCALL_FIELD(rec, field) FieldAt<decltype(syscallmon_syscall::field)>(rec, offsetof(syscallmon_syscall, field))

// Writes into memory reserved up front for the worst case of a whole batch
// (LineMax per record), so appending is a store and a pointer bump: this is
// the per-event cost the formatting benchmark measures.
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
	void Bool(bool b)
	{
		if (b)
			Lit("true");
		else
			Lit("false");
	}
	// Two digits per division: the line's numbers are most of its
	// formatting cost.
	void U64(uint64_t v)
	{
		char tmp[20];
		char *end = tmp + sizeof tmp;
		char *q = end;
		while (v >= 100) {
			unsigned i = static_cast<unsigned>(v % 100) * 2;
			v /= 100;
			*--q = kDecimalPairs[i + 1];
			*--q = kDecimalPairs[i];
		}
		if (v >= 10) {
			unsigned i = static_cast<unsigned>(v) * 2;
			*--q = kDecimalPairs[i + 1];
			*--q = kDecimalPairs[i];
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
	// The first n bytes of text, copied as one block of all N: a copy of
	// a fixed size is a few moves, not a call. The bytes past n are
	// written over next; they fit, as this is only for texts far shorter
	// than the room kept for a line.
	template <size_t N> void Block(const char (&text)[N], size_t n)
	{
		std::memcpy(p_, text, N);
		p_ += n;
	}
	// The same for a text that is mostly under M bytes: M of them then.
	template <size_t M, size_t N> void ShortBlock(const char (&text)[N], size_t n)
	{
		static_assert(M <= N, "a block of the text");
		if (n <= M)
			std::memcpy(p_, text, M);
		else
			std::memcpy(p_, text, n);
		p_ += n;
	}
	size_t size() const { return static_cast<size_t>(p_ - start_); }
	char *end() const { return p_; }

private:
	char *start_;
	char *p_;
};

namespace {

// Room one line of a record can need: keys and numbers (under 1 KiB), the
// syscall name and two errno names (under 64 bytes each), and comm, path and
// target where every byte may become six (\u00XX) — a byte never yields
// more than 6 output bytes (U+FFFD is 3 bytes for at least 1 input byte).
size_t LineMax(size_t record_size)
{
	return 1024 + 3 * 64 + 6 * (SYSCALLMON_COMM_LEN + record_size);
}

// LineMax summed over count records of len bytes in all.
size_t LinesMax(size_t count, size_t len)
{
	return count * LineMax(0) + 6 * len;
}

const char *AbiName(uint16_t abi)
{
	switch (abi) {
	case SYSCALLMON_ABI_X64: return "x86_64";
	case SYSCALLMON_ABI_I386: return "i386";
	case SYSCALLMON_ABI_X32: return "x32";
	}
	return nullptr;
}

const char *ConfigKindName(uint32_t kind)
{
	switch (kind) {
	case SYSCALLMON_CONFIG_MODE: return "mode";
	case SYSCALLMON_CONFIG_TARGET: return "target";
	case SYSCALLMON_CONFIG_PIDS: return "pids";
	case SYSCALLMON_CONFIG_RULE_ADD: return "rule_add";
	case SYSCALLMON_CONFIG_RULE_DEL: return "rule_del";
	case SYSCALLMON_CONFIG_POLICY: return "policy";
	case SYSCALLMON_CONFIG_CLEAR: return "clear";
	case SYSCALLMON_CONFIG_EXITS: return "exits";
	case SYSCALLMON_CONFIG_PARAM: return "param";
	case SYSCALLMON_CONFIG_CLOSED: return "closed";
	}
	return nullptr;
}

const char *VerdictName(uint16_t verdict)
{
	switch (verdict) {
	case SYSCALLMON_VERDICT_ALLOWED: return "allowed";
	case SYSCALLMON_VERDICT_BLOCKED: return "blocked";
	case SYSCALLMON_VERDICT_WOULD_BLOCK: return "would_block";
	case SYSCALLMON_VERDICT_KILLED: return "killed";
	case SYSCALLMON_VERDICT_WOULD_KILL: return "would_kill";
	}
	return nullptr;
}


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

// An event record's task, for the selection (syscall and exit records share it).
static struct syscallmon_task TaskOf(const uint8_t *rec)
{
	struct syscallmon_task t;
	std::memcpy(&t, rec + offsetof(struct syscallmon_syscall, task), sizeof t);
	return t;
}

bool NdjsonFormatter::Matches(const uint8_t *rec) const
{
	uint16_t type = TypeAt(rec);
	if (type == SYSCALLMON_RECORD_LOST)
		return true;
	if (!sel_.pids.empty()) {
		struct syscallmon_task t = TaskOf(rec);
		if (sel_.pids.count(t.tgid) == 0 && sel_.pids.count(t.pid) == 0)
			return false;
	}
	if (!sel_.nrs.empty()) {
		uint32_t nr;
		std::memcpy(&nr, rec + offsetof(Syscall, nr), sizeof nr);
		return type == SYSCALLMON_RECORD_SYSCALL && sel_.nrs.count(nr) != 0;
	}
	return true;
}

void NdjsonFormatter::Reserve(size_t bytes)
{
	if (scratch_size_ >= bytes)
		return;
	// Not zero-filled (as vector::resize would): under emulation, clearing
	// ~700 KiB on the first batch stalls a fresh follow long enough for a
	// full-speed stream to overrun the ring.
	scratch_.reset(new char[bytes]);
	scratch_size_ = bytes;
}

bool Tally::Add(const uint8_t *rec, std::string *problem)
{
	switch (TypeAt(rec)) {
	case SYSCALLMON_RECORD_SYSCALL: {
		uint32_t nr, flags;
		uint16_t verdict;
		std::memcpy(&nr, rec + offsetof(struct syscallmon_syscall, nr), sizeof nr);
		std::memcpy(&verdict, rec + offsetof(struct syscallmon_syscall, verdict), sizeof verdict);
		std::memcpy(&flags, rec + offsetof(struct syscallmon_syscall, h.flags), sizeof flags);
		if ((nr >= kRows && nr != SYSCALLMON_NR_NONE) || verdict >= (1u << kVerdictBits)) {
			*problem = "syscall " + std::to_string(nr) + ", verdict " + std::to_string(verdict) +
				   ": beyond what the tally counts";
			return false;
		}
		uint32_t row = nr == SYSCALLMON_NR_NONE ? kRows : nr;
		slots[(static_cast<size_t>(row) << kVerdictBits) | verdict]++;
		if (flags & SYSCALLMON_SYSCALL_NO_RESULT)
			slots[kNoResult]++;
		break;
	}
	case SYSCALLMON_RECORD_EXIT:
		slots[kExits]++;
		break;
	case SYSCALLMON_RECORD_CONFIG:
		slots[kConfigs]++;
		break;
	case SYSCALLMON_RECORD_LOST: {
		struct syscallmon_lost lost;
		std::memcpy(&lost, rec, sizeof lost);
		slots[kLostOverwritten] += static_cast<double>(lost.count - lost.config);
		slots[kLostConfig] += static_cast<double>(lost.config);
		break;
	}
	}
	return true;
}

bool NdjsonFormatter::Format(const CheckedRecords &batch, size_t *out_len, Counts *counts, std::string *problem,
			     Tally *tally)
{
	const uint8_t *data = batch.data;
	size_t len = batch.len;
	Reserve(LinesMax(batch.count, len));
	Out out(scratch_.get());
	*counts = Counts{};
	for (size_t at = 0; at < len && !full(); at += SizeAt(data + at)) {
		const uint8_t *rec = data + at;
		uint16_t type = TypeAt(rec);
		if (type == SYSCALLMON_RECORD_PAD)
			continue;
		if (tally && !tally->Add(rec, problem)) {
			*problem = "record at byte " + std::to_string(at) + ": " + *problem;
			*out_len = out.size();
			return false;
		}
		if (type == SYSCALLMON_RECORD_LOST) {
			struct syscallmon_lost lost;
			std::memcpy(&lost, rec, sizeof lost);
			counts->lost += lost.count;
		} else {
			counts->read++;
		}
		if (!Selected(rec))
			continue;
		if (!Line(out, rec, problem)) {
			*problem = "record at byte " + std::to_string(at) + ": " + *problem;
			*out_len = out.size();
			return false;
		}
		if (type != SYSCALLMON_RECORD_LOST) {
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
	std::vector<size_t> picked;
	for (size_t at = 0; at < len;) {
		size_t size = WholeRecord(data, at, len, problem);
		if (size == 0) {
			if (problem->empty())
				*problem = "batch ends inside a record";
			return false;
		}
		uint16_t type = TypeAt(data + at);
		if (type != SYSCALLMON_RECORD_LOST && type != SYSCALLMON_RECORD_PAD && Selected(data + at))
			picked.push_back(at);
		at += size;
	}
	if (picked.size() > n)
		picked.erase(picked.begin(), picked.end() - static_cast<std::ptrdiff_t>(n));
	size_t room = 0;
	for (size_t at : picked)
		room += LineMax(SizeAt(data + at));
	Reserve(room);
	Out out(scratch_.get());
	*counts = Counts{};
	for (size_t at : picked) {
		if (full())
			break;
		if (!Line(out, data + at, problem)) {
			*problem = "record at byte " + std::to_string(at) + ": " + *problem;
			*out_len = out.size();
			return false;
		}
		counts->shown++;
		shown_++;
	}
	counts->full = full();
	*out_len = out.size();
	return true;
}

int NdjsonFormatter::WriteRecords(const CheckedRecords &batch, int fd, Counts *counts, std::string *problem,
				  Tally *tally)
{
	size_t n = 0;
	// The lines before a record that can't be formatted still go out: the
	// events a reader was shown must not depend on where a batch ended.
	bool formatted = Format(batch, &n, counts, problem, tally);
	int err = WriteScratch(n, fd);
	return formatted ? err : EINVAL;
}

int NdjsonFormatter::WriteScratch(size_t n, int fd)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, scratch_.get() + done, n - done);
		if (w > 0) {
			done += static_cast<size_t>(w);
		} else if (w == 0) {
			return EIO; // no progress: trying again would spin for ever
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

// "ENOENT", or the number when the caller's table has no name for it.
void NdjsonFormatter::Errno(Out &out, int64_t err)
{
	out.Byte('"');
	if (err > 0 && static_cast<uint64_t>(err) < errnos_.size() && !errnos_[err].empty())
		out.Str(errnos_[err]);
	else
		out.I64(err);
	out.Byte('"');
}

// The seq's digits: counted up from the last seq's when it is the next one.
inline void NdjsonFormatter::Seq(Out &out, uint64_t seq)
{
	if (seq_len_ != 0 && seq == seq_ + 1 && seq != 0) {
		size_t i = seq_len_;
		while (i > 0 && seq_text_[i - 1] == '9')
			seq_text_[--i] = '0';
		if (i == 0) { // 99 -> 100
			seq_text_[0] = '1';
			seq_text_[seq_len_++] = '0';
		} else {
			seq_text_[i - 1]++;
		}
	} else {
		Out text(seq_text_);
		text.U64(seq);
		seq_len_ = text.size();
	}
	seq_ = seq;
	out.Block(seq_text_, seq_len_);
}

// ,"ts_ns":"…","time":"…Z": ts_ns's decimal is its second's and nine digits
// of nanoseconds, whose first three are the time's milliseconds. A second's
// text is kept whole, with room for those digits, and they are written
// into it where it was copied.
inline void NdjsonFormatter::Time(Out &out, uint64_t ts_ns)
{
	uint64_t sec = ts_ns / 1000000000u;
	uint32_t ns = static_cast<uint32_t>(ts_ns % 1000000000u);
	if (sec == 0) {
		FirstSecond(out, ns);
		return;
	}
	if (sec != time_sec_ || time_len_ == 0)
		NewSecond(sec);
	char *at = out.end();
	out.Block(time_text_, time_len_);
	NineDigits(at + time_ns_at_, ns);
	std::memcpy(at + time_ms_at_, at + time_ns_at_, 3);
}

// Once a second (not the first): that second's text, zeros where the digits go.
void NdjsonFormatter::NewSecond(uint64_t sec)
{
	Out text(time_text_);
	text.U64(",\"ts_ns\":\"", sec);
	time_ns_at_ = text.size();
	text.Lit("000000000\",\"time\":\"");
	IsoSeconds(text, sec);
	text.Byte('.');
	time_ms_at_ = text.size();
	text.Lit("000Z\"");
	time_len_ = text.size();
	time_sec_ = sec;
}

// A time in the first second of 1970: ts_ns is the nanoseconds' number alone.
void NdjsonFormatter::FirstSecond(Out &out, uint32_t ns)
{
	char nine[9];
	NineDigits(nine, ns);
	out.U64(",\"ts_ns\":\"", ns);
	out.Lit("\",\"time\":\"");
	IsoSeconds(out, 0);
	out.Byte('.');
	out.Str(nine, 3);
	out.Lit("Z\"");
}

inline bool NdjsonFormatter::SameTask(const uint8_t *rec) const
{
	// The whole struct: a reserved field that differs only costs a fresh text.
	return task_valid_ && SameBytes<sizeof task_>(rec + offsetof(struct syscallmon_syscall, task), &task_);
}

// From ,"pid": to the end of "comm"'s value: the text of the last task is reused.
inline void NdjsonFormatter::Task(Out &out, const uint8_t *rec)
{
	if (SameTask(rec))
		out.Str(mid_text_, task_len_);
	else
		NewTask(out, rec);
}

// A task's text, written and kept in front of the call's.
void NdjsonFormatter::NewTask(Out &out, const uint8_t *rec)
{
	struct syscallmon_task t = TaskOf(rec);
	char *from = out.end();
	out.U64(",\"pid\":", t.pid);
	out.U64(",\"tgid\":", t.tgid);
	out.U64(",\"ppid\":", t.ppid);
	out.U64(",\"uid\":", t.uid);
	out.U64(",\"gid\":", t.gid);
	out.Lit(",\"comm\":");
	JsonCString(out, reinterpret_cast<const unsigned char *>(t.comm), sizeof t.comm);
	size_t len = static_cast<size_t>(out.end() - from);
	if (call_valid_)
		std::memmove(mid_text_ + len, mid_text_ + task_len_, call_len_);
	std::memcpy(mid_text_, from, len);
	task_len_ = len;
	task_ = t;
	task_valid_ = true;
}

// From ,"pid": to the end of "args"'s value.
inline void NdjsonFormatter::TaskAndCall(Out &out, uint32_t flags, const uint8_t *rec)
{
	bool same_task = SameTask(rec);
	bool same_call = SameCall(flags, rec);
	if (same_task && same_call) {
		out.Str(mid_text_, task_len_ + call_len_);
		return;
	}
	Task(out, rec);
	if (same_call) {
		out.Str(mid_text_ + task_len_, call_len_);
		return;
	}
	Syscall s;
	std::memcpy(&s, rec, sizeof s);
	char *from = out.end();
	CallFields(out, s, rec + sizeof s);
	call_len_ = static_cast<size_t>(out.end() - from);
	std::memcpy(mid_text_ + task_len_, from, call_len_);
	KeepCall(s, rec);
}

inline bool NdjsonFormatter::Line(Out &out, const uint8_t *rec, std::string *problem)
{
	struct syscallmon_header h = HeaderAt(rec);
	if (h.type == SYSCALLMON_RECORD_LOST) {
		struct syscallmon_lost lost;
		std::memcpy(&lost, rec, sizeof lost);
		out.U64("{\"type\":\"lost\",\"seq\":", h.seq);
		out.U64(",\"count\":", lost.count);
		out.U64(",\"config\":", lost.config);
		out.Lit("}\n");
		return true;
	}
	// Checked before anything is written: a refused record leaves no half line.
	struct syscallmon_config config;
	const char *kind = nullptr;
	if (h.type == SYSCALLMON_RECORD_SYSCALL) {
		uint16_t verdict = SYSCALL_FIELD(rec, verdict), abi = SYSCALL_FIELD(rec, abi);
		if (VerdictName(verdict) == nullptr)
			return Refuse(problem, "unknown verdict " + std::to_string(verdict));
		if (AbiName(abi) == nullptr)
			return Refuse(problem, "unknown abi " + std::to_string(abi));
		out.Lit("{\"type\":\"syscall\",\"seq\":");
	} else if (h.type == SYSCALLMON_RECORD_EXIT) {
		out.Lit("{\"type\":\"exit\",\"seq\":");
	} else if (h.type == SYSCALLMON_RECORD_CONFIG) {
		std::memcpy(&config, rec, sizeof config);
		kind = ConfigKindName(config.kind);
		if (kind == nullptr)
			return Refuse(problem, "unknown configuration kind " + std::to_string(config.kind));
		out.Lit("{\"type\":\"config\",\"seq\":");
	} else {
		return Refuse(problem, "unknown record type " + std::to_string(h.type) + " (module newer than this tool?)");
	}
	Seq(out, h.seq);
	Time(out, h.ts_ns);
	if (h.type != SYSCALLMON_RECORD_SYSCALL)
		Task(out, rec);
	if (h.type == SYSCALLMON_RECORD_EXIT) {
		struct syscallmon_exit e;
		std::memcpy(&e, rec, sizeof e);
		out.I64(",\"exit_code\":", e.exit_code);
		out.I64(",\"signal\":", e.signal);
		out.U64(",\"utime_ns\":\"", e.utime_ns);
		out.U64("\",\"stime_ns\":\"", e.stime_ns);
		out.Lit("\"}\n");
		return true;
	}
	if (h.type == SYSCALLMON_RECORD_CONFIG) {
		out.Lit(",\"kind\":\"");
		out.Str(kind, std::strlen(kind));
		out.U64("\",\"id\":", config.id);
		out.Lit(",\"text\":");
		JsonCString(out, rec + sizeof config, config.text_len);
		out.Lit("}\n");
		return true;
	}
	TaskAndCall(out, h.flags, rec);
	uint64_t call_id = SYSCALL_FIELD(rec, call_id);
	bool entry = (h.flags & SYSCALLMON_SYSCALL_ENTRY) != 0, no_result = (h.flags & SYSCALLMON_SYSCALL_NO_RESULT) != 0;
	if ((h.flags & SYSCALLMON_SYSCALL_RESULT) != 0) {
		Result(out, SYSCALL_FIELD(rec, ret));
		out.U64(SYSCALL_FIELD(rec, duration_ns));
		// Most calls: one copy for the rest of the line.
		if (call_id == 0 && !entry && !no_result) {
			out.Lit("\",\"call_id\":null,\"entry\":false,\"no_result\":false}\n");
			return true;
		}
		out.Lit("\",\"call_id\":");
	} else {
		out.Lit(",\"ret\":null,\"errno\":null,\"duration_ns\":null,\"call_id\":");
	}
	if (call_id != 0 || entry)
		out.U64(call_id);
	else
		out.Lit("null");
	out.Lit(",\"entry\":");
	out.Bool(entry);
	out.Lit(",\"no_result\":");
	out.Bool(no_result);
	out.Lit("}\n");
	return true;
}

// From ,"ret": to the opening quote of "duration_ns"'s value: the text of
// the last result is reused (a busy call mostly returns the same).
inline void NdjsonFormatter::Result(Out &out, int64_t ret)
{
	if (result_len_ == 0 || ret != result_) {
		Out text(result_text_);
		text.I64(",\"ret\":", ret);
		text.Lit(",\"errno\":");
		if (ret < 0 && ret >= -SYSCALLMON_MAX_ERRNO)
			Errno(text, -ret);
		else
			text.Lit("null");
		text.Lit(",\"duration_ns\":\"");
		result_len_ = text.size();
		result_ = ret;
	}
	// Most results are short: ,"ret":3,"errno":null,"duration_ns":" is 38 bytes.
	out.ShortBlock<48>(result_text_, result_len_);
}

// The flags the call's cached text shows.
constexpr uint32_t kCallFlags = SYSCALLMON_SYSCALL_PATH | SYSCALLMON_SYSCALL_PATH_TRUNCATED |
				SYSCALLMON_SYSCALL_PATH_UNREADABLE | SYSCALLMON_SYSCALL_TARGET | SYSCALLMON_SYSCALL_FILE;

inline bool NdjsonFormatter::SameCall(uint32_t flags, const uint8_t *rec) const
{
	return call_valid_ && (flags & kCallFlags) == call_flags_ &&
	       SameBytes<sizeof call_head_>(rec + kCallHeadAt, call_head_) &&
	       SameBytes<sizeof call_tail_>(rec + kCallTailAt, call_tail_) &&
	       std::memcmp(rec + sizeof(Syscall), call_strings_,
			   SYSCALL_FIELD(rec, path_len) + SYSCALL_FIELD(rec, target_len)) == 0;
}

void NdjsonFormatter::KeepCall(const Syscall &s, const uint8_t *rec)
{
	std::memcpy(call_head_, rec + kCallHeadAt, sizeof call_head_);
	std::memcpy(call_tail_, rec + kCallTailAt, sizeof call_tail_);
	call_flags_ = s.h.flags & kCallFlags;
	std::memcpy(call_strings_, rec + sizeof s, s.path_len + s.target_len);
	call_valid_ = true;
}

// From ,"syscall": to the end of "args"'s value.
void NdjsonFormatter::CallFields(Out &out, const Syscall &s, const uint8_t *strings)
{
	out.Lit(",\"syscall\":\"");
	if (s.nr < syscalls_.size() && !syscalls_[s.nr].empty())
		out.Str(syscalls_[s.nr]);
	else if (s.nr == SYSCALLMON_NR_NONE)
		out.Lit("none");
	else
		out.U64("syscall_", s.nr);
	out.U64("\",\"nr\":", s.nr);
	out.Lit(",\"abi\":\"");
	const char *abi = AbiName(s.abi);
	out.Str(abi, std::strlen(abi));
	out.U64("\",\"native_nr\":", s.native_nr);
	out.Lit(",\"verdict\":\"");
	const char *verdict = VerdictName(s.verdict);
	out.Str(verdict, std::strlen(verdict));
	out.Lit("\",\"block_errno\":");
	if (s.verdict != SYSCALLMON_VERDICT_ALLOWED && s.err != 0)
		Errno(out, s.err);
	else
		out.Lit("null");
	out.Lit(",\"rule\":");
	if (s.rule != 0)
		out.U64(s.rule);
	else
		out.Lit("null");
	out.Lit(",\"file\":");
	out.Bool((s.h.flags & SYSCALLMON_SYSCALL_FILE) != 0);
	out.Lit(",\"path\":");
	if ((s.h.flags & SYSCALLMON_SYSCALL_PATH) != 0)
		JsonCString(out, strings, s.path_len);
	else
		out.Lit("null");
	out.Lit(",\"path_truncated\":");
	out.Bool((s.h.flags & SYSCALLMON_SYSCALL_PATH_TRUNCATED) != 0);
	out.Lit(",\"path_unreadable\":");
	out.Bool((s.h.flags & SYSCALLMON_SYSCALL_PATH_UNREADABLE) != 0);
	out.Lit(",\"target\":");
	if ((s.h.flags & SYSCALLMON_SYSCALL_TARGET) != 0)
		JsonCString(out, strings + s.path_len, s.target_len);
	else
		out.Lit("null");
	out.Lit(",\"args\":[");
	for (int i = 0; i < SYSCALLMON_NR_ARGS; i++) {
		if (i != 0)
			out.Byte(',');
		out.Byte('"');
		out.Hex(s.args[i]);
		out.Byte('"');
	}
	out.Byte(']');
}

} // namespace syscallmon
