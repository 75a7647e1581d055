// ndjsonFormatter(): the NDJSON formatter (ndjson.cc) as a JS function, with
// the library's errno and syscall names and a selection.
#include "formatter.h"

#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "convert.h"
#include "errors.h"

namespace syscallmon {
namespace {

// { read, shown, lost, full } of one call.
Napi::Object CountsObject(Napi::Env env, const Counts &c)
{
	Napi::Object o = Napi::Object::New(env);
	o.Set("read", Napi::Number::New(env, static_cast<double>(c.read)));
	o.Set("shown", Napi::Number::New(env, static_cast<double>(c.shown)));
	o.Set("lost", Napi::Number::New(env, static_cast<double>(c.lost)));
	o.Set("full", Napi::Boolean::New(env, c.full));
	return o;
}

Napi::Buffer<uint8_t> ArgBatch(const Napi::CallbackInfo &info, size_t i)
{
	if (info.Length() <= i || !info[i].IsBuffer())
		throw Napi::TypeError::New(info.Env(), "batch must be a Buffer");
	return info[i].As<Napi::Buffer<uint8_t>>();
}

// The JS face of one NdjsonFormatter; the function object also carries the
// formatter (napi_wrap) for startNdjsonStream.
class FormatterFunctions {
public:
	explicit FormatterFunctions(std::shared_ptr<NdjsonFormatter> f) : f_(std::move(f)) {}
	const std::shared_ptr<NdjsonFormatter> &formatter() const { return f_; }

	// format(batch): the lines of the batch's selected records, as a new Buffer.
	Napi::Value Format(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		Napi::Buffer<uint8_t> batch = ArgBatch(info, 0);
		size_t n;
		Counts counts;
		std::string problem;
		CheckedRecords records;
		if (!CheckRecords(batch.Data(), batch.Length(), &records, &problem) ||
		    !f_->Format(records, &n, &counts, &problem))
			throw Napi::Error::New(env, problem);
		return Napi::Buffer<char>::Copy(env, f_->scratch(), n);
	}

	// writeTo(fd, batch, tally?): writes the lines of the batch's selected
	// records to fd, all of them, waiting while fd is full as a synchronous
	// stdout would, and counts every record into tally (see Tally). Returns
	// the call's counts.
	Napi::Value WriteTo(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		int fd = ArgFd(info, 0);
		Napi::Buffer<uint8_t> batch = ArgBatch(info, 1);
		Tally tally;
		if (info.Length() > 2 && !info[2].IsUndefined()) {
			if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
			    info[2].As<Napi::Float64Array>().ElementLength() != Tally::kSlots)
				throw Napi::TypeError::New(env, "tally must be a Float64Array of formatter.tallyLayout.slots numbers");
			tally.slots = info[2].As<Napi::Float64Array>().Data();
		}
		Counts counts;
		std::string problem;
		CheckedRecords records;
		int err = CheckRecords(batch.Data(), batch.Length(), &records, &problem) ?
				  f_->WriteRecords(records, fd, &counts, &problem, tally.slots ? &tally : nullptr) :
				  EINVAL;
		if (!problem.empty())
			throw Napi::Error::New(env, problem);
		if (err)
			ThrowErrno(env, err, "write");
		return CountsObject(env, counts);
	}

