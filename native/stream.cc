// Streaming batches of whole records from the device to JS, without
// blocking the event loop and without a thread: a uv_poll_t watches the
// device fd in Node's own loop, and its callback takes one batch on the JS
// thread. (A reader thread handing batches over through a
// ThreadSafeFunction was measured against it and lost on latency: the
// hand-off is a second context switch per batch; scripts/bench/analysis.md
// has the numbers.) stop() is idempotent, no batch is delivered after it,
// and close(fd) stops the fd's streams first (StopStreamsOnFd).
//
// A stream is a mapped reader (kernel/include/uapi/syscallmon.h): it maps
// the ring read-only and follows it with SYSCALLMON_IOC_FETCH, which moves
// the file's cursor (so poll() stays true to what is left) and says how many
// records were overwritten before the stream got to them. A batch is the
// bytes of a run of whole records copied out of the mapping at once, kept
// only if the ring's tail had not passed them when the copy ended; so the
// kernel copies no record to anyone, and its ring lock is held only for
// FETCH's bookkeeping. A FETCH lost count becomes a lost record at the
// batch's start, as read() would have put it; a loss found once a batch
// holds records is left with the cursor (SYSCALLMON_FETCH_KEEP_LOSS) and
// starts the next batch, or is the file's next reader's to hear of if the
// stream stops first. Records read() took from the ring and not yet handed
// out go first (FETCH refuses with EBUSY until then).
//
// Coalescing (coalesceMs > 0): after a batch that did not fill maxBytes the
// stream waits coalesceMs before it reads again, so a steady stream of
// events costs one wake-up per window instead of one per event (on one CPU
// each wake-up of the reader preempts the traced process: 13 k instructions
// per event, scripts/bench/analysis.md). An idle stream still wakes on its
// first record; a full batch is followed by the next read at once, so a
// flood is never slowed down to one batch per window.
//
// Under a flood even that window wakes the reader every few milliseconds
// for a few hundred records. A wait whose haul is kFloodBytes or more
// starts a flood: the stream waits kFloodWindowMs (or its own window, if
// longer), and asks the kernel (SYSCALLMON_IOC_SET_WAKEUP) to wake it
// sooner once a quarter of the ring is pending, so that a burst can't
// overwrite the ring while it waits. The first wait with a smaller haul
// ends the flood.
//
// An NDJSON stream hands each batch to a formatter (ndjson.cc) that writes
// the selected records' lines to an fd; JS hears only the counts.
#include "stream.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "convert.h"
#include "errors.h"
#include "formatter.h"
#include "records.h"
#include "uapi/syscallmon.h"

