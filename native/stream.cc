// Streaming batches of whole records from the device to JS, without
// blocking the event loop and without a thread: a uv_poll_t watches the
// device fd in Node's own loop, and its callback read()s one batch on the JS
// thread. (A reader thread handing batches over through a
// ThreadSafeFunction was measured against it and lost on latency: the
// hand-off is a second context switch per batch; scripts/bench/analysis.md
// has the numbers.) stop() is idempotent, no batch is delivered after it,
// and close(fd) stops the fd's streams first (StopStreamsOnFd).
//
// Coalescing (coalesceMs > 0): after a batch smaller than maxRecords the
// stream waits coalesceMs before it reads again, so a steady stream of
// events costs one wake-up per window instead of one per event (on one CPU
// each wake-up of the reader preempts the traced process: 13 k instructions
// per event, scripts/bench/analysis.md). An idle stream still wakes on its
// first record; a full batch is followed by the next read at once, so a
// flood is never slowed down to one batch per window.
//
// An NDJSON stream hands each batch to a formatter (ndjson.cc) that writes
// the selected records' lines to an fd; JS hears only the counts.
#include "stream.h"

#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <fcntl.h>
#include <unistd.h>
#include <uv.h>

#include "convert.h"
#include "errors.h"
#include "formatter.h"
#include "uapi/syscallmon.h"

namespace syscallmon {
namespace {

constexpr size_t kRecordSize = sizeof(struct syscallmon_event);

struct StreamOptions {
	size_t max; // records per read
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

// ------------------------------------------------------------------ Stream

class Stream {
public:
	Stream(Napi::Env env, int fd, const StreamOptions &o, Napi::Function cb)
		: env_(env), fd_(fd), max_(o.max), coalesce_ms_(o.coalesce_ms), transient_(o.transient),
		  ndjson_(o.ndjson), out_fd_(o.out_fd),
		  buf_(std::make_shared<std::vector<uint8_t>>(o.max * kRecordSize)), cb_(Napi::Persistent(cb)),
		  ctx_(std::make_unique<Napi::AsyncContext>(env, "syscallmon:stream"))
	{
	}

	static std::shared_ptr<Stream> Start(Napi::Env env, int fd, const StreamOptions &o, Napi::Function cb)
	{
		uv_loop_t *loop;
		if (napi_get_uv_event_loop(env, &loop) != napi_ok)
			throw Napi::Error::New(env, "no libuv loop");
		auto self = std::make_shared<Stream>(env, fd, o, cb);
		int r = uv_poll_init(loop, &self->poll_, fd);
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

private:
	// After a read of n > 0 bytes: wait coalesce_ms_ before the next read?
	bool Linger(ssize_t n) const { return coalesce_ms_ > 0 && n > 0 && static_cast<size_t>(n) < max_ * kRecordSize; }

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
			s->Pump(status);
	}

	static void OnTimer(uv_timer_t *h)
	{
		auto *s = static_cast<Stream *>(h->data);
		if (!s->stopped_)
			s->Pump(0);
	}

	// Reads one batch, hands it to JS, then chooses how to wait for the
	// next: the coalescing window, or the fd becoming readable.
	void Pump(int status)
	{
		// Keeps the stream alive if the callback stops it.
		std::shared_ptr<Stream> keep = self_;
		Napi::Env env(env_);
		Napi::HandleScope scope(env);
		int err = 0;
		ssize_t n = 0;
		if (status < 0) {
			err = -status;
		} else {
			n = ReadInto(fd_, buf_->data(), buf_->size());
			if (n < 0)
				err = static_cast<int>(-n);
		}
		if (err || n > 0)
			Deliver(env, err, static_cast<size_t>(n > 0 ? n : 0));
		if (err)
			Stop(); // an error ends the stream
		if (stopped_) {
			ReleaseJs();
			return;
		}
		if (Linger(n)) {
			uv_poll_stop(&poll_);
			polling_ = false;
			uv_timer_start(&timer_, OnTimer, coalesce_ms_, 0);
			return;
		}
		int r = WaitReadable(); // a no-op when already polling
		if (r < 0) {
			Call(env, -r, 0);
			Stop();
			ReleaseJs();
		}
	}

	// buf_ stays for the stream's life: a fresh buffer per read costs page
	// faults on every batch once malloc trims its heap. A batch is a copy of
	// it, or (transient_) a view that keeps it allocated while JS holds one.
	Napi::Value BatchOf(Napi::Env env, size_t len)
	{
		if (!transient_)
			return Napi::Buffer<uint8_t>::Copy(env, buf_->data(), len);
		using Hold = std::shared_ptr<std::vector<uint8_t>>;
		return Napi::Buffer<uint8_t>::New(
			env, buf_->data(), len, [](Napi::Env, uint8_t *, Hold *h) { delete h; }, new Hold(buf_));
	}

	using Args = std::vector<napi_value>;

	// Hands a batch (or a read error) to JS, or to the NDJSON formatter; a
	// formatter that fails ends the stream with its error, and one that
	// reached its limit ends it once JS has the counts.
	void Deliver(Napi::Env env, int &err, size_t len)
	{
		if (err || !ndjson_) {
			Call(env, err, len);
			return;
		}
		std::string problem;
		Counts c;
		err = ndjson_->WriteRecords(buf_->data(), len, out_fd_, &c, &problem);
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

	void Call(Napi::Env env, int err, size_t len)
	{
		if (err)
			Invoke(env, [&] { return Args{ ErrnoError(env, err, "read").Value(), env.Null() }; });
		else
			Invoke(env, [&] { return Args{ env.Null(), BatchOf(env, len) }; });
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
	const std::shared_ptr<std::vector<uint8_t>> buf_;
	Napi::FunctionReference cb_;
	std::unique_ptr<Napi::AsyncContext> ctx_;
	uv_poll_t poll_;
	uv_timer_t timer_;
	int open_handles_ = 2;
	bool polling_ = false;
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

// The JS handle of a started stream: { stop() }.
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
	Napi::Object handle = Napi::Object::New(env);
	handle.Set("stop", stop);
	return handle;
}

// startStream(fd, maxRecords, onBatch, coalesceMs, transient)
Napi::Value StartStream(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	uint32_t max = ArgMaxRecords(info, 1);
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

// startNdjsonStream(fd, maxRecords, formatter, outFd, onProgress, coalesceMs):
// a stream whose batches the formatter writes to outFd.
Napi::Value StartNdjsonStream(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	uint32_t max = ArgMaxRecords(info, 1);
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
