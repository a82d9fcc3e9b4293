// labelwise native addon: a thin, generic bridge from Node to libtorch.
//
// Why one generic entry point instead of ~100 hand-written wrappers: every ATen operator is
// registered with c10's dispatcher together with its schema. `call(opId, args)` converts the JS
// arguments according to that schema, runs the operator boxed (through the same dispatch keys,
// autograd included, that Python uses) and converts the results back. Typed per-op functions live
// in TypeScript (src/tensor/ops), so a typo is a compile error there while this file stays policy
// free. Everything here catches C++ exceptions and rethrows a JS error carrying the op name.
//
// A single translation unit on purpose: libtorch headers are heavy and each extra .cc costs tens
// of seconds of build time on small machines.

#include <napi.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <array>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <sstream>
#include <string>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------
// Handles
// ---------------------------------------------------------------------------------------------

// One JS handle owns one at::Tensor reference. `dispose` drops the reference early; the N-API
// finaliser is only a safety net for handles the JS side forgot.
struct TensorBox {
  at::Tensor tensor;
  int64_t bytes = 0;
};

struct GeneratorBox {
  at::Generator generator;
};

// Type tags tell tensor handles from generator handles: both are N-API Externals, and reading one
// as the other would reinterpret unrelated memory (a hang or a crash instead of an error).
constexpr napi_type_tag kTensorTag = {0x6c6162656c776973ULL, 0x74656e736f720001ULL};
constexpr napi_type_tag kGeneratorTag = {0x6c6162656c776973ULL, 0x67656e6572610001ULL};

std::atomic<int64_t> g_liveTensors{0};
std::atomic<int64_t> g_liveBytes{0};
std::atomic<int64_t> g_peakBytes{0};

int64_t tensorBytes(const at::Tensor& t) {
  // The bytes this view addresses; views of one storage are each counted, which only makes V8's
  // collector a little more eager.
  return t.defined() ? static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size()) : 0;
}

void releaseBox(Napi::Env env, TensorBox* box) {
  if (!box->tensor.defined()) return;
  box->tensor.reset();
  g_liveTensors--;
  g_liveBytes -= box->bytes;
  if (box->bytes > 0) Napi::MemoryManagement::AdjustExternalMemory(env, -box->bytes);
  box->bytes = 0;
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  auto* box = new TensorBox{std::move(t), 0};
  box->bytes = tensorBytes(box->tensor);
  g_liveTensors++;
  int64_t now = (g_liveBytes += box->bytes);
  int64_t peak = g_peakBytes.load();
  while (now > peak && !g_peakBytes.compare_exchange_weak(peak, now)) {
  }
  if (box->bytes > 0) Napi::MemoryManagement::AdjustExternalMemory(env, box->bytes);
  auto ext = Napi::External<TensorBox>::New(env, box, [](Napi::Env e, TensorBox* b) {
    releaseBox(e, b);
    delete b;
  });
  ext.TypeTag(&kTensorTag);
  return ext;
}

TensorBox* unwrapBox(const Napi::Value& v, const char* what) {
  if (!v.IsExternal() || !v.As<Napi::External<TensorBox>>().CheckTypeTag(&kTensorTag)) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a tensor handle");
  }
  return v.As<Napi::External<TensorBox>>().Data();
}

const at::Tensor& unwrapTensor(const Napi::Value& v, const char* what) {
  TensorBox* box = unwrapBox(v, what);
  if (!box->tensor.defined()) {
    throw Napi::Error::New(v.Env(), std::string(what) + ": tensor was already disposed");
  }
  return box->tensor;
}

Napi::Value wrapGenerator(Napi::Env env, at::Generator g) {
  auto* box = new GeneratorBox{std::move(g)};
  auto ext = Napi::External<GeneratorBox>::New(env, box, [](Napi::Env, GeneratorBox* b) { delete b; });
  ext.TypeTag(&kGeneratorTag);
  return ext;
}

at::Generator& unwrapGenerator(const Napi::Value& v, const char* what) {
  if (!v.IsExternal() || !v.As<Napi::External<GeneratorBox>>().CheckTypeTag(&kGeneratorTag)) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a generator handle");
  }
  return v.As<Napi::External<GeneratorBox>>().Data()->generator;
}