namespace syscallmon {
namespace {

struct StreamOptions {
	size_t max; // bytes of records per batch
	unsigned coalesce_ms;
	// Batches may be views of the stream's own read buffer, overwritten by
	// the next read: no copy per batch.
	bool transient;
	// Set: each batch goes through this formatter to out_fd, and JS gets
	// only counts (onProgress(null, read, shown, lost, full)): no JS object
	// per batch, so a fast stream never waits for the garbage collector.
	std::shared_ptr<NdjsonFormatter> ndjson;
	int out_fd;
};

class Stream;
void Register(const std::shared_ptr<Stream> &s);
std::shared_ptr<Stream> Unregister(Stream *s);

// Reads whole records into buf; returns bytes read, 0 when nothing was
// ready, or -errno.
ssize_t ReadInto(int fd, uint8_t *buf, size_t cap)
{
	ssize_t n;
	do
		n = read(fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return n;
	if (n == 0)
		return -ENODATA; // the device never reports EOF
	return errno == EAGAIN ? 0 : -errno;
}

// ------------------------------------------------------------- MappedRing

// The device's ring, mapped read-only, and where this reader is in it.
class MappedRing {
public:
	// Maps fd's ring; 0 or an errno.
	int Map(int fd)
	{
		fd_ = fd;
		void *p = mmap(nullptr, SYSCALLMON_MMAP_DATA, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return errno;
		page_ = static_cast<const struct syscallmon_ring_page *>(p);
		size_ = __atomic_load_n(&page_->size, __ATOMIC_RELAXED);
		p = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, SYSCALLMON_MMAP_DATA);
		if (p == MAP_FAILED) {
			int err = errno;
			Unmap();
			return err;
		}
		data_ = static_cast<const uint8_t *>(p);
		return 0;
	}

	void Unmap()
	{
		if (data_)
			munmap(const_cast<uint8_t *>(data_), size_);
		if (page_)
			munmap(const_cast<struct syscallmon_ring_page *>(page_), SYSCALLMON_MMAP_DATA);
		data_ = nullptr;
		page_ = nullptr;
	}

	~MappedRing() { Unmap(); }

	// Hands the kernel how far this reader delivered and learns where to go
	// on: 0, or an errno (EBUSY: read() holds records to hand out first).
	// *config: of the *lost records, how many were configuration records.
	// keep_loss: *lost says how many this reader missed, but the cursor
	// keeps them for the next Fetch or read() to report.
	int Fetch(uint64_t *head, uint64_t *lost, uint64_t *config, uint64_t *first_lost, bool keep_loss = false)
	{
		struct syscallmon_fetch f = {};
		f.pos = pos_;
		f.seq = seq_;
		f.flags = keep_loss ? SYSCALLMON_FETCH_KEEP_LOSS : 0;
		int r;
		do
			r = ioctl(fd_, SYSCALLMON_IOC_FETCH, &f);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return errno;
		// The first record missed: where this reader was, unless a clear or
		// a seek moved its cursor past that (then the loss is just behind it).
		*first_lost = seq_ < f.seq ? seq_ : f.seq - f.lost;
		pos_ = f.pos;
		seq_ = f.seq;
		*head = f.head;
		*lost = f.lost;
		*config = f.lost_config;
		return 0;
	}

	// Makes poll() wait for bytes pending (1: any record); 0 or an errno.
	int SetWakeup(uint64_t bytes)
	{
		return ioctl(fd_, SYSCALLMON_IOC_SET_WAKEUP, &bytes) < 0 ? errno : 0;
	}

	size_t size() const { return size_; }

	// Whether this reader has delivered everything up to head.
	bool at(uint64_t head) const { return pos_ == head; }

	// Copies the whole records in [pos, head), at most cap bytes of them
	// (cap: room for the largest record at least), to dst, and moves past
	// them. Returns the bytes copied: 0 when they were overwritten while
	// copied (the next Fetch counts them). A record no module writes ends
	// the copy before it, with *problem saying which. *more: cap left
	// records for later; *count: how many records (PADs too) were copied,
	// each checked whole.
	ssize_t Copy(uint64_t head, uint8_t *dst, size_t cap, bool *more, size_t *count, std::string *problem)
	{
		size_t len = static_cast<size_t>(std::min<uint64_t>(head - pos_, cap));
		size_t off = static_cast<size_t>(pos_ & (size_ - 1));
		size_t first = std::min(len, size_ - off);
		std::memcpy(dst, data_ + off, first);
		std::memcpy(dst + first, data_, len - first);
		// The producer moves the tail before it overwrites (release): the
		// copy is good if the tail has not passed where it started.
		std::atomic_thread_fence(std::memory_order_acquire);
		if (__atomic_load_n(&page_->tail, __ATOMIC_ACQUIRE) > pos_)
			return 0;
		size_t at = 0, records = 0, pads = 0;
		for (size_t size; at < len && (size = WholeRecord(dst, at, len, problem)) != 0; at += size)
			if (TypeAt(dst + at) != SYSCALLMON_RECORD_PAD)
				records++;
			else
				pads++;
		*more = problem->empty() && at < head - pos_;
		*count = records + pads;
		pos_ += at;
		seq_ += records;
		return static_cast<ssize_t>(at);
	}

private:
	int fd_ = -1;
	const struct syscallmon_ring_page *page_ = nullptr;
	const uint8_t *data_ = nullptr;
	size_t size_ = 0;
	uint64_t pos_ = 0; // the next record to deliver; the first Fetch takes the cursor's
	uint64_t seq_ = 0;
};

// A lost record as the device writes one (struct syscallmon_lost).
void LostRecord(uint8_t *dst, uint64_t first, uint64_t count, uint64_t config)
{
	struct syscallmon_lost lost;
	std::memset(&lost, 0, sizeof lost);
	lost.h.size = sizeof lost;
	lost.h.type = SYSCALLMON_RECORD_LOST;
	lost.h.seq = first;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	lost.h.ts_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
	lost.count = count;
	lost.config = config;
	std::memcpy(dst, &lost, sizeof lost);
}

constexpr size_t kLostSize = sizeof(struct syscallmon_lost);

// A wait that brings in this many bytes (~100 records) starts or continues a flood.
constexpr size_t kFloodBytes = 16 * 1024;
constexpr unsigned kFloodWindowMs = 20;

// ------------------------------------------------------------------ Stream

// One batch: buf_[at, at + len), count whole records, each checked.
struct Batch {
	size_t at = 0;
	size_t len = 0;
	size_t count = 0;
	// More records were left for the next batch (maxBytes was reached).
	bool more = false;
	// A record no module writes (with EPROTO).
	std::string problem;
};

class Stream {
public:
	Stream(Napi::Env env, int fd, const StreamOptions &o, Napi::Function cb)
		: env_(env), fd_(fd), max_(o.max), coalesce_ms_(o.coalesce_ms), transient_(o.transient),
		  ndjson_(o.ndjson), out_fd_(o.out_fd),
		  buf_(std::make_shared<std::vector<uint8_t>>(kLostSize + o.max)), cb_(Napi::Persistent(cb)),
		  ctx_(std::make_unique<Napi::AsyncContext>(env, "syscallmon:stream"))
	{
	}

	static std::shared_ptr<Stream> Start(Napi::Env env, int fd, const StreamOptions &o, Napi::Function cb)
	{
		uv_loop_t *loop;
		if (napi_get_uv_event_loop(env, &loop) != napi_ok)
			throw Napi::Error::New(env, "no libuv loop");
		auto self = std::make_shared<Stream>(env, fd, o, cb);
		int r = self->ring_.Map(fd);
		if (r)
			ThrowErrno(env, r, "mmap");
		r = uv_poll_init(loop, &self->poll_, fd);
		if (r < 0)
			ThrowErrno(env, -r, "uv_poll_init");
		uv_timer_init(loop, &self->timer_); // cannot fail
		// From here both handles must be uv_close()d; until their close
		// callbacks have run they hold a reference to the stream.
		self->poll_.data = self.get();
		self->timer_.data = self.get();
		self->self_ = self;
		// Node unloads the addon when a worker's environment goes away:
		// the close callbacks must have run by then, so teardown waits for
		// them through an async cleanup hook (removed in OnClose).
		if (napi_add_async_cleanup_hook(env, OnTeardown, self.get(), &self->teardown_) != napi_ok)
			self->teardown_ = nullptr;
		r = self->WaitReadable();
		if (r < 0) {
			self->Stop();
			ThrowErrno(env, -r, "uv_poll_start");
		}
		Register(self);
		return self;
	}

	// JS thread only; idempotent; returns once nothing reads fd any more.
	void Stop()
	{
		if (stopped_)
			return;
		stopped_ = true;
		// Hands the cursor what was delivered, so that the file's next
		// reader (read(), another stream) goes on after it, and hears of
		// what was overwritten since the last batch.
		uint64_t head = 0, lost = 0, config = 0, first = 0;
		ring_.Fetch(&head, &lost, &config, &first, true);
		// And its default wakeup; the file may outlive the stream.
		if (wakeup_ != 1)
			ring_.SetWakeup(1);
		wakeup_ = 1;
		ring_.Unmap();
		uv_close(reinterpret_cast<uv_handle_t *>(&poll_), OnClose);
		uv_close(reinterpret_cast<uv_handle_t *>(&timer_), OnClose);
		Unregister(this);
		// The JS references go now, while the environment surely exists
		// (the close callbacks may run during teardown, or never); but not
		// under the callback that is using them.
		if (!in_callback_)
			ReleaseJs();
	}

	int fd() const { return fd_; }
	napi_env env() const { return env_; }
	// Bytes the kernel waits for before it wakes this stream.
	uint64_t wakeup() const { return wakeup_; }

private:
	bool Flooding() const { return wakeup_ != 1; }

	void ReleaseJs()
	{
		cb_.Reset();
		ctx_.reset();
	}

	// uv_poll_start() on an active handle deletes and re-adds the fd to
	// epoll: two syscalls per batch if called blindly.
	int WaitReadable()
	{
		if (polling_)
			return 0;
		int r = uv_poll_start(&poll_, UV_READABLE, OnPoll);
		polling_ = r == 0;
		return r;
	}

	static void OnTeardown(napi_async_cleanup_hook_handle, void *arg)
	{
		static_cast<Stream *>(arg)->Stop();
	}

	static void OnClose(uv_handle_t *h)
	{
		auto *s = static_cast<Stream *>(h->data);
		if (--s->open_handles_ > 0)
			return;
		if (s->teardown_)
			napi_remove_async_cleanup_hook(s->teardown_);
		s->self_.reset();
	}

	static void OnPoll(uv_poll_t *h, int status, int)
	{
		auto *s = static_cast<Stream *>(h->data);
		if (!s->stopped_)
			s->Pump(status, false);
	}

	static void OnTimer(uv_timer_t *h)
	{
		auto *s = static_cast<Stream *>(h->data);
		if (!s->stopped_)
			s->Pump(0, true);
	}

	// Takes one batch, hands it to JS, then chooses how to wait for the
	// next: at once after a full batch, else for the coalescing window (a
	// flood's, or the usual) or the fd becoming readable. timed: the timer
	// woke the stream, not the fd.
	void Pump(int status, bool timed)
	{
		// Keeps the stream alive if the callback stops it.
		std::shared_ptr<Stream> keep = self_;
		Napi::Env env(env_);
		Napi::HandleScope scope(env);
		Batch b;
		int err = status < 0 ? -status : Take(&b);
		if (err == EPROTO) {
			// The records before the one refused are whole: they are
			// shown, then the stream ends with why, unless handing them
			// over ended it (a count reached).
			int ok = 0;
			if (b.len > 0)
				Deliver(env, ok, b);
			if (ok == 0 && !cb_.IsEmpty())
				Invoke(env, [&] { return Args{ Napi::Error::New(env, b.problem).Value() }; });
		} else if (err || b.len > 0) {
			Deliver(env, err, b);
		}
		if (err)
			Stop(); // an error ends the stream
		if (stopped_) {
			ReleaseJs();
			return;
		}
		int r = Wait(b, timed);
		if (r < 0) {
			Call(env, -r, b);
			Stop();
			ReleaseJs();
		}
	}

	// After batch b: arms what wakes the stream next; 0 or -errno.
	int Wait(const Batch &b, bool timed)
	{
		haul_ += b.len;
		if (b.more) {
			// The rest at once: a flood's wakeup would not fire for it.
			if (Flooding()) {
				uv_timer_start(&timer_, OnTimer, 0, 0);
				return 0;
			}
			return WaitReadable(); // readable already
		}
		size_t haul = haul_;
		haul_ = 0;
		// Only a whole flood window says the flood is over: the fd and the
		// timer can both wake the stream at the end of one.
		bool flood = coalesce_ms_ > 0 && (haul >= kFloodBytes || (Flooding() && !timed));
		if (flood != Flooding()) {
			uint64_t bytes = flood ? ring_.size() / 4 : 1;
			// Refused, the stream waits as it would without a flood.
			if (ring_.SetWakeup(bytes) == 0)
				wakeup_ = bytes;
		}
		if (Flooding()) {
			uv_timer_start(&timer_, OnTimer, std::max(coalesce_ms_, kFloodWindowMs), 0);
			return WaitReadable();
		}
		if (coalesce_ms_ > 0 && haul > 0) {
			uv_poll_stop(&poll_);
			polling_ = false;
			uv_timer_start(&timer_, OnTimer, coalesce_ms_, 0);
			return 0;
		}
		return WaitReadable(); // a no-op when already polling
	}

	// One batch: the records from where this stream is up to the head, at
	// most max_ bytes of them, after a lost record if some were missed.
	// Returns 0 or an errno (EPROTO: b->problem says what).
	int Take(Batch *b)
	{
		uint8_t *records = buf_->data() + kLostSize;
		size_t len = 0;
		uint64_t lost = 0, lost_config = 0, first_lost = 0;
		// Each round ends at the head, or is overwritten while copied; a
		// ring overwritten that fast round after round still yields.
		for (int round = 0; round < 64; round++) {
			uint64_t head = 0, n = 0, config = 0, first = 0;
			// A loss after records this batch holds is the next batch's
			// first record: its lost record goes after them, not before.
			int err = ring_.Fetch(&head, &n, &config, &first, len > 0);
			if (err == EBUSY && len == 0 && lost == 0) {
				// read() holds records it took from the ring: they go first.
				ssize_t r = ReadInto(fd_, records, max_);
				if (r < 0)
					return static_cast<int>(-r);
				size_t at = 0, size;
				b->at = kLostSize;
				while (at < static_cast<size_t>(r) &&
				       (size = WholeRecord(records, at, static_cast<size_t>(r), &b->problem)) != 0) {
					at += size;
					b->count++;
				}
				b->len = at;
				b->more = r > 0;
				if (at == static_cast<size_t>(r))
					return 0;
				if (b->problem.empty())
					b->problem = "batch ends inside a record";
				return EPROTO;
			}
			if (err)
				return err;
			if (n && len > 0) {
				b->more = true;
				break;
			}
			if (n) {
				if (!lost)
					first_lost = first;
				lost += n;
				lost_config += config;
			}
			if (ring_.at(head))
				break;
			// Room for a record of any size, or the batch is full.
			if (len + SYSCALLMON_RECORD_MAX > max_) {
				b->more = true;
				break;
			}
			size_t count = 0;
			ssize_t got = ring_.Copy(head, records + len, max_ - len, &b->more, &count, &b->problem);
			len += static_cast<size_t>(got);
			b->count += count;
			if (b->more || !b->problem.empty())
				break;
		}
		b->at = lost ? 0 : kLostSize;
		b->len = len + (lost ? kLostSize : 0);
		if (lost) {
			LostRecord(buf_->data(), first_lost, lost, lost_config);
			b->count++;
		}
		return b->problem.empty() ? 0 : EPROTO;
	}

	// buf_ stays for the stream's life: a fresh buffer per batch costs page
	// faults on every batch once malloc trims its heap. A batch is a copy of
	// it, or (transient_) a view that keeps it allocated while JS holds one.
	Napi::Value BatchOf(Napi::Env env, const Batch &b)
	{
		uint8_t *data = buf_->data() + b.at;
		if (!transient_)
			return Napi::Buffer<uint8_t>::Copy(env, data, b.len);
		using Hold = std::shared_ptr<std::vector<uint8_t>>;
		return Napi::Buffer<uint8_t>::New(
			env, data, b.len, [](Napi::Env, uint8_t *, Hold *h) { delete h; }, new Hold(buf_));
	}

	using Args = std::vector<napi_value>;

	// Hands a batch (or an error) to JS, or to the NDJSON formatter; a
	// formatter that fails ends the stream with its error, and one that
	// reached its limit ends it once JS has the counts.
	void Deliver(Napi::Env env, int &err, const Batch &b)
	{
		if (err || !ndjson_) {
			Call(env, err, b);
			return;
		}
		std::string problem;
		Counts c;
		err = ndjson_->WriteRecords(CheckedRecords{ buf_->data() + b.at, b.len, b.count }, out_fd_, &c, &problem);
		if (!problem.empty())
			Invoke(env, [&] { return Args{ Napi::Error::New(env, problem).Value() }; });
		else if (err)
			Invoke(env, [&] { return Args{ ErrnoError(env, err, "write").Value() }; });
		else
			Invoke(env, [&] {
				return Args{ env.Null(), Napi::Number::New(env, static_cast<double>(c.read)),
					     Napi::Number::New(env, static_cast<double>(c.shown)),
					     Napi::Number::New(env, static_cast<double>(c.lost)), Napi::Boolean::New(env, c.full) };
			});
		if (!err && problem.empty() && c.full)
			Stop();
	}

	void Call(Napi::Env env, int err, const Batch &b)
	{
		if (err)
			Invoke(env, [&] { return Args{ ErrnoError(env, err, "read").Value(), env.Null() }; });
		else
			Invoke(env, [&] { return Args{ env.Null(), BatchOf(env, b) }; });
	}

	// Calls the JS callback with what make() builds; making the arguments
	// can throw too, and nothing may escape into libuv.
	template <typename Make> void Invoke(Napi::Env env, Make make)
	{
		in_callback_ = true;
		try {
			cb_.MakeCallback(env.Global(), make(), *ctx_);
		} catch (const Napi::Error &e) {
			// No JS frame to throw into: report it as uncaught, as an
			// exception thrown by an EventEmitter listener would be.
			napi_fatal_exception(env, e.Value());
		}
		in_callback_ = false;
	}

	const napi_env env_;
	const int fd_;
	const size_t max_;
	const unsigned coalesce_ms_;
	const bool transient_;
	const std::shared_ptr<NdjsonFormatter> ndjson_;
	const int out_fd_;
	// A possible lost record, then max_ bytes of records.
	const std::shared_ptr<std::vector<uint8_t>> buf_;
	MappedRing ring_;
	Napi::FunctionReference cb_;
	std::unique_ptr<Napi::AsyncContext> ctx_;
	uv_poll_t poll_;
	uv_timer_t timer_;
	int open_handles_ = 2;
	bool polling_ = false;
	uint64_t wakeup_ = 1;
	size_t haul_ = 0; // bytes taken since the stream last waited
	std::shared_ptr<Stream> self_;
	napi_async_cleanup_hook_handle teardown_ = nullptr;
	bool stopped_ = false;
	bool in_callback_ = false;
};

// Streams not yet stopped, by fd: close() must stop them first, and env
// teardown stops its own.
std::mutex registry_lock;
std::multimap<int, std::shared_ptr<Stream>> registry;

void Register(const std::shared_ptr<Stream> &s)
{
	std::lock_guard<std::mutex> g(registry_lock);
	registry.emplace(s->fd(), s);
}

// Returns the registry's reference so the caller drops it outside the lock.
std::shared_ptr<Stream> Unregister(Stream *s)
{
	std::lock_guard<std::mutex> g(registry_lock);
	auto range = registry.equal_range(s->fd());
	for (auto it = range.first; it != range.second; ++it) {
		if (it->second.get() == s) {
			std::shared_ptr<Stream> ref = std::move(it->second);
			registry.erase(it);
			return ref;
		}
	}
	return nullptr;
}

// ----------------------------------------------------------------- exports

// A spurious wake-up must end in EAGAIN, not in a read() that blocks the
// event loop.
void CheckNonblocking(Napi::Env env, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		ThrowErrno(env, errno, "fcntl");
	if (!(fl & O_NONBLOCK))
		throw Napi::TypeError::New(env, "startStream needs an fd opened with nonblock = true");
}

// The JS handle of a started stream: { stop(), wakeup() }.
Napi::Object Handle(Napi::Env env, std::shared_ptr<Stream> s)
{
	auto *keep = new std::shared_ptr<Stream>(std::move(s));
	Napi::Function stop = Napi::Function::New(
		env,
		[](const Napi::CallbackInfo &i) {
			(*static_cast<std::shared_ptr<Stream> *>(i.Data()))->Stop();
		},
		"stop", keep);
	stop.AddFinalizer([](Napi::Env, std::shared_ptr<Stream> *k) { delete k; }, keep);
	// Each function holds the stream: either may outlive the other.
	auto *also = new std::shared_ptr<Stream>(*keep);
	Napi::Function wakeup = Napi::Function::New(
		env,
		[](const Napi::CallbackInfo &i) {
			auto &s = *static_cast<std::shared_ptr<Stream> *>(i.Data());
			return Napi::Number::New(i.Env(), static_cast<double>(s->wakeup()));
		},
		"wakeup", also);
	wakeup.AddFinalizer([](Napi::Env, std::shared_ptr<Stream> *k) { delete k; }, also);
	Napi::Object handle = Napi::Object::New(env);
	handle.Set("stop", stop);
	handle.Set("wakeup", wakeup);
	return handle;
}

// startStream(fd, maxBytes, onBatch, coalesceMs, transient)
Napi::Value StartStream(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	uint32_t max = ArgMaxBytes(info, 1);
	if (info.Length() < 3 || !info[2].IsFunction())
		throw Napi::TypeError::New(env, "onBatch must be a function");
	StreamOptions o{ max, 0, false, nullptr, -1 };
	if (info.Length() > 3 && !info[3].IsUndefined())
		o.coalesce_ms = ArgU32(info, 3, "coalesceMs");
	if (info.Length() > 4 && !info[4].IsUndefined())
		o.transient = ArgBool(info, 4, "transient");
	CheckNonblocking(env, fd);
	return Handle(env, Stream::Start(env, fd, o, info[2].As<Napi::Function>()));
}

// startNdjsonStream(fd, maxBytes, formatter, outFd, onProgress, coalesceMs):
// a stream whose batches the formatter writes to outFd.
Napi::Value StartNdjsonStream(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	uint32_t max = ArgMaxBytes(info, 1);
	if (info.Length() < 3)
		throw Napi::TypeError::New(env, "formatter must come from ndjsonFormatter()");
	StreamOptions o{ max, 0, false, UnwrapFormatter(env, info[2]), ArgFd(info, 3) };
	if (info.Length() < 5 || !info[4].IsFunction())
		throw Napi::TypeError::New(env, "onProgress must be a function");
	if (info.Length() > 5 && !info[5].IsUndefined())
		o.coalesce_ms = ArgU32(info, 5, "coalesceMs");
	CheckNonblocking(env, fd);
	return Handle(env, Stream::Start(env, fd, o, info[4].As<Napi::Function>()));
}

// Each Node environment (main thread, worker) stops only its own streams: a
// uv_poll_t belongs to its loop.
void StopAll(napi_env env)
{
	std::vector<std::shared_ptr<Stream>> all;
	{
		std::lock_guard<std::mutex> g(registry_lock);
		for (auto &e : registry)
			if (e.second->env() == env)
				all.push_back(e.second);
	}
	for (auto &s : all)
		s->Stop();
}

} // namespace

void StopStreamsOnFd(int fd)
{
	std::vector<std::shared_ptr<Stream>> found;
	{
		std::lock_guard<std::mutex> g(registry_lock);
		auto range = registry.equal_range(fd);
		for (auto it = range.first; it != range.second; ++it)
			found.push_back(it->second);
	}
	for (auto &s : found)
		s->Stop();
}

void InitStream(Napi::Env env, Napi::Object exports)
{
	exports.Set("startStream", Napi::Function::New(env, StartStream, "startStream"));
	exports.Set("startNdjsonStream", Napi::Function::New(env, StartNdjsonStream, "startNdjsonStream"));
	// A stream's handles belong to its environment's loop: stop them before
	// the environment (a worker, or the process on exit) goes away.
	env.AddCleanupHook(StopAll, static_cast<napi_env>(env));
}

} // namespace syscallmon
