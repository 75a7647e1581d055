// Streaming batches of whole records from the device to JS.
//
// Two ways that never block the event loop, both kept because
// scripts/bench/stream.mjs compares them (see the measurement above
// InitStream):
//
//  - ThreadStream: a dedicated thread poll()s the device fd together with an
//    eventfd used to stop it, read()s batches and hands them to JS through a
//    ThreadSafeFunction. Calls are NonBlockingCall into an unbounded queue,
//    bounded in practice by credits: at most kMaxInflight batches wait for
//    the JS thread; beyond that the thread stops reading (leaving records in
//    the kernel ring, whose overwrite accounting is the real backpressure)
//    and waits on the eventfd for a credit. So the thread never waits for
//    the JS thread, and stop() (set flag, signal eventfd, join) cannot
//    deadlock.
//  - PollStream: a uv_poll_t on the device fd in Node's own loop; the
//    callback read()s one batch on the JS thread. No thread, no hand-off.
//
// Either way stop() is idempotent, no batch is delivered after it, and
// close(fd) stops the fd's streams first (StopStreamsOnFd).
//
// startStream is PollStream, by measurement (scripts/bench/stream.mjs, host,
// 2 cores, FIFO fed by a child, 416-byte records; 4 runs of 2000-3000):
//   latency p50   thread 18-37 us    uv_poll 9-25 us (better in every run)
//   latency p99   thread 65-600 us   uv_poll 55-310 us, one outlier run
//                 (host noise: both had multi-ms maxima)
//   throughput    thread 0.81/1.04   uv_poll 0.77/1.05 M records/s
//                 (equal: the producer was the limit)
// The thread's hand-off (eventfd/uv_async wake-up of the loop thread) is a
// second context switch per batch that uv_poll does not pay, which matters
// most for the reaction-latency goal (issue 5); reading ahead on another
// core buys nothing when records already wait in the kernel ring.
#include "stream.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <uv.h>

#include "convert.h"
#include "errors.h"
#include "uapi/syscallmon.h"

namespace syscallmon {
namespace {

constexpr size_t kRecordSize = sizeof(struct syscallmon_event);

class Stream {
public:
	Stream(napi_env env, int fd) : env_(env), fd_(fd) {}
	virtual ~Stream() = default;
	// JS thread only; idempotent; returns once nothing reads fd any more.
	virtual void Stop() = 0;
	int fd() const { return fd_; }
	napi_env env() const { return env_; }

protected:
	const napi_env env_;
	const int fd_;
};

// Streams not yet stopped, by fd: close() must stop them first, and env
// teardown must join their threads.
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

struct Batch {
	uint8_t *data; // malloc'd; becomes the JS Buffer's memory
	size_t len;
	int err; // non-zero: the stream ended with this errno
};

// Reads one batch; returns bytes read, 0 when nothing was ready, or -errno.
ssize_t ReadBatch(int fd, size_t max, uint8_t **out)
{
	size_t cap = max * kRecordSize;
	uint8_t *buf = static_cast<uint8_t *>(malloc(cap));
	if (!buf)
		return -ENOMEM;
	ssize_t n;
	do
		n = read(fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		int err = errno;
		free(buf);
		if (n == 0)
			return -ENODATA; // the device never reports EOF
		return err == EAGAIN ? 0 : -err;
	}
	// A short batch would otherwise pin max records of memory until GC.
	if ((size_t)n < cap / 2) {
		uint8_t *shrunk = static_cast<uint8_t *>(realloc(buf, n));
		if (shrunk)
			buf = shrunk;
	}
	*out = buf;
	return n;
}

Napi::Value BatchBuffer(Napi::Env env, Batch *b)
{
	uint8_t *data = b->data;
	b->data = nullptr;
	return Napi::Buffer<uint8_t>::New(env, data, b->len, [](Napi::Env, uint8_t *d) { free(d); });
}

// ------------------------------------------------------------ ThreadStream

class ThreadStream;
void ThreadCallJs(Napi::Env env, Napi::Function cb, ThreadStream *self, Batch *b);
using Tsfn = Napi::TypedThreadSafeFunction<ThreadStream, Batch, ThreadCallJs>;

// Batches queued for, or being handled by, the JS thread before the reader
// stops reading: two lets it read the next batch while JS handles one.
constexpr unsigned kMaxInflight = 2;

class ThreadStream : public Stream {
public:
	ThreadStream(napi_env env, int fd, int wake, size_t max) : Stream(env, fd), wake_(wake), max_(max) {}
	~ThreadStream() override
	{
		if (wake_ >= 0)
			close(wake_);
	}