// Runs `body`, turning every C++ exception into a JS error that names the operation.
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, const std::string& op, F&& body) {
  Napi::Env env = info.Env();
  auto fail = [&](const std::string& message) -> Napi::Value {
    Napi::Error err = Napi::Error::New(env, message);
    err.Set("op", Napi::String::New(env, op));
    err.Set("native", Napi::Boolean::New(env, true));
    throw err;
  };
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    return fail(e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("unknown C++ exception");
  }
}

// ---------------------------------------------------------------------------------------------
// Operator registry and argument conversion
// ---------------------------------------------------------------------------------------------

// Operator handles by id. The addon may be loaded by several worker threads at once (grad mode is
// per thread, so training can run off the main event loop): lookups take a lock, and the table is
// a fixed array so a reader never sees it move while another thread appends.
constexpr size_t kMaxOps = 8192;
std::array<std::unique_ptr<c10::OperatorHandle>, kMaxOps> g_ops;
std::atomic<size_t> g_opCount{0};
std::mutex g_opsMutex;
std::unordered_map<std::string, size_t> g_opIds;

const c10::OperatorHandle& opById(Napi::Env env, const Napi::Value& v) {
  const double raw = v.As<Napi::Number>().DoubleValue();
  if (!(raw >= 0) || raw >= static_cast<double>(g_opCount.load())) throw Napi::RangeError::New(env, "unknown operator id");
  return *g_ops[static_cast<size_t>(raw)];
}

[[noreturn]] void badArg(Napi::Env env, const c10::Argument& arg, const std::string& expected,
                         const Napi::Value& got) {
  std::string received = got.IsNull() ? "null" : got.IsUndefined() ? "undefined" : got.IsArray() ? "array" : got.IsExternal() ? "handle" : got.ToString().Utf8Value();
  throw Napi::TypeError::New(env, "argument '" + arg.name() + "' expects " + expected + ", received " + received);
}

int64_t toInt(Napi::Env env, const c10::Argument& arg, const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless = true;
    int64_t i = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) badArg(env, arg, "an integer in the int64 range", v);
    return i;
  }
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  if (!v.IsNumber()) badArg(env, arg, "an integer", v);
  double d = v.As<Napi::Number>().DoubleValue();
  // Range check first: casting a double outside int64 (or NaN) to int64 is undefined behaviour.
  if (!(d >= -9.2233720368547758e18 && d < 9.2233720368547758e18) || d != std::trunc(d)) badArg(env, arg, "an integer", v);
  return static_cast<int64_t>(d);
}

double toDouble(Napi::Env env, const c10::Argument& arg, const Napi::Value& v) {
  if (!v.IsNumber()) badArg(env, arg, "a number", v);
  return v.As<Napi::Number>().DoubleValue();
}

c10::IValue toScalarIValue(Napi::Env env, const c10::Argument& arg, const Napi::Value& v) {
  // JS has one number type: integral values become integer Scalars so that `intTensor + 2` stays
  // integral, as in Python; any fractional value is a double.
  if (v.IsBoolean()) return c10::IValue(v.As<Napi::Boolean>().Value());
  if (v.IsBigInt()) return c10::IValue(toInt(env, arg, v));
  if (!v.IsNumber()) badArg(env, arg, "a number", v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.007199254740992e15) {
    return c10::IValue(static_cast<int64_t>(d));
  }
  return c10::IValue(d);
}

c10::IValue toIValue(Napi::Env env, const c10::Argument& arg, const c10::TypePtr& type, const Napi::Value& v);

