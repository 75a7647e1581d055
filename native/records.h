// Walking a buffer of whole records (kernel/include/uapi/syscallmon.h):
// each starts with struct syscallmon_header and is h.size bytes long. Plain
// C++; the formatter and the stream use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "uapi/syscallmon.h"

namespace syscallmon {

// The header of the (whole, not PAD) record at p, which need not be aligned.
inline struct syscallmon_header HeaderAt(const uint8_t *p)
{
	struct syscallmon_header h;
	std::memcpy(&h, p, sizeof h);
	return h;
}

// The field of type T at offset bytes into the record at p, which need not be aligned.
template <typename T> inline T FieldAt(const uint8_t *p, size_t offset)
{
	T v;
	std::memcpy(&v, p + offset, sizeof v);
	return v;
}

// The type of the record at p: the one header field every record has whole.
inline uint16_t TypeAt(const uint8_t *p)
{
	return FieldAt<uint16_t>(p, offsetof(struct syscallmon_header, type));
}

// The size of the record at p.
inline uint16_t SizeAt(const uint8_t *p)
{
	return FieldAt<uint16_t>(p, offsetof(struct syscallmon_header, size));
}

// The size of the whole record at data[at, len), checked against its type's
// layout; 0 when the bytes left hold no whole record (a record cut short by
// the end of a batch). Sets *problem (and returns 0) for a record no module
// writes: a bad size, or a type this tool does not know.
// The part of a header every record has: a PAD filling the last 8 or 16
// bytes of the ring holds nothing else.
constexpr size_t kHeaderStart = offsetof(struct syscallmon_header, seq);

inline size_t WholeRecord(const uint8_t *data, size_t at, size_t len, std::string *problem)
{
	if (len - at < kHeaderStart)
		return 0;
	struct syscallmon_header h;
	std::memcpy(&h, data + at, kHeaderStart);
	size_t fixed;
	switch (h.type) {
	case SYSCALLMON_RECORD_SYSCALL: fixed = sizeof(struct syscallmon_syscall); break;
	case SYSCALLMON_RECORD_EXIT: fixed = sizeof(struct syscallmon_exit); break;
	case SYSCALLMON_RECORD_LOST: fixed = sizeof(struct syscallmon_lost); break;
	case SYSCALLMON_RECORD_CONFIG: fixed = sizeof(struct syscallmon_config); break;
	case SYSCALLMON_RECORD_PAD: fixed = kHeaderStart; break;
	default:
		*problem = "record at byte " + std::to_string(at) + ": unknown record type " + std::to_string(h.type) +
			   " (module newer than this tool?)";
		return 0;
	}
	// A PAD fills less than the record that did not fit: at most RECORD_MAX too.
	bool bad = h.size < fixed || h.size % SYSCALLMON_RECORD_ALIGN != 0 || h.size > SYSCALLMON_RECORD_MAX;
	if (!bad && h.type == SYSCALLMON_RECORD_SYSCALL && h.size <= len - at) {
		uint16_t path_len, target_len;
		std::memcpy(&path_len, data + at + offsetof(struct syscallmon_syscall, path_len), sizeof path_len);
		std::memcpy(&target_len, data + at + offsetof(struct syscallmon_syscall, target_len), sizeof target_len);
		bad = fixed + path_len + target_len > h.size;
	} else if (!bad && h.type == SYSCALLMON_RECORD_CONFIG && h.size <= len - at) {
		uint16_t text_len;
		std::memcpy(&text_len, data + at + offsetof(struct syscallmon_config, text_len), sizeof text_len);
		bad = text_len == 0 || fixed + text_len > h.size;
	}
	if (bad) {
		*problem = "record at byte " + std::to_string(at) + ": malformed (type " + std::to_string(h.type) +
			   ", size " + std::to_string(h.size) + ")";
		return 0;
	}
	return h.size <= len - at ? h.size : 0;
}

// Records each checked whole (WholeRecord): data[0, len) holds exactly count
// of them, PADs included. Made by CheckRecords(), or by a reader that
// checked each record as it took it.
struct CheckedRecords {
	const uint8_t *data = nullptr;
	size_t len = 0;
	size_t count = 0;
};

// data[0, len) as checked records; false (and *problem) for a malformed
// record or one cut short by the end.
inline bool CheckRecords(const uint8_t *data, size_t len, CheckedRecords *out, std::string *problem)
{
	size_t at = 0, count = 0;
	while (at < len) {
		size_t size = WholeRecord(data, at, len, problem);
		if (size == 0) {
			if (problem->empty())
				*problem = "batch ends inside a record";
			return false;
		}
		at += size;
		count++;
	}
	*out = CheckedRecords{ data, len, count };
	return true;
}

} // namespace syscallmon
