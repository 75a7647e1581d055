// The NDJSON formatter: raw records in, NDJSON lines out (see ndjson.cc).
// Plain C++: no N-API here; formatter.cc is its face to JS and stream.cc
// drives it from the device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "records.h"
#include "uapi/syscallmon.h"

namespace syscallmon {

class Out;

// Which records a formatter writes: every lost record (a gap is never
// hidden by a filter), and the events that match; at most limit events in
// all, over every call (0: no limit).
struct Selection {
	// Syscall numbers to keep (exit and config records then never match); empty: all.
	std::unordered_set<uint32_t> nrs;
	// Thread group ids or thread ids to keep; empty: every process.
	std::unordered_set<uint32_t> pids;
	uint64_t limit = 0;
};

// What one call saw. Records after the one that reached the limit are
// neither written nor counted.
struct Counts {
	uint64_t read = 0;  // event records (syscall, exit, config) looked at
	uint64_t shown = 0; // event records written
	uint64_t lost = 0;  // the counts of the lost records looked at, summed
	bool full = false;  // the limit is reached: nothing more will be written
};

// What a consumer that writes every record counts of them for its metrics
// (the daemon), counted as the formatter walks them: a JS Float64Array's
// memory, kSlots doubles laid out as below. Calls by syscall and verdict:
// slot nr << kVerdictBits | verdict, nr a syscall number below kRows or
// SYSCALLMON_NR_NONE (counted in row kRows).
struct Tally {
	static constexpr unsigned kVerdictBits = 4;
	static constexpr uint32_t kRows = 1024;
	enum Slot : size_t {
		kExits = static_cast<size_t>(kRows + 1) << kVerdictBits,
		kConfigs,
		kLostOverwritten, // overwritten before the reader read them, configuration records left out
		kLostConfig,	  // overwritten configuration records
		kNoResult,	  // calls recorded without their result
		kSlots,
	};
	double *slots = nullptr;

	// Counts one whole record; false (and *problem) for a syscall number no row holds.
	bool Add(const uint8_t *rec, std::string *problem);
};

// Raw records in, NDJSON lines out; byte for byte what the library's JS
// encoder writes, with the fields of kernel/include/uapi/syscallmon_schema.h
// in its order. Not thread-safe: one caller at a time (the JS thread).
class NdjsonFormatter {
public:
	// errnos[n]: errno n's name ("" prints the number); syscalls[nr]:
	// syscall nr's name ("" prints syscall_<nr>).
	NdjsonFormatter(std::vector<std::string> errnos, std::vector<std::string> syscalls, Selection selection);

	// Formats the selected records of batch into scratch(), counting
	// every record into tally if one is given; false (and *problem) for a
	// record it cannot format or count, with *out_len and *counts then
	// covering the whole lines of the records before it.
	bool Format(const CheckedRecords &batch, size_t *out_len, Counts *counts, std::string *problem,
		    Tally *tally = nullptr);
	// Of data (records already held, read before following), the last n
	// selected events, lost records left out (they describe an earlier
	// reader's gaps); nothing is counted as read. On failure, as Format.
	bool FormatLast(const uint8_t *data, size_t len, uint64_t n, size_t *out_len, Counts *counts,
			std::string *problem);
	// Format(), then all the lines written to fd, waiting while fd is full.
	// Returns 0 or an errno (EINVAL with *problem set: Format failed, after
	// the lines of the records before the one it refused were written).
	int WriteRecords(const CheckedRecords &batch, int fd, Counts *counts, std::string *problem,
			 Tally *tally = nullptr);
	// Writes out_len bytes of scratch() to fd; 0 or an errno.
	int WriteScratch(size_t out_len, int fd);

	const char *scratch() const { return scratch_.get(); }
	bool full() const { return sel_.limit != 0 && shown_ >= sel_.limit; }

private:
	using Syscall = struct syscallmon_syscall;

