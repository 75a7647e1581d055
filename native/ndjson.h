// NDJSON formatting of raw records for tail --json (see ndjson.cc).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "uapi/syscallmon.h"

namespace syscallmon {

class Out;

// Raw records in, NDJSON lines out; byte for byte what the library's JS
// encoder writes. Not thread-safe: one caller at a time (the JS thread).
class NdjsonFormatter {
public:
	// errnos[n]: errno n's name ("" prints the number).
	explicit NdjsonFormatter(std::vector<std::string> errnos);

	// Formats the whole records of data into scratch(); false (and
	// *problem) for a record it cannot format.
	bool Format(const uint8_t *data, size_t len, size_t *out_len, std::string *problem);
	// Formats and writes all the lines to fd, waiting while fd is full.
	// Returns 0 or an errno (EINVAL with *problem set: Format failed).
	int WriteRecords(const uint8_t *data, size_t len, int fd, std::string *problem);

	const char *scratch() const { return scratch_.get(); }
	// Of the last batch: event records, and the lost records' counts summed.
	uint64_t events() const { return events_; }
	uint64_t lost() const { return lost_; }

private:
	using Event = struct syscallmon_event;

	std::string Line(Out &out, const Event &e);
	void CallFields(Out &out, const Event &e, const char *action);
	bool SameTask(const Event &e) const;
	bool SameCall(const Event &e) const;

	std::vector<std::string> errnos_;
	std::unique_ptr<char[]> scratch_;
	size_t scratch_size_ = 0;
	uint64_t events_ = 0;
	uint64_t lost_ = 0;
	uint64_t cached_sec_ = 0;
	char cached_iso_[96] = {};
	size_t cached_iso_len_ = 0;

	// Consecutive records from one busy process repeat most of a line:
	// the text of the task's fields (pid .. comm) and of the call's
	// (syscall .. path_truncated) is kept with the record it came from and
	// copied when the next record has the same values. Sized for the worst
	// case (every comm/path byte escaped as \u00XX).
	Event task_{};
	bool task_valid_ = false;
	char task_text_[160 + 6 * SYSCALLMON_COMM_LEN];
	size_t task_len_ = 0;
	Event call_{};
	bool call_valid_ = false;
	char call_text_[256 + 6 * SYSCALLMON_PATH_LEN];
	size_t call_len_ = 0;
};

// The formatter behind a function that ndjsonFormatter() returned; throws a
// TypeError for any other value.
std::shared_ptr<NdjsonFormatter> UnwrapFormatter(Napi::Env env, Napi::Value v);

void InitNdjson(Napi::Env env, Napi::Object exports);

} // namespace syscallmon