	static std::shared_ptr<Stream> Start(Napi::Env env, int fd, size_t max, Napi::Function cb)
	{
		int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (wake < 0)
			ThrowErrno(env, errno, "eventfd");
		auto self = std::make_shared<ThreadStream>(env, fd, wake, max);
		// The TSFN's finalizer (after its last queued call) drops this
		// reference, so ThreadCallJs never sees a freed context.
		auto *keep = new std::shared_ptr<ThreadStream>(self);
		self->tsfn_ = Tsfn::New(env, cb, "syscallmon:stream", 0, 1, self.get(),
					[](Napi::Env, std::shared_ptr<ThreadStream> *k, ThreadStream *) { delete k; },
					keep);
		try {
			self->thread_ = std::thread(&ThreadStream::Run, self.get());
		} catch (const std::system_error &e) {
			self->tsfn_.Release();
			ThrowErrno(env, e.code().value(), "pthread_create");
		}
		Register(self);
		return self;
	}

	void Stop() override
	{
		if (stopped_)
			return;
		stopped_ = true;
		stopping_.store(true, std::memory_order_release);
		Wake();
		if (thread_.joinable())
			thread_.join();
		Unregister(this);
	}

private:
	friend void ThreadCallJs(Napi::Env, Napi::Function, ThreadStream *, Batch *);

	void Wake()
	{
		uint64_t one = 1;
		// Only fails when the counter is saturated, i.e. already signalled.
		(void)!write(wake_, &one, sizeof(one));
	}

	void Deliver(Batch *b)
	{
		inflight_.fetch_add(1, std::memory_order_acq_rel);
		if (tsfn_.NonBlockingCall(b) != napi_ok) {
			// napi_closing: the environment is going away.
			free(b->data);
			delete b;
		}
	}