	// Inline: most formatters select everything.
	bool Selected(const uint8_t *rec) const { return (sel_.pids.empty() && sel_.nrs.empty()) || Matches(rec); }
	bool Matches(const uint8_t *rec) const;
	void Reserve(size_t bytes);
	// Appends rec's line; false (and *problem) for a record it cannot format.
	// A repeated line costs ~500 instructions: the pieces of one
	// (always_inline) are inlined into it, and it into the loops over a
	// batch, as a call each would cost ~10 more. NewSecond and FirstSecond
	// run once a second: kept out.
	__attribute__((always_inline)) bool Line(Out &out, const uint8_t *rec, std::string *problem);
	__attribute__((always_inline)) void Seq(Out &out, uint64_t seq);
	__attribute__((always_inline)) void Time(Out &out, uint64_t ts_ns);
	__attribute__((noinline)) void NewSecond(uint64_t sec);
	__attribute__((noinline)) void FirstSecond(Out &out, uint32_t ns);
	__attribute__((always_inline)) bool SameTask(const uint8_t *rec) const;
	__attribute__((always_inline)) void Task(Out &out, const uint8_t *rec);
	void NewTask(Out &out, const uint8_t *rec);
	__attribute__((always_inline)) void TaskAndCall(Out &out, uint32_t flags, const uint8_t *rec);
	void CallFields(Out &out, const Syscall &s, const uint8_t *strings);
	__attribute__((always_inline)) void Result(Out &out, int64_t ret);
	void Errno(Out &out, int64_t err);
	__attribute__((always_inline)) bool SameCall(uint32_t flags, const uint8_t *rec) const;
	void KeepCall(const Syscall &s, const uint8_t *rec);

	const std::vector<std::string> errnos_;
	const std::vector<std::string> syscalls_;
	const Selection sel_;
	uint64_t shown_ = 0; // events written over every call, for the limit
	std::unique_ptr<char[]> scratch_;
	size_t scratch_size_ = 0;

	// Consecutive records count seq up by one and mostly fall in one
	// second: the last seq's text is counted up in place, and a second's
	// text (from ,"ts_ns": to the end of "time"'s value) is kept while
	// records fall in it.
	uint64_t seq_ = 0;
	char seq_text_[24] = {};
	size_t seq_len_ = 0; // 0: no seq kept
	uint64_t time_sec_ = 0;
	char time_text_[96] = {};	 // 65 bytes at most (the year 2554 ends u64 ns)
	size_t time_len_ = 0;	 // 0: no second kept
	size_t time_ns_at_ = 0;	 // where the nanoseconds' nine digits go
	size_t time_ms_at_ = 0;	 // and the milliseconds' three

	// The last result's text (,"ret": .. "duration_ns":"), for the next
	// record with the same ret: 118 bytes at most (20 digits, a quoted
	// errno name of at most 64).
	int64_t result_ = 0;
	char result_text_[128] = {};
	size_t result_len_ = 0; // 0: no result kept

	// Consecutive records from one busy process repeat most of a line:
	// the text of the task's fields (pid .. comm) and of the call's
	// (syscall .. args) is kept with the values it came from and copied
	// when the next record has the same values. The two texts are kept
	// one after the other in mid_text_, so that a line that repeats both
	// copies them at once. Sized for the worst case (every
	// comm/path/target byte escaped as \u00XX).
	static constexpr size_t kTaskTextMax = 160 + 6 * SYSCALLMON_COMM_LEN;
	static constexpr size_t kCallTextMax = 768 + 6 * (SYSCALLMON_PATH_LEN + SYSCALLMON_TARGET_LEN);
	char mid_text_[kTaskTextMax + kCallTextMax];
	struct syscallmon_task task_{};
	bool task_valid_ = false;
	size_t task_len_ = 0; // the task's text is mid_text_[0, task_len_)
	// What the call's text shows: the record's bytes from nr to err and
	// from args to rule, the flags kCallFlags names, the path and target.
	static constexpr size_t kCallHeadAt = offsetof(Syscall, nr);
	static constexpr size_t kCallTailAt = offsetof(Syscall, args);
	uint8_t call_head_[offsetof(Syscall, ret) - kCallHeadAt] = {};
	uint8_t call_tail_[sizeof(Syscall) - kCallTailAt] = {};
	uint32_t call_flags_ = 0;
	uint8_t call_strings_[SYSCALLMON_PATH_LEN + SYSCALLMON_TARGET_LEN] = {};
	bool call_valid_ = false;
	size_t call_len_ = 0; // the call's text follows the task's
};

} // namespace syscallmon