c10::IValue toListIValue(Napi::Env env, const c10::Argument& arg, const c10::TypePtr& elem, const Napi::Value& v) {
  using K = c10::TypeKind;
  const auto kind = elem->kind();
  if (!v.IsArray()) {
    // `int[3] stride=1` accepts a single number, repeated N times, as in Python.
    if ((kind == K::IntType || kind == K::SymIntType) && v.IsNumber()) {
      int64_t n = arg.N() ? *arg.N() : 1;
      return c10::IValue(c10::List<int64_t>(std::vector<int64_t>(static_cast<size_t>(n), toInt(env, arg, v))));
    }
    if (kind == K::FloatType && v.IsNumber()) {
      int64_t n = arg.N() ? *arg.N() : 1;
      return c10::IValue(c10::List<double>(std::vector<double>(static_cast<size_t>(n), toDouble(env, arg, v))));
    }
    badArg(env, arg, "an array", v);
  }
  Napi::Array a = v.As<Napi::Array>();
  const uint32_t n = a.Length();
  switch (kind) {
    case K::IntType:
    case K::SymIntType: {
      c10::List<int64_t> out;
      out.reserve(n);
      for (uint32_t i = 0; i < n; i++) out.push_back(toInt(env, arg, a.Get(i)));
      return c10::IValue(out);
    }
    case K::FloatType: {
      c10::List<double> out;
      out.reserve(n);
      for (uint32_t i = 0; i < n; i++) out.push_back(toDouble(env, arg, a.Get(i)));
      return c10::IValue(out);
    }
    case K::BoolType: {
      c10::List<bool> out;
      for (uint32_t i = 0; i < n; i++) out.push_back(a.Get(i).ToBoolean().Value());
      return c10::IValue(out);
    }
    case K::TensorType: {
      c10::List<at::Tensor> out;
      out.reserve(n);
      for (uint32_t i = 0; i < n; i++) out.push_back(unwrapTensor(a.Get(i), arg.name().c_str()));
      return c10::IValue(out);
    }
    case K::OptionalType: {
      c10::List<c10::optional<at::Tensor>> out;
      for (uint32_t i = 0; i < n; i++) {
        Napi::Value e = a.Get(i);
        if (e.IsNull() || e.IsUndefined()) out.push_back(c10::nullopt);
        else out.push_back(unwrapTensor(e, arg.name().c_str()));
      }
      return c10::IValue(out);
    }
    default:
      throw Napi::TypeError::New(env, "argument '" + arg.name() + "': unsupported list type " + elem->str());
  }
}

c10::IValue toIValue(Napi::Env env, const c10::Argument& arg, const c10::TypePtr& type, const Napi::Value& v) {
  using K = c10::TypeKind;
  switch (type->kind()) {
    case K::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return toIValue(env, arg, type->expectRef<c10::OptionalType>().getElementType(), v);
    case K::TensorType:
      return c10::IValue(unwrapTensor(v, arg.name().c_str()));
    case K::IntType:
    case K::SymIntType:
      return c10::IValue(toInt(env, arg, v));
    case K::FloatType:
      return c10::IValue(toDouble(env, arg, v));
    case K::BoolType:
      if (!v.IsBoolean()) badArg(env, arg, "a boolean", v);
      return c10::IValue(v.As<Napi::Boolean>().Value());
    case K::NumberType:
      return toScalarIValue(env, arg, v);
    case K::StringType:
      if (!v.IsString()) badArg(env, arg, "a string", v);
      return c10::IValue(v.As<Napi::String>().Utf8Value());
    case K::DeviceObjType:
      if (!v.IsString()) badArg(env, arg, "a device string such as 'cpu' or 'cuda:0'", v);
      return c10::IValue(c10::Device(v.As<Napi::String>().Utf8Value()));
    case K::GeneratorType:
      return c10::IValue(unwrapGenerator(v, arg.name().c_str()));
    case K::ListType:
      return toListIValue(env, arg, type->expectRef<c10::ListType>().getElementType(), v);
    default:
      throw Napi::TypeError::New(env, "argument '" + arg.name() + "': unsupported type " + type->str());
  }
}

Napi::Value fromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return wrapTensor(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isScalar()) return Napi::Number::New(env, v.toScalar().toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) out.Set(static_cast<uint32_t>(i), wrapTensor(env, list.get(i)));
    return out;
  }
  if (v.isIntList()) {
    auto list = v.toIntList();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(list.get(i))));
    return out;
  }
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    Napi::Array out = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); i++) out.Set(static_cast<uint32_t>(i), fromIValue(env, elems[i]));
    return out;
  }
  throw std::runtime_error("unsupported return type " + v.tagKind());
}

// ---------------------------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------------------------

// opLookup(name, overload) -> id
Napi::Value OpLookup(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  return guarded(info, name, [&]() -> Napi::Value {
    const std::string key = name + "." + overload;
    std::lock_guard<std::mutex> lock(g_opsMutex);
    auto known = g_opIds.find(key);
    if (known != g_opIds.end()) return Napi::Number::New(info.Env(), static_cast<double>(known->second));
    auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
    if (!handle) {
      throw std::runtime_error("no operator named " + name + (overload.empty() ? "" : "." + overload) + " in this libtorch");
    }
    const size_t id = g_opCount.load();
    if (id >= kMaxOps) throw std::runtime_error("operator table full");
    g_ops[id] = std::make_unique<c10::OperatorHandle>(*handle);
    g_opIds.emplace(key, id);
    g_opCount.store(id + 1);
    return Napi::Number::New(info.Env(), static_cast<double>(id));
  });
}