	void Run()
	{
		for (;;) {
			if (stopping_.load(std::memory_order_acquire))
				break;
			bool room = inflight_.load(std::memory_order_acquire) < kMaxInflight;
			struct pollfd p[2] = {
				{ wake_, POLLIN, 0 },
				{ fd_, static_cast<short>(room ? POLLIN : 0), 0 },
			};
			if (poll(p, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				Deliver(new Batch{ nullptr, 0, errno });
				break;
			}
			if (p[0].revents & POLLIN) {
				uint64_t v;
				(void)!read(wake_, &v, sizeof(v));
				continue;
			}
			if (p[1].revents & POLLNVAL) {
				Deliver(new Batch{ nullptr, 0, EBADF });
				break;
			}
			if (!(p[1].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			uint8_t *data = nullptr;
			ssize_t n = ReadBatch(fd_, max_, &data);
			if (n == 0)
				continue;
			if (n < 0) {
				Deliver(new Batch{ nullptr, 0, static_cast<int>(-n) });
				break;
			}
			Deliver(new Batch{ data, static_cast<size_t>(n), 0 });
		}
		tsfn_.Release();
	}

	int wake_;
	const size_t max_;
	std::thread thread_;
	Tsfn tsfn_;
	std::atomic<bool> stopping_{ false };
	std::atomic<unsigned> inflight_{ 0 };
	bool stopped_ = false; // JS thread only
};

void ThreadCallJs(Napi::Env env, Napi::Function cb, ThreadStream *self, Batch *batch)
{
	std::unique_ptr<Batch> b(batch);
	// env is null when the TSFN is torn down with calls still queued.
	if (env == nullptr || self->stopped_) {
		free(b->data);
		return;
	}
	// The credit goes back before JS runs, so the reader reads ahead.
	if (self->inflight_.fetch_sub(1, std::memory_order_acq_rel) == kMaxInflight)
		self->Wake();
	if (b->err)
		cb.Call({ ErrnoError(env, b->err, "read").Value(), env.Null() });
	else
		cb.Call({ env.Null(), BatchBuffer(env, b.get()) });
}

// -------------------------------------------------------------- PollStream

class PollStream : public Stream {
public:
	PollStream(Napi::Env env, int fd, size_t max, Napi::Function cb)
		: Stream(env, fd), max_(max), cb_(Napi::Persistent(cb)),
		  ctx_(std::make_unique<Napi::AsyncContext>(env, "syscallmon:stream"))
	{
	}

	static std::shared_ptr<Stream> Start(Napi::Env env, int fd, size_t max, Napi::Function cb)
	{
		uv_loop_t *loop;
		if (napi_get_uv_event_loop(env, &loop) != napi_ok)
			throw Napi::Error::New(env, "no libuv loop");
		auto self = std::make_shared<PollStream>(env, fd, max, cb);
		int r = uv_poll_init(loop, &self->handle_, fd);
		if (r < 0)
			ThrowErrno(env, -r, "uv_poll_init");
		// From here the handle must be uv_close()d; until its close
		// callback runs it holds a reference to the stream.
		self->handle_.data = self.get();
		self->self_ = self;
		// Node unloads the addon when a worker's environment goes away:
		// the close callback must have run by then, so teardown waits for
		// it through an async cleanup hook (removed in OnClose).
		if (napi_add_async_cleanup_hook(env, OnTeardown, self.get(), &self->teardown_) != napi_ok)
			self->teardown_ = nullptr;
		r = uv_poll_start(&self->handle_, UV_READABLE, OnPoll);
		if (r < 0) {
			self->Stop();
			ThrowErrno(env, -r, "uv_poll_start");
		}
		Register(self);
		return self;
	}

	void Stop() override
	{
		if (stopped_)
			return;
		stopped_ = true;
		uv_poll_stop(&handle_);
		uv_close(reinterpret_cast<uv_handle_t *>(&handle_), OnClose);
		Unregister(this);
		// The JS references go now, while the environment surely exists
		// (the close callback may run during teardown, or never); but not
		// under the callback that is using them.
		if (!in_callback_)
			ReleaseJs();
	}

private:
	void ReleaseJs()
	{
		cb_.Reset();
		ctx_.reset();
	}

	static void OnTeardown(napi_async_cleanup_hook_handle, void *arg)
	{
		static_cast<PollStream *>(arg)->Stop();
	}

	static void OnClose(uv_handle_t *h)
	{
		auto *s = static_cast<PollStream *>(h->data);
		if (s->teardown_)
			napi_remove_async_cleanup_hook(s->teardown_);
		s->self_.reset();
	}

	static void OnPoll(uv_poll_t *h, int status, int)
	{
		auto *s = static_cast<PollStream *>(h->data);
		if (s->stopped_)
			return;
		// Keeps the stream alive if the callback stops it.
		std::shared_ptr<PollStream> keep = s->self_;
		Napi::Env env(s->env_);
		Napi::HandleScope scope(env);
		Batch b{ nullptr, 0, 0 };
		if (status < 0) {
			b.err = -status;
		} else {
			ssize_t n = ReadBatch(s->fd_, s->max_, &b.data);
			if (n == 0)
				return;
			if (n < 0)
				b.err = static_cast<int>(-n);
			else
				b.len = n;
		}
		s->in_callback_ = true;
		try {
			if (b.err)
				s->cb_.MakeCallback(env.Global(), { ErrnoError(env, b.err, "read").Value(), env.Null() }, *s->ctx_);
			else
				s->cb_.MakeCallback(env.Global(), { env.Null(), BatchBuffer(env, &b) }, *s->ctx_);
		} catch (const Napi::Error &e) {
			// No JS frame to throw into: report it as uncaught, as an
			// exception thrown by an EventEmitter listener would be.
			napi_fatal_exception(env, e.Value());
		}
		s->in_callback_ = false;
		if (b.err)
			s->Stop(); // an error ends the stream, as in ThreadStream
		if (s->stopped_)
			s->ReleaseJs();
	}

	const size_t max_;
	Napi::FunctionReference cb_;
	std::unique_ptr<Napi::AsyncContext> ctx_;
	uv_poll_t handle_;
	std::shared_ptr<PollStream> self_;
	napi_async_cleanup_hook_handle teardown_ = nullptr;
	bool stopped_ = false;
	bool in_callback_ = false;
};

// ----------------------------------------------------------------- exports

using Starter = std::shared_ptr<Stream> (*)(Napi::Env, int, size_t, Napi::Function);

template <Starter start>
Napi::Value StartStream(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	int fd = ArgFd(info, 0);
	uint32_t max = ArgU32(info, 1, "maxRecords");
	if (max == 0)
		throw Napi::RangeError::New(env, "maxRecords must be at least 1");
	if (info.Length() < 3 || !info[2].IsFunction())
		throw Napi::TypeError::New(env, "onBatch must be a function");
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		ThrowErrno(env, errno, "fcntl");
	// A spurious wake-up must end in EAGAIN, not in a read() that blocks
	// the reader (or, for PollStream, the event loop).
	if (!(fl & O_NONBLOCK))
		throw Napi::TypeError::New(env, "startStream needs an fd opened with nonblock = true");
	std::shared_ptr<Stream> s = start(env, fd, max, info[2].As<Napi::Function>());

	auto *keep = new std::shared_ptr<Stream>(s);
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
	exports.Set("startStreamThread", Napi::Function::New(env, StartStream<ThreadStream::Start>, "startStreamThread"));
	exports.Set("startStreamPoll", Napi::Function::New(env, StartStream<PollStream::Start>, "startStreamPoll"));
	exports.Set("startStream", exports.Get("startStreamPoll"));
	// Threads must be joined before the environment (a worker, or the
	// process on exit) goes away.
	env.AddCleanupHook(StopAll, static_cast<napi_env>(env));
}

} // namespace syscallmon