	// writeLast(fd, held, n): of records already held, the last n selected
	// events (lost records left out), written to fd. Returns the counts.
	Napi::Value WriteLast(const Napi::CallbackInfo &info)
	{
		Napi::Env env = info.Env();
		int fd = ArgFd(info, 0);
		Napi::Buffer<uint8_t> held = ArgBatch(info, 1);
		uint32_t last = ArgU32(info, 2, "n");
		size_t n = 0;
		Counts counts;
		std::string problem;
		bool formatted = f_->FormatLast(held.Data(), held.Length(), last, &n, &counts, &problem);
		int err = f_->WriteScratch(n, fd);
		if (!formatted)
			throw Napi::Error::New(env, problem);
		if (err)
			ThrowErrno(env, err, "write");
		return CountsObject(env, counts);
	}

private:
	std::shared_ptr<NdjsonFormatter> f_;
};

// names[n] is the name of number n; holes (and non-strings) print the
// number, as the library does. what: "errno" or "syscall".
std::vector<std::string> Names(Napi::Env env, Napi::Value v, const std::string &what)
{
	if (!v.IsArray())
		throw Napi::TypeError::New(env, what + "Names must be an array");
	Napi::Array names = v.As<Napi::Array>();
	std::vector<std::string> out(names.Length());
	// To out's size, not the array's length: a getter may grow the array.
	for (uint32_t i = 0; i < out.size(); i++) {
		Napi::Value name = names.Get(i);
		if (!name.IsString())
			continue;
		std::string s = name.As<Napi::String>().Utf8Value();
		// Names go into the line unescaped and within its room: short identifiers only.
		if (s.size() > 64)
			throw Napi::TypeError::New(env, what + " name '" + s + "' is longer than 64 bytes");
		for (char c : s) {
			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
				throw Napi::TypeError::New(env, what + " name '" + s + "' is not an identifier");
		}
		out[i] = std::move(s);
	}
	return out;
}

// { nrs?: number[], pids?: number[], limit?: number }; undefined: everything.
Selection SelectionOf(Napi::Env env, Napi::Value v)
{
	Selection sel;
	if (v.IsUndefined())
		return sel;
	if (!v.IsObject())
		throw Napi::TypeError::New(env, "selection must be an object");
	Napi::Object o = v.As<Napi::Object>();
	if (!o.Get("nrs").IsUndefined())
		for (uint32_t nr : ToU32Array(env, o.Get("nrs"), "selection.nrs"))
			sel.nrs.insert(nr);
	if (!o.Get("pids").IsUndefined())
		for (uint32_t pid : ToU32Array(env, o.Get("pids"), "selection.pids"))
			sel.pids.insert(pid);
	if (!o.Get("limit").IsUndefined())
		sel.limit = PropU32(o, "limit");
	return sel;
}

// ndjsonFormatter(errnoNames, syscallNames, selection?)
Napi::Value MakeFormatter(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	auto arg = [&](size_t i) { return info.Length() > i ? info[i] : env.Undefined(); };
	auto formatter = std::make_shared<NdjsonFormatter>(Names(env, arg(0), "errno"), Names(env, arg(1), "syscall"),
							   SelectionOf(env, arg(2)));
	auto functions = std::make_shared<FormatterFunctions>(formatter);
	Napi::Function format = Napi::Function::New(
		env, [functions](const Napi::CallbackInfo &i) { return functions->Format(i); }, "formatNdjson");
	format.Set("writeTo", Napi::Function::New(
				      env, [functions](const Napi::CallbackInfo &i) { return functions->WriteTo(i); },
				      "writeTo"));
	Napi::Object layout = Napi::Object::New(env);
	layout.Set("rows", Tally::kRows);
	layout.Set("verdictBits", Tally::kVerdictBits);
	layout.Set("exits", static_cast<double>(Tally::kExits));
	layout.Set("configs", static_cast<double>(Tally::kConfigs));
	layout.Set("lostOverwritten", static_cast<double>(Tally::kLostOverwritten));
	layout.Set("lostConfig", static_cast<double>(Tally::kLostConfig));
	layout.Set("noResult", static_cast<double>(Tally::kNoResult));
	layout.Set("slots", static_cast<double>(Tally::kSlots));
	format.Set("tallyLayout", layout);
	format.Set("writeLast", Napi::Function::New(
					env, [functions](const Napi::CallbackInfo &i) { return functions->WriteLast(i); },
					"writeLast"));
	auto *held = new std::shared_ptr<NdjsonFormatter>(functions->formatter());
	napi_status st = napi_wrap(
		env, format, held, [](napi_env, void *p, void *) { delete static_cast<std::shared_ptr<NdjsonFormatter> *>(p); },
		nullptr, nullptr);
	if (st != napi_ok) {
		delete held;
		throw Napi::Error::New(env, "napi_wrap failed");
	}
	return format;
}

} // namespace

std::shared_ptr<NdjsonFormatter> UnwrapFormatter(Napi::Env env, Napi::Value v)
{
	void *p = nullptr;
	if (!v.IsFunction() || napi_unwrap(env, v, &p) != napi_ok || p == nullptr)
		throw Napi::TypeError::New(env, "formatter must come from ndjsonFormatter()");
	return *static_cast<std::shared_ptr<NdjsonFormatter> *>(p);
}

void InitFormatter(Napi::Env env, Napi::Object exports)
{
	exports.Set("ndjsonFormatter", Napi::Function::New(env, MakeFormatter, "ndjsonFormatter"));
}

} // namespace syscallmon