Napi::Value OpSchema(const Napi::CallbackInfo& info) {
  std::ostringstream s;
  s << opById(info.Env(), info[0]).schema();
  return Napi::String::New(info.Env(), s.str());
}

// call(id, args[]) -> result (a handle, null, number, boolean or an array of them)
Napi::Value Call(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const c10::OperatorHandle& op = opById(env, info[0]);
  return guarded(info, op.schema().name(), [&]() -> Napi::Value {
    const c10::FunctionSchema& schema = op.schema();
    const auto& params = schema.arguments();
    Napi::Array args = info[1].As<Napi::Array>();
    const uint32_t given = args.Length();
    if (given > params.size()) {
      throw Napi::TypeError::New(env, "too many arguments: " + std::to_string(given) + " given, schema takes " + std::to_string(params.size()));
    }
    torch::jit::Stack stack;
    stack.reserve(params.size());
    for (size_t i = 0; i < params.size(); i++) {
      const c10::Argument& p = params[i];
      Napi::Value v = i < given ? args.Get(static_cast<uint32_t>(i)) : env.Undefined();
      if (v.IsUndefined()) {
        if (p.default_value()) {
          stack.push_back(*p.default_value());
          continue;
        }
        if (p.type()->kind() == c10::TypeKind::OptionalType) {
          stack.emplace_back();
          continue;
        }
        throw Napi::TypeError::New(env, "missing argument '" + p.name() + "'");
      }
      stack.push_back(toIValue(env, p, p.type(), v));
    }
    op.callBoxed(&stack);
    if (stack.size() == 1) return fromIValue(env, stack[0]);
    Napi::Array out = Napi::Array::New(env, stack.size());
    for (size_t i = 0; i < stack.size(); i++) out.Set(static_cast<uint32_t>(i), fromIValue(env, stack[i]));
    return out;
  });
}

// fromBuffer(typedArray, shape[], scalarType, device) -> handle (a copy; JS memory is not shared)
Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  return guarded(info, "fromBuffer", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
    Napi::Array shapeJs = info[1].As<Napi::Array>();
    auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
    std::string device = info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : "cpu";
    std::vector<int64_t> shape(shapeJs.Length());
    int64_t numel = 1;
    for (uint32_t i = 0; i < shapeJs.Length(); i++) {
      shape[i] = shapeJs.Get(i).As<Napi::Number>().Int64Value();
      numel *= shape[i];
    }
    const size_t itemsize = c10::elementSize(dtype);
    if (static_cast<size_t>(numel) * itemsize != arr.ByteLength()) {
      throw std::runtime_error("buffer holds " + std::to_string(arr.ByteLength()) + " bytes but shape needs " +
                               std::to_string(static_cast<size_t>(numel) * itemsize));
    }
    auto* data = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
    if (numel > 0) std::memcpy(t.data_ptr(), data, arr.ByteLength());
    if (device != "cpu") t = t.to(c10::Device(device));
    return wrapTensor(env, std::move(t));
  });
}

// toBuffer(handle) -> ArrayBuffer with the tensor's elements in row-major order
Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  return guarded(info, "toBuffer", [&]() -> Napi::Value {
    at::Tensor t = unwrapTensor(info[0], "toBuffer").detach().to(at::kCPU).contiguous();
    const size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
    Napi::ArrayBuffer out = Napi::ArrayBuffer::New(info.Env(), bytes);
    if (bytes > 0) std::memcpy(out.Data(), t.data_ptr(), bytes);
    return out;
  });
}

// meta(handle) -> [shape[], scalarType, device]
Napi::Value Meta(const Napi::CallbackInfo& info) {
  return guarded(info, "meta", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const at::Tensor& t = unwrapTensor(info[0], "meta");
    auto sizes = t.sizes();
    Napi::Array shape = Napi::Array::New(env, sizes.size());
    for (size_t i = 0; i < sizes.size(); i++) shape.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(sizes[i])));
    Napi::Array out = Napi::Array::New(env, 3);
    out.Set(0u, shape);
    out.Set(1u, Napi::Number::New(env, static_cast<int>(t.scalar_type())));
    out.Set(2u, Napi::String::New(env, t.device().str()));
    return out;
  });
}

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  TensorBox* box = unwrapBox(info[0], "dispose");
  releaseBox(info.Env(), box);
  return info.Env().Undefined();
}

Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !unwrapBox(info[0], "isDisposed")->tensor.defined());
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("liveTensors", Napi::Number::New(env, static_cast<double>(g_liveTensors.load())));
  o.Set("liveBytes", Napi::Number::New(env, static_cast<double>(g_liveBytes.load())));
  o.Set("peakBytes", Napi::Number::New(env, static_cast<double>(g_peakBytes.load())));
  return o;
}

Napi::Value ResetPeak(const Napi::CallbackInfo& info) {
  g_peakBytes = g_liveBytes.load();
  return info.Env().Undefined();
}

Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "requiresGrad", [&]() -> Napi::Value {
    return Napi::Boolean::New(info.Env(), unwrapTensor(info[0], "requiresGrad").requires_grad());
  });
}

Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "setRequiresGrad", [&]() -> Napi::Value {
    at::Tensor t = unwrapTensor(info[0], "setRequiresGrad");
    t.set_requires_grad(info[1].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
  });
}

Napi::Value Grad(const Napi::CallbackInfo& info) {
  return guarded(info, "grad", [&]() -> Napi::Value {
    return wrapTensor(info.Env(), unwrapTensor(info[0], "grad").grad());
  });
}

Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "setGrad", [&]() -> Napi::Value {
    at::Tensor t = unwrapTensor(info[0], "setGrad");
    if (info[1].IsNull() || info[1].IsUndefined()) t.mutable_grad().reset();
    else t.mutable_grad() = unwrapTensor(info[1], "setGrad");
    return info.Env().Undefined();
  });
}

std::vector<at::Tensor> tensorList(const Napi::Value& v, const char* what) {
  std::vector<at::Tensor> out;
  if (v.IsNull() || v.IsUndefined()) return out;
  Napi::Array a = v.As<Napi::Array>();
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    out.push_back(e.IsNull() ? at::Tensor() : unwrapTensor(e, what));
  }
  return out;
}

// backward(outputs[], gradOutputs[]|null, retainGraph, createGraph)
Napi::Value Backward(const Napi::CallbackInfo& info) {
  return guarded(info, "backward", [&]() -> Napi::Value {
    auto outputs = tensorList(info[0], "backward");
    auto grads = tensorList(info[1], "backward");
    bool retain = info[2].ToBoolean().Value();
    bool create = info[3].ToBoolean().Value();
    torch::autograd::backward(outputs, grads, retain ? c10::optional<bool>(true) : c10::nullopt, create);
    return info.Env().Undefined();
  });
}

// autogradGrad(outputs[], inputs[], gradOutputs[]|null, retainGraph, createGraph, allowUnused) -> handles[]
Napi::Value AutogradGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "grad", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto outputs = tensorList(info[0], "grad");
    auto inputs = tensorList(info[1], "grad");
    auto gradOutputs = tensorList(info[2], "grad");
    bool retain = info[3].ToBoolean().Value();
    bool create = info[4].ToBoolean().Value();
    bool allowUnused = info[5].ToBoolean().Value();
    auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, retain ? c10::optional<bool>(true) : c10::nullopt, create, allowUnused);
    Napi::Array out = Napi::Array::New(env, grads.size());
    for (size_t i = 0; i < grads.size(); i++) out.Set(static_cast<uint32_t>(i), wrapTensor(env, grads[i]));
    return out;
  });
}

Napi::Value GradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  c10::GradMode::set_enabled(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  return guarded(info, "setNumThreads", [&]() -> Napi::Value {
    at::set_num_threads(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  });
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

// manualSeed(seed): seeds the default generator of every device libtorch knows.
Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  return guarded(info, "manualSeed", [&]() -> Napi::Value {
    bool lossless = true;
    uint64_t seed = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    }
    if (at::globalContext().hasCUDA()) {
      for (int64_t i = 0; i < static_cast<int64_t>(torch::cuda::device_count()); i++) {
        auto gen = at::globalContext().defaultGenerator(c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(i)));
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(seed);
      }
    }
    return info.Env().Undefined();
  });
}

// newGenerator(seed) -> a CPU generator handle. Random tensors for other devices are drawn on the
// CPU and moved, so one seed gives the same numbers on every device.
Napi::Value NewGenerator(const Napi::CallbackInfo& info) {
  return guarded(info, "newGenerator", [&]() -> Napi::Value {
    bool lossless = true;
    uint64_t seed = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
    return wrapGenerator(info.Env(), at::make_generator<at::CPUGeneratorImpl>(seed));
  });
}

Napi::Value GeneratorState(const Napi::CallbackInfo& info) {
  return guarded(info, "generatorState", [&]() -> Napi::Value {
    at::Generator& g = unwrapGenerator(info[0], "generatorState");
    std::lock_guard<std::mutex> lock(g.mutex());
    return wrapTensor(info.Env(), g.get_state());
  });
}

Napi::Value SetGeneratorState(const Napi::CallbackInfo& info) {
  return guarded(info, "setGeneratorState", [&]() -> Napi::Value {
    at::Generator& g = unwrapGenerator(info[0], "setGeneratorState");
    const at::Tensor& state = unwrapTensor(info[1], "setGeneratorState");
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(state);
    return info.Env().Undefined();
  });
}

Napi::Value SetDeterministic(const Napi::CallbackInfo& info) {
  return guarded(info, "setDeterministic", [&]() -> Napi::Value {
    bool on = info[0].As<Napi::Boolean>().Value();
    at::globalContext().setDeterministicAlgorithms(on, false);
    at::globalContext().setBenchmarkCuDNN(false);
    at::globalContext().setDeterministicCuDNN(on);
    return info.Env().Undefined();
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  return guarded(info, "info", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
    o.Set("config", Napi::String::New(env, at::show_config()));
    o.Set("parallel", Napi::String::New(env, at::get_parallel_info()));
    o.Set("numThreads", Napi::Number::New(env, at::get_num_threads()));
    o.Set("mkldnn", Napi::Boolean::New(env, at::hasMKLDNN()));
    o.Set("openmp", Napi::Boolean::New(env, at::hasOpenMP()));
    o.Set("cudaAvailable", Napi::Boolean::New(env, torch::cuda::is_available()));
    o.Set("cudaDeviceCount", Napi::Number::New(env, static_cast<double>(torch::cuda::device_count())));
    return o;
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("opLookup", Napi::Function::New(env, OpLookup));
  exports.Set("opSchema", Napi::Function::New(env, OpSchema));
  exports.Set("call", Napi::Function::New(env, Call));
  exports.Set("fromBuffer", Napi::Function::New(env, FromBuffer));
  exports.Set("toBuffer", Napi::Function::New(env, ToBuffer));
  exports.Set("meta", Napi::Function::New(env, Meta));
  exports.Set("dispose", Napi::Function::New(env, Dispose));
  exports.Set("isDisposed", Napi::Function::New(env, IsDisposed));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("resetPeak", Napi::Function::New(env, ResetPeak));
  exports.Set("requiresGrad", Napi::Function::New(env, RequiresGrad));
  exports.Set("setRequiresGrad", Napi::Function::New(env, SetRequiresGrad));
  exports.Set("grad", Napi::Function::New(env, Grad));
  exports.Set("setGrad", Napi::Function::New(env, SetGrad));
  exports.Set("backward", Napi::Function::New(env, Backward));
  exports.Set("autogradGrad", Napi::Function::New(env, AutogradGrad));
  exports.Set("gradEnabled", Napi::Function::New(env, GradEnabled));
  exports.Set("setGradEnabled", Napi::Function::New(env, SetGradEnabled));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("numThreads", Napi::Function::New(env, NumThreads));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed));
  exports.Set("newGenerator", Napi::Function::New(env, NewGenerator));
  exports.Set("generatorState", Napi::Function::New(env, GeneratorState));
  exports.Set("setGeneratorState", Napi::Function::New(env, SetGeneratorState));
  exports.Set("setDeterministic", Napi::Function::New(env, SetDeterministic));
  exports.Set("info", Napi::Function::New(env, Info));
  return exports;
}

}  // namespace

NODE_API_MODULE(labelwise_native, Init)
