// gnnwb native kernels: CPU kernels that operate in place on the TensorFlow.js wasm heap.
//
// Every function takes the wasm backend's heap (a Uint8Array view of its WebAssembly.Memory)
// and byte offsets of tensors inside it, so no data is copied between JS and C++. The JS side
// (src/engine/native_kernels.ts) registers these as kernels of the 'wasm' backend.
//
// Kernels:
//   sgemm        C[b] = op(A[b]) * op(B[b]) for b in [0, batch), via cblas_sgemm (OpenBLAS
//                threads); op() is an optional transpose, free in BLAS.
//   biasAct      C = act(C + bias) over an [M, N] matrix (bias per column or scalar).
//   gatherRows   out[e, :] = x[idx[e], :]                      (4-byte elements)
//   scatterAdd   out = 0; out[idx[e], :] += d[e, :]            (float32)
//   binary       out = a (+ - * /) b, operands full, row vector, column or scalar (float32)
//   reduceSum    sum (or mean) over the rows or the columns of a matrix (float32)
//   copyBlock    one input of a concat along the last axis (4-byte elements)
//   transpose2d  blocked matrix transpose (4-byte elements)
//   mlpForward / mlpBackward  a whole MLP (parts of a gathered first-layer input, bias,
//                activations, LayerNorm) forward and backward in one call each
//   adamStep     one Adam update of many tensors
//   egnnRadial / egnnRadialGrad / egnnCoord / egnnCoordGrad  the EGNN coordinate path
//                (|x_r − x_s|², and x + 1/deg ⊙ Σ clip((x_r − x_s) φ) + a ⊙ v) and their gradients
//
// Index bounds are checked before any write: a bad index returns its position (>= 0) to JS,
// which turns it into a clear error; -1 means success. Offsets and sizes are checked against
// the heap length (a JS bug would otherwise corrupt memory): a violation throws a RangeError.
#include <node_api.h>
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <type_traits>
#include <vector>

extern "C" void openblas_set_num_threads(int) __attribute__((weak));
extern "C" int openblas_get_num_threads(void) __attribute__((weak));
extern "C" char* openblas_get_config(void) __attribute__((weak));

namespace {

int g_threads = 1;       // threads for the non-BLAS kernels
int g_blasThreads = 1;   // OpenBLAS threads for large products
// Memory-bound kernels split work only above this many elements per thread (a thread start
// costs tens of microseconds, far more on a loaded machine).
const int64_t kMinPerThread = 262144;
// Products below this many multiply-adds run OpenBLAS single-threaded: measured on the shared
// 2-core machine, the EGNN N-body epoch ([2000, 129] x [129, 64] products) took 2.4x the CPU time
// of wasm with 2 BLAS threads and 0.55x with 1 (docs/native.md).
const int64_t kSmallGemm = int64_t(1) << 24;

#define NAPI_CALL(env, call)                                         \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error((env), nullptr, "gnnwb_native: " #call);      \
      return nullptr;                                                \
    }                                                                \
  } while (0)

struct Args {
  napi_env env;
  size_t argc;
  napi_value argv[16];
  bool ok = true;
};

bool getArgs(napi_env env, napi_callback_info info, Args& a, size_t want) {
  a.env = env;
  a.argc = 16;
  if (napi_get_cb_info(env, info, &a.argc, a.argv, nullptr, nullptr) != napi_ok) return false;
  if (a.argc < want) {
    napi_throw_type_error(env, nullptr, "gnnwb_native: too few arguments");
    return false;
  }
  return true;
}

// Heap pointer and length from a typed array (works for ArrayBuffer- and SharedArrayBuffer-
// backed views).
bool getHeap(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  bool isTa = false;
  napi_is_typedarray(env, v, &isTa);
  if (!isTa) {
    napi_throw_type_error(env, nullptr, "gnnwb_native: heap must be a Uint8Array view of the wasm memory");
    return false;
  }
  napi_typedarray_type t;
  size_t length;
  void* p;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, &length, &p, &ab, &off) != napi_ok || t != napi_uint8_array) {
    napi_throw_type_error(env, nullptr, "gnnwb_native: heap must be a Uint8Array");
    return false;
  }
  *data = static_cast<uint8_t*>(p);
  *len = length;
  return true;
}

int64_t i64(napi_env env, napi_value v) {
  int64_t r = 0;
  napi_get_value_int64(env, v, &r);
  return r;
}

double f64(napi_env env, napi_value v) {
  double r = 0;
  napi_get_value_double(env, v, &r);
  return r;
}

bool inHeap(napi_env env, size_t heapLen, int64_t off, int64_t elems, int64_t elemBytes, const char* what) {
  if (off < 0 || elems < 0 || off % 4 != 0 ||
      static_cast<uint64_t>(off) + static_cast<uint64_t>(elems) * static_cast<uint64_t>(elemBytes) > heapLen) {
    char msg[200];
    snprintf(msg, sizeof msg, "gnnwb_native: %s (offset %lld, %lld elements) lies outside the wasm heap (%zu bytes)",
             what, (long long)off, (long long)elems, heapLen);
    napi_throw_range_error(env, nullptr, msg);
    return false;
  }
  return true;
}

napi_value num(napi_env env, double x) {
  napi_value r;
  napi_create_double(env, x, &r);
  return r;
}

// Threads for n items with at least minPerThread items each (at most g_threads). parallelFor
// and the fused MLP split by this count; a split depends only on n and g_threads, never on
// which thread runs a chunk, so results are reproducible.
inline int64_t chunkCount(int64_t n, int64_t minPerThread) {
  return std::min<int64_t>(g_threads, std::max<int64_t>(1, n / std::max<int64_t>(1, minPerThread)));
}

// [begin, end) of chunk k when [0, n) is split into t contiguous chunks.
inline std::pair<int64_t, int64_t> chunkRange(int64_t n, int64_t t, int64_t k) {
  const int64_t c = (n + t - 1) / std::max<int64_t>(1, t);
  const int64_t b = std::min(n, k * c);
  return {b, std::min(n, b + c)};
}

// True on a thread that is running a chunk of a Pool job: nested parallel calls run serially.
thread_local bool t_inPool = false;
// How long a helper spins for the next job before it sleeps (GNNWB_NATIVE_SPIN_US).
int64_t g_spinNs = 300000;
// Set while the fused MLP runs OpenBLAS single-threaded from several pool threads at once
// (gemm() must then not change OpenBLAS's thread count).
std::atomic<int> g_blasPinned{0};

// A fixed set of helper threads that share the chunks of one job at a time with the caller.
// Chunks are claimed one by one (whoever is free takes the next), so a helper that wakes late
// or loses its core to another process (V8's compiler and GC threads, on this 2-core machine)
// only means the caller runs more chunks itself; nothing waits for a helper that has no
// chunk. Which thread runs a chunk never changes a result (chunks write their own outputs).
// Starting a std::thread per parallel loop cost 30-60 us and a wake-up from a sleep ~50 us on
// this VM, while a fused EGNN MLP half takes ~100-400 us: a helper spins for a while
// (g_spinNs, yielding every 64 pauses) after each job before it sleeps on a condition variable.
// The pool is allocated once and never destroyed: helpers may be waiting on its condition
// variable when the process exits (destroying it then hangs the exit).
class Pool {
 public:
  static Pool& get() {
    static Pool* p = new Pool();
    return *p;
  }

  // fn(k) for every k in [0, n), on the caller and up to g_threads - 1 helpers. Nested calls
  // (from inside a chunk) and calls while another JS thread holds the pool run the chunks
  // serially, in order.
  template <class F>
  void run(int64_t n, F& fn) {
    if (n <= 0) return;
    if (n == 1) {
      fn(int64_t(0));
      return;
    }
    if (t_inPool || n > 0xffff || busy_.exchange(true, std::memory_order_acquire)) {
      const bool was = t_inPool;
      t_inPool = true;
      for (int64_t k = 0; k < n; k++) fn(k);
      t_inPool = was;
      return;
    }
    grow(std::min<int64_t>(n, g_threads) - 1);
    ctx_ = &fn;
    call_ = [](void* c, int64_t k) { (*static_cast<F*>(c))(k); };
    done_.store(0, std::memory_order_relaxed);
    const uint64_t g = gen_.load(std::memory_order_relaxed) + 1;
    claim_.store(((g & 0xffffffffu) << 32) | ((uint64_t)n << 16), std::memory_order_relaxed);
    nap_.store(false, std::memory_order_relaxed);
    gen_.store(g, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lk(m_);
      cv_.notify_all();
    }
    t_inPool = true;
    work(g);
    t_inPool = false;
    for (int spins = 0; done_.load(std::memory_order_acquire) != n;) {
      if (++spins < 20000)
        cpuRelax();
      else
        std::this_thread::yield();
    }
    busy_.store(false, std::memory_order_release);
  }

  // Helpers stop spinning and sleep (before OpenBLAS starts its own threads).
  void nap() { nap_.store(true, std::memory_order_relaxed); }

 private:
  static void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
  }

  // Claims and runs chunks of job g until none is left (or the job is another one). The claim
  // word holds the job's generation (high 32 bits), its chunk count (bits 16-31) and the next
  // chunk (bits 0-15), so a claim is checked and taken in one compare-and-swap.
  void work(uint64_t g) {
    const uint64_t tag = g & 0xffffffffu;
    uint64_t c = claim_.load(std::memory_order_acquire);
    for (;;) {
      if ((c >> 32) != tag) return;
      const uint64_t n = (c >> 16) & 0xffffu, k = c & 0xffffu;
      if (k >= n) return;
      if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      // Chunk k of job g is ours: the caller cannot finish job g (and replace ctx_, call_)
      // before it is done.
      call_(ctx_, (int64_t)k);
      done_.fetch_add(1, std::memory_order_acq_rel);
      c = claim_.load(std::memory_order_acquire);
    }
  }

  void grow(int64_t want) {
    while (helpers_ < want && helpers_ < 255) {
      helpers_++;
      const uint64_t seen = gen_.load();
      std::thread([this, seen] { loop(seen); }).detach();
    }
  }

  void loop(uint64_t seen) {
    t_inPool = true;
    for (;;) {
      auto t0 = std::chrono::steady_clock::now();
      for (int64_t it = 0; gen_.load(std::memory_order_acquire) == seen; it++) {
        if (!nap_.load(std::memory_order_relaxed) &&
            ((it & 255) != 0 || std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count() < g_spinNs)) {
          // (a yield now and then: V8's compiler and GC threads may be waiting for this core)
          if ((it & 63) == 63)
            std::this_thread::yield();
          else
            cpuRelax();
          continue;
        }
        std::unique_lock<std::mutex> lk(m_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        cv_.wait(lk, [&] { return gen_.load(std::memory_order_seq_cst) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      }
      seen = gen_.load(std::memory_order_acquire);
      work(seen);
    }
  }

  std::atomic<bool> busy_{false};
  std::atomic<uint64_t> gen_{0};
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> nap_{false};
  int64_t helpers_ = 0;  // changed only by the pool's holder between jobs
  void* ctx_ = nullptr;
  void (*call_)(void*, int64_t) = nullptr;
  std::mutex m_;
  std::condition_variable cv_;
};

// Runs fn(begin, end) over [0, n) split into contiguous chunks on up to g_threads threads.
// Small jobs (below minPerThread items per thread) run on the calling thread.
template <class F>
void parallelFor(int64_t n, int64_t minPerThread, F fn) {
  const int64_t t = chunkCount(n, minPerThread);
  if (t <= 1) {
    fn(int64_t(0), n);
    return;
  }
  auto job = [&](int64_t k) {
    auto [b, e] = chunkRange(n, t, k);
    if (b < e) fn(b, e);
  };
  Pool::get().run(t, job);
}

// sgemm(heap, transA, transB, M, N, K, aOff, bOff, cOff, batch, strideA, strideB, strideC)
// Row-major; strides in elements (0 broadcasts an operand over the batch).
napi_value Sgemm(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 13)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  bool ta = false, tb = false;
  napi_get_value_bool(env, a.argv[1], &ta);
  napi_get_value_bool(env, a.argv[2], &tb);
  int64_t M = i64(env, a.argv[3]), N = i64(env, a.argv[4]), K = i64(env, a.argv[5]);
  int64_t aOff = i64(env, a.argv[6]), bOff = i64(env, a.argv[7]), cOff = i64(env, a.argv[8]);
  int64_t batch = i64(env, a.argv[9]);
  int64_t sA = i64(env, a.argv[10]), sB = i64(env, a.argv[11]), sC = i64(env, a.argv[12]);
  if (M < 0 || N < 0 || K < 0 || batch < 0 || M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: sgemm dimensions out of range");
    return nullptr;
  }
  if (batch == 0 || M == 0 || N == 0) return nullptr;
  int64_t lastA = (batch - 1) * sA + M * K, lastB = (batch - 1) * sB + K * N, lastC = (batch - 1) * sC + M * N;
  if (!inHeap(env, heapLen, aOff, lastA, 4, "sgemm A") || !inHeap(env, heapLen, bOff, lastB, 4, "sgemm B") ||
      !inHeap(env, heapLen, cOff, lastC, 4, "sgemm C"))
    return nullptr;
  float* A = reinterpret_cast<float*>(heap + aOff);
  float* B = reinterpret_cast<float*>(heap + bOff);
  float* C = reinterpret_cast<float*>(heap + cOff);
  const bool small = M * N * K < kSmallGemm;
  if (!small && g_blasThreads > 1) Pool::get().nap();
  if (small && g_blasThreads > 1 && openblas_set_num_threads) openblas_set_num_threads(1);
  for (int64_t b = 0; b < batch; b++) {
    if (K == 0) {
      std::memset(C + b * sC, 0, sizeof(float) * M * N);
      continue;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K,
                1.0f, A + b * sA, ta ? (int)M : (int)K, B + b * sB, tb ? (int)K : (int)N, 0.0f, C + b * sC, (int)N);
  }
  if (small && g_blasThreads > 1 && openblas_set_num_threads) openblas_set_num_threads(g_blasThreads);
  return nullptr;
}

// biasAct(heap, cOff, M, N, biasOff, biasMode, act, alpha)
// biasMode: 0 none, 1 per column [N], 2 scalar. act: 0 linear, 1 relu, 2 leakyrelu(alpha),
// 3 relu6, 4 sigmoid, 5 elu.
napi_value BiasAct(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 8)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  int64_t cOff = i64(env, a.argv[1]), M = i64(env, a.argv[2]), N = i64(env, a.argv[3]);
  int64_t biasOff = i64(env, a.argv[4]), biasMode = i64(env, a.argv[5]), act = i64(env, a.argv[6]);
  float alpha = static_cast<float>(f64(env, a.argv[7]));
  if (!inHeap(env, heapLen, cOff, M * N, 4, "biasAct C")) return nullptr;
  if (biasMode != 0 && !inHeap(env, heapLen, biasOff, biasMode == 1 ? N : 1, 4, "biasAct bias")) return nullptr;
  float* C = reinterpret_cast<float*>(heap + cOff);
  const float* bias = biasMode ? reinterpret_cast<const float*>(heap + biasOff) : nullptr;
  parallelFor(M, std::max<int64_t>(1, kMinPerThread / std::max<int64_t>(1, N)), [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      float* row = C + r * N;
      if (biasMode == 1)
        for (int64_t j = 0; j < N; j++) row[j] += bias[j];
      else if (biasMode == 2)
        for (int64_t j = 0; j < N; j++) row[j] += bias[0];
      switch (act) {
        case 1:
          for (int64_t j = 0; j < N; j++) row[j] = row[j] > 0.f ? row[j] : 0.f;
          break;
        case 2:
          for (int64_t j = 0; j < N; j++) row[j] = row[j] >= 0.f ? row[j] : alpha * row[j];
          break;
        case 3:
          for (int64_t j = 0; j < N; j++) row[j] = std::min(6.f, std::max(0.f, row[j]));
          break;
        case 4:
          for (int64_t j = 0; j < N; j++) row[j] = 1.f / (1.f + std::exp(-row[j]));
          break;
        case 5:
          for (int64_t j = 0; j < N; j++) row[j] = row[j] >= 0.f ? row[j] : std::expm1(row[j]);
          break;
        default:
          break;
      }
    }
  });
  return nullptr;
}

// Returns the first position e with idx[e] outside [0, n), or -1.
int64_t firstBadIndex(const int32_t* idx, int64_t E, int64_t n) {
  for (int64_t e = 0; e < E; e++)
    if (idx[e] < 0 || idx[e] >= n) return e;
  return -1;
}

// gatherRows(heap, xOff, N, F, idxOff, E, outOff) -> -1 or position of a bad index.
// 4-byte elements (float32 or int32): out[e, :] = x[idx[e], :].
napi_value GatherRows(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 7)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  int64_t xOff = i64(env, a.argv[1]), N = i64(env, a.argv[2]), F = i64(env, a.argv[3]);
  int64_t idxOff = i64(env, a.argv[4]), E = i64(env, a.argv[5]), outOff = i64(env, a.argv[6]);
  if (!inHeap(env, heapLen, xOff, N * F, 4, "gather x") || !inHeap(env, heapLen, idxOff, E, 4, "gather indices") ||
      !inHeap(env, heapLen, outOff, E * F, 4, "gather out"))
    return nullptr;
  const int32_t* idx = reinterpret_cast<const int32_t*>(heap + idxOff);
  int64_t bad = firstBadIndex(idx, E, N);
  if (bad >= 0) return num(env, (double)bad);
  const uint32_t* x = reinterpret_cast<const uint32_t*>(heap + xOff);
  uint32_t* out = reinterpret_cast<uint32_t*>(heap + outOff);
  parallelFor(E, std::max<int64_t>(1, kMinPerThread / std::max<int64_t>(1, F)), [=](int64_t e0, int64_t e1) {
    for (int64_t e = e0; e < e1; e++) std::memcpy(out + e * F, x + (int64_t)idx[e] * F, sizeof(uint32_t) * F);
  });
  return num(env, -1);
}

void scatterAddInto(const float* d, int64_t E, int64_t F, const int32_t* idx, int64_t N, float* out);

// scatterAdd(heap, dOff, E, F, idxOff, N, outOff) -> -1 or position of a bad index.
// float32: out[n, :] = sum over e with idx[e] = n of d[e, :]; rows without an index are 0.
// Threads split the feature columns, so no two threads write the same element and the
// summation order (by e) is the same as the sequential one.
napi_value ScatterAdd(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 7)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  int64_t dOff = i64(env, a.argv[1]), E = i64(env, a.argv[2]), F = i64(env, a.argv[3]);
  int64_t idxOff = i64(env, a.argv[4]), N = i64(env, a.argv[5]), outOff = i64(env, a.argv[6]);
  if (!inHeap(env, heapLen, dOff, E * F, 4, "scatter updates") || !inHeap(env, heapLen, idxOff, E, 4, "scatter indices") ||
      !inHeap(env, heapLen, outOff, N * F, 4, "scatter out"))
    return nullptr;
  const int32_t* idx = reinterpret_cast<const int32_t*>(heap + idxOff);
  int64_t bad = firstBadIndex(idx, E, N);
  if (bad >= 0) return num(env, (double)bad);
  const float* d = reinterpret_cast<const float*>(heap + dOff);
  float* out = reinterpret_cast<float*>(heap + outOff);
  scatterAddInto(d, E, F, idx, N, out);
  return num(env, -1);
}

// binary(heap, op, aOff, aMode, bOff, bMode, rows, cols, outOff)
// out[r, c] = a (op) b over an [rows, cols] output (float32). Operand modes: 0 full [rows, cols],
// 1 row vector [cols] (broadcast over rows), 2 column [rows] (broadcast over columns), 3 scalar.
// op: 0 add, 1 sub, 2 mul, 3 div.
template <int OP>
inline float applyOp(float x, float y) {
  if (OP == 0) return x + y;
  if (OP == 1) return x - y;
  if (OP == 2) return x * y;
  return x / y;
}

template <int OP>
void binaryRows(const float* a, int aMode, const float* b, int bMode, int64_t cols, float* out, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    float* o = out + r * cols;
    const float* ar = aMode == 0 ? a + r * cols : a;
    const float* br = bMode == 0 ? b + r * cols : b;
    if ((aMode == 0 || aMode == 1) && (bMode == 0 || bMode == 1)) {
      for (int64_t c = 0; c < cols; c++) o[c] = applyOp<OP>(ar[c], br[c]);
    } else if (aMode == 0 || aMode == 1) {
      const float y = bMode == 2 ? b[r] : b[0];
      for (int64_t c = 0; c < cols; c++) o[c] = applyOp<OP>(ar[c], y);
    } else if (bMode == 0 || bMode == 1) {
      const float x = aMode == 2 ? a[r] : a[0];
      for (int64_t c = 0; c < cols; c++) o[c] = applyOp<OP>(x, br[c]);
    } else {
      const float v = applyOp<OP>(aMode == 2 ? a[r] : a[0], bMode == 2 ? b[r] : b[0]);
      for (int64_t c = 0; c < cols; c++) o[c] = v;
    }
  }
}

int64_t modeElems(int64_t mode, int64_t rows, int64_t cols) {
  return mode == 0 ? rows * cols : mode == 1 ? cols : mode == 2 ? rows : 1;
}

napi_value Binary(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 9)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  int64_t op = i64(env, a.argv[1]), aOff = i64(env, a.argv[2]), aMode = i64(env, a.argv[3]);
  int64_t bOff = i64(env, a.argv[4]), bMode = i64(env, a.argv[5]);
  int64_t rows = i64(env, a.argv[6]), cols = i64(env, a.argv[7]), outOff = i64(env, a.argv[8]);
  if (op < 0 || op > 3 || aMode < 0 || aMode > 3 || bMode < 0 || bMode > 3 || rows < 0 || cols < 0) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: binary: bad op or operand mode");
    return nullptr;
  }
  if (!inHeap(env, heapLen, aOff, modeElems(aMode, rows, cols), 4, "binary a") ||
      !inHeap(env, heapLen, bOff, modeElems(bMode, rows, cols), 4, "binary b") ||
      !inHeap(env, heapLen, outOff, rows * cols, 4, "binary out"))
    return nullptr;
  const float* A = reinterpret_cast<const float*>(heap + aOff);
  const float* B = reinterpret_cast<const float*>(heap + bOff);
  float* O = reinterpret_cast<float*>(heap + outOff);
  int am = (int)aMode, bm = (int)bMode;
  parallelFor(rows, std::max<int64_t>(1, kMinPerThread / std::max<int64_t>(1, cols)), [=](int64_t r0, int64_t r1) {
    switch (op) {
      case 0: binaryRows<0>(A, am, B, bm, cols, O, r0, r1); break;
      case 1: binaryRows<1>(A, am, B, bm, cols, O, r0, r1); break;
      case 2: binaryRows<2>(A, am, B, bm, cols, O, r0, r1); break;
      default: binaryRows<3>(A, am, B, bm, cols, O, r0, r1); break;
    }
  });
  return nullptr;
}

// reduceSum(heap, xOff, rows, cols, axis, scale, outOff): float32 [rows, cols] summed over
// axis 1 (→ [rows]) or axis 0 (→ [cols]), times scale (1/n for a mean). Accumulates in double.
napi_value ReduceSum(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 7)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  int64_t xOff = i64(env, a.argv[1]), rows = i64(env, a.argv[2]), cols = i64(env, a.argv[3]);
  int64_t axis = i64(env, a.argv[4]);
  double scale = f64(env, a.argv[5]);
  int64_t outOff = i64(env, a.argv[6]);
  if (rows < 0 || cols < 0 || (axis != 0 && axis != 1)) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: reduceSum: bad shape or axis");
    return nullptr;
  }
  if (!inHeap(env, heapLen, xOff, rows * cols, 4, "reduceSum x") ||
      !inHeap(env, heapLen, outOff, axis == 1 ? rows : cols, 4, "reduceSum out"))
    return nullptr;
  const float* X = reinterpret_cast<const float*>(heap + xOff);
  float* O = reinterpret_cast<float*>(heap + outOff);
  if (axis == 1) {
    parallelFor(rows, std::max<int64_t>(1, kMinPerThread / std::max<int64_t>(1, cols)), [=](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) {
        const float* x = X + r * cols;
        double s = 0;
        for (int64_t c = 0; c < cols; c++) s += x[c];
        O[r] = static_cast<float>(s * scale);
      }
    });
  } else {
    const int64_t blk = 64;
    int64_t nb = (cols + blk - 1) / blk;
    auto body = [=](int64_t b0, int64_t b1) {
      double acc[blk];
      for (int64_t b = b0; b < b1; b++) {
        int64_t c0 = b * blk, w = std::min(cols, c0 + blk) - c0;
        for (int64_t j = 0; j < w; j++) acc[j] = 0;
        for (int64_t r = 0; r < rows; r++) {
          const float* x = X + r * cols + c0;
          for (int64_t j = 0; j < w; j++) acc[j] += x[j];
        }
        for (int64_t j = 0; j < w; j++) O[c0 + j] = static_cast<float>(acc[j] * scale);
      }
    };
    if (nb >= 2 && rows * cols >= 2 * kMinPerThread) parallelFor(nb, 1, body);
    else body(0, nb);
  }
  return nullptr;
}

// copyBlock(heap, srcOff, rows, cols, dstOff, dstCols, colStart): dst[r, colStart + c] = src[r, c]
// (4-byte elements): one input of a concat along the last axis.
napi_value CopyBlock(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 7)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  int64_t srcOff = i64(env, a.argv[1]), rows = i64(env, a.argv[2]), cols = i64(env, a.argv[3]);
  int64_t dstOff = i64(env, a.argv[4]), dstCols = i64(env, a.argv[5]), colStart = i64(env, a.argv[6]);
  if (rows < 0 || cols < 0 || colStart < 0 || colStart + cols > dstCols) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: copyBlock: bad shape");
    return nullptr;
  }
  if (!inHeap(env, heapLen, srcOff, rows * cols, 4, "copyBlock src") ||
      !inHeap(env, heapLen, dstOff, rows * dstCols, 4, "copyBlock dst"))
    return nullptr;
  const uint32_t* S = reinterpret_cast<const uint32_t*>(heap + srcOff);
  uint32_t* D = reinterpret_cast<uint32_t*>(heap + dstOff);
  parallelFor(rows, std::max<int64_t>(1, kMinPerThread / std::max<int64_t>(1, cols)), [=](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) std::memcpy(D + r * dstCols + colStart, S + r * cols, 4 * cols);
  });
  return nullptr;
}

// transpose2d(heap, xOff, rows, cols, outOff): out[c, r] = x[r, c] (4-byte elements), blocked.
napi_value Transpose2d(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 5)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  int64_t xOff = i64(env, a.argv[1]), rows = i64(env, a.argv[2]), cols = i64(env, a.argv[3]), outOff = i64(env, a.argv[4]);
  if (rows < 0 || cols < 0) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: transpose2d: bad shape");
    return nullptr;
  }
  if (!inHeap(env, heapLen, xOff, rows * cols, 4, "transpose x") || !inHeap(env, heapLen, outOff, rows * cols, 4, "transpose out"))
    return nullptr;
  const uint32_t* X = reinterpret_cast<const uint32_t*>(heap + xOff);
  uint32_t* O = reinterpret_cast<uint32_t*>(heap + outOff);
  const int64_t T = 32;
  int64_t nrb = (rows + T - 1) / T;
  parallelFor(nrb, std::max<int64_t>(1, kMinPerThread / std::max<int64_t>(1, T * cols)), [=](int64_t b0, int64_t b1) {
    for (int64_t rb = b0 * T; rb < std::min(rows, b1 * T); rb += T)
      for (int64_t cb = 0; cb < cols; cb += T)
        for (int64_t r = rb; r < std::min(rows, rb + T); r++)
          for (int64_t c = cb; c < std::min(cols, cb + T); c++) O[c * rows + r] = X[r * cols + c];
  });
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Fused MLP: forward and backward of a whole multi-layer perceptron in one call each
// (src/engine/native_fused.ts). The first layer's input may be given in parts, each optionally
// gathered by an index vector (MeshGraphNets' edge MLP on concat[e, v_s, v_r] without building
// the concat):
//
//   z_0 = Σ_p  gather_p(X_p) · W_0[rows_p] + b_0        (gather_p(X) = X[idx_p] or X)
//   z_l = act(z_{l-1}) · W_l + b_l                        l = 1 … L-1
//   y   = LN(act?(z_{L-1})) · γ + β   (or without LN, or without the last activation)
//
// The forward pass stores every z_l (pre-activation, bias included) in tensors the caller
// allocated on the wasm heap; the backward pass recomputes activations from them. Temporaries
// live in native scratch buffers (outside the 4 GiB wasm heap).
//
// Activations: 0 none, 1 relu, 2 silu, 3 tanh, 4 sigmoid.

struct Scratch {
  std::vector<float> buf;
  float* get(int64_t n) {
    if ((int64_t)buf.size() < n) {
      buf.clear();
      buf.shrink_to_fit();
      buf.resize(n);
    }
    return buf.data();
  }
};
// Per calling thread: Node worker threads that load the addon share its globals.
thread_local Scratch g_scratch[10];

// exp(x) for float32 without a library call, so that loops over it vectorise (std::exp does
// not; a SiLU pass over [2000, 64] took 2 ns per element, 0.2 with this). Cephes' expf:
// x = n·ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r, 2^n through the exponent bits.
// Relative error <= 1e-7 on [-87.3, 88] (measured against double exp); x is clamped to that
// range (beyond it e^x under- or overflows float32 anyway). Branch-free, and compiled with
// -fno-trapping-math (binding.gyp), without which GCC vectorises neither the clamp nor the
// conversions.
inline float expApprox(float x) {
  x = x < 88.0f ? x : 88.0f;
  x = x > -87.3f ? x : -87.3f;
  // floor(x·log2(e) + 1/2) by truncating a positive number
  const int32_t ni = static_cast<int32_t>(x * 1.44269504088896341f + 128.5f) - 128;
  const float n = static_cast<float>(ni);
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.f;
  return p * __builtin_bit_cast(float, (ni + 127) << 23);
}

template <int A>
inline float actF(float z) {
  if (A == 1) return std::max(z, 0.f);
  if (A == 2) return z / (1.f + expApprox(-z));
  if (A == 3) return std::tanh(z);
  if (A == 4) return 1.f / (1.f + expApprox(-z));
  return z;
}

// d act / d z at z.
template <int A>
inline float actD(float z) {
  if (A == 1) return z > 0.f ? 1.f : 0.f;
  if (A == 2) {
    float s = 1.f / (1.f + expApprox(-z));
    return s * (1.f + z * (1.f - s));
  }
  if (A == 3) {
    float t = std::tanh(z);
    return 1.f - t * t;
  }
  if (A == 4) {
    float s = 1.f / (1.f + expApprox(-z));
    return s * (1.f - s);
  }
  return 1.f;
}

// Sum and dot product of a row with 8 independent float accumulators (vectorised; a single
// double accumulator is a serial dependency chain: 10 ms for the LayerNorm of [60000, 128]).
inline float rowSum(const float* __restrict x, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) acc[k] += x[j + k];
  float s = 0;
  for (; j < n; j++) s += x[j];
  return s + ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}
inline float rowDot(const float* __restrict x, const float* __restrict y, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) acc[k] += x[j + k] * y[j + k];
  float s = 0;
  for (; j < n; j++) s += x[j] * y[j];
  return s + ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// Calls f(std::integral_constant<int, A>) for the activation code: the activation is a
// compile-time constant inside the loops (a switch per element measured 10x slower on the
// relu pass over [60000, 128]: not vectorised, a branch per element).
template <class F>
void withAct(int act, F f) {
  switch (act) {
    case 1:
      f(std::integral_constant<int, 1>{});
      break;
    case 2:
      f(std::integral_constant<int, 2>{});
      break;
    case 3:
      f(std::integral_constant<int, 3>{});
      break;
    case 4:
      f(std::integral_constant<int, 4>{});
      break;
    default:
      f(std::integral_constant<int, 0>{});
  }
}

// C = op(A) * op(B) (+ C if accumulate) by hand, for products with a dimension of at most 4:
// an MLP's narrow input part (EGNN: the radial and edge attributes, width 3) or its 1-wide
// output (EGNN's coordinate and velocity heads). OpenBLAS took 52 us for the two products of
// a [1000, 3] part's backward pass, these loops ~5 (they vectorise over the long dimension).
// Returns false for the one form not covered (both transposed).
bool thinGemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
              bool accumulate, float* C, int64_t ldc) {
  if (ta && tb) return false;
  if (!accumulate)
    for (int64_t i = 0; i < M; i++) std::memset(C + i * ldc, 0, sizeof(float) * N);
  if (!ta && !tb) {
    if (N == 1) {  // C[i] += A[i, :] · B[:, 0]
      for (int64_t i = 0; i < M; i++) {
        const float* __restrict a = A + i * lda;
        float s = 0.f;
        if (ldb == 1)
          s = rowDot(a, B, K);
        else
          for (int64_t k = 0; k < K; k++) s += a[k] * B[k * ldb];
        C[i * ldc] += s;
      }
    } else {  // C[i, :] += A[i, k] B[k, :]
      for (int64_t i = 0; i < M; i++) {
        float* __restrict c = C + i * ldc;
        for (int64_t k = 0; k < K; k++) {
          const float av = A[i * lda + k];
          const float* __restrict b = B + k * ldb;
          for (int64_t j = 0; j < N; j++) c[j] += av * b[j];
        }
      }
    }
  } else if (ta) {  // op(A)[i, k] = A[k, i]
    for (int64_t k = 0; k < K; k++) {
      const float* __restrict a = A + k * lda;
      const float* __restrict b = B + k * ldb;
      if (N == 1 && ldc == 1) {  // C[:, 0] += A[k, :] B[k, 0]
        const float bv = b[0];
        float* __restrict c = C;
        for (int64_t i = 0; i < M; i++) c[i] += a[i] * bv;
      } else {  // C[i, :] += A[k, i] B[k, :]
        for (int64_t i = 0; i < M; i++) {
          const float av = a[i];
          float* __restrict c = C + i * ldc;
          for (int64_t j = 0; j < N; j++) c[j] += av * b[j];
        }
      }
    }
  } else {  // op(B)[k, j] = B[j, k]
    for (int64_t i = 0; i < M; i++) {
      const float* __restrict a = A + i * lda;
      float* __restrict c = C + i * ldc;
      if (K <= 4) {  // C[i, :] += A[i, k] B[:, k]ᵀ
        for (int64_t k = 0; k < K; k++) {
          const float av = a[k];
          if (ldb == 1) {
            const float* __restrict b = B;
            for (int64_t j = 0; j < N; j++) c[j] += av * b[j];
          } else {
            for (int64_t j = 0; j < N; j++) c[j] += av * B[j * ldb + k];
          }
        }
      } else {  // C[i, j] += A[i, :] · B[j, :]
        for (int64_t j = 0; j < N; j++) c[j] += rowDot(a, B + j * ldb, K);
      }
    }
  }
  return true;
}

// C = op(A) * op(B) (+ C if accumulate), row-major with leading dimensions; OpenBLAS threads
// only for large products (see kSmallGemm).
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
          bool accumulate, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; i++) std::memset(C + i * ldc, 0, sizeof(float) * N);
    return;
  }
  if (std::min(M, std::min(N, K)) <= 4 && thinGemm(ta, tb, M, N, K, A, lda, B, ldb, accumulate, C, ldc)) return;
  // (pinned: the fused MLP runs products on several pool threads, OpenBLAS single-threaded)
  const bool pinned = g_blasPinned.load(std::memory_order_relaxed) > 0;
  const bool small = M * N * K < kSmallGemm;
  const bool toggle = !pinned && small && g_blasThreads > 1 && openblas_set_num_threads;
  if (!pinned && !small && g_blasThreads > 1) Pool::get().nap();
  if (toggle) openblas_set_num_threads(1);
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, 1.0f,
              A, (int)lda, B, (int)ldb, accumulate ? 1.0f : 0.0f, C, (int)ldc);
  if (toggle) openblas_set_num_threads(g_blasThreads);
}

// out[N, F] = Σ_{e: idx[e] = n} d[e, :] (threads split column blocks, summation order by e).
void scatterAddInto(const float* d, int64_t E, int64_t F, const int32_t* idx, int64_t N, float* out) {
  const int64_t blk = 16;
  int64_t nb = (F + blk - 1) / blk;
  int64_t nthreads = chunkCount(E * F, kMinPerThread);
  auto body = [=](int64_t b0, int64_t b1) {
    int64_t c0 = b0 * blk, c1 = std::min(F, b1 * blk), w = c1 - c0;
    if (w <= 0) return;
    for (int64_t n = 0; n < N; n++) std::memset(out + n * F + c0, 0, sizeof(float) * w);
    for (int64_t e = 0; e < E; e++) {
      const float* src = d + e * F + c0;
      float* dst = out + (int64_t)idx[e] * F + c0;
      for (int64_t j = 0; j < w; j++) dst[j] += src[j];
    }
  };
  if (nthreads <= 1 || nb < 2)
    body(0, nb);
  else
    parallelFor(nb, 1, body);
}

struct MlpPart {
  float* x;
  int64_t rows, width, rowStart;
  const int32_t* idx;  // null: not gathered
  float* dx;           // backward only (null: no gradient wanted)
};
struct MlpLayer {
  float* w;
  int64_t in, out;
  float* b;  // null: no bias
  float* z;
  float* dw;  // backward only
  float* db;  // backward only
};
struct MlpPlan {
  int64_t R = 0;
  int act = 0;
  bool activateLast = false, ln = false;
  float eps = 1e-5f;
  float *gamma = nullptr, *beta = nullptr, *y = nullptr, *dy = nullptr, *dgamma = nullptr, *dbeta = nullptr;
  std::vector<MlpPart> parts;
  std::vector<MlpLayer> layers;
};

// A Float64Array argument (the fused kernels' descriptors): its data and length, or false with
// a TypeError pending.
bool getF64(napi_env env, napi_value v, const char* what, const double** data, size_t* len) {
  bool isTa = false;
  napi_is_typedarray(env, v, &isTa);
  napi_typedarray_type t;
  void* p = nullptr;
  napi_value ab;
  size_t off;
  if (!isTa || napi_get_typedarray_info(env, v, &t, len, &p, &ab, &off) != napi_ok || t != napi_float64_array) {
    char msg[160];
    snprintf(msg, sizeof msg, "gnnwb_native: %s must be a Float64Array", what);
    napi_throw_type_error(env, nullptr, msg);
    return false;
  }
  *data = static_cast<const double*>(p);
  return true;
}

// Reads a plan from a Float64Array descriptor (layout in native_fused.ts) and checks every
// tensor against the heap. Returns false (with a JS exception pending) on a bad descriptor.
bool readPlan(napi_env env, napi_value descV, uint8_t* heap, size_t heapLen, bool backward, MlpPlan& p) {
  size_t n = 0;
  const double* d = nullptr;
  if (!getF64(env, descV, "fused MLP descriptor", &d, &n)) return false;
  size_t k = 0;
  auto next = [&](double& v) {
    if (k >= n) return false;
    v = d[k++];
    return true;
  };
  double R, P, L, act, actLast, ln, eps, gOff, bOff, yOff, dyOff = -1, dgOff = -1, dbOff = -1;
  if (!next(R) || !next(P) || !next(L) || !next(act) || !next(actLast) || !next(ln) || !next(eps) || !next(gOff) ||
      !next(bOff) || !next(yOff) || (backward && (!next(dyOff) || !next(dgOff) || !next(dbOff)))) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: fused MLP descriptor too short");
    return false;
  }
  p.R = (int64_t)R;
  p.act = (int)act;
  p.activateLast = actLast != 0;
  p.ln = ln != 0;
  p.eps = (float)eps;
  if (p.R < 0 || P < 1 || L < 1 || p.act < 0 || p.act > 4) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: fused MLP descriptor has bad sizes");
    return false;
  }
  std::vector<double> partv, layerv;
  const int partFields = backward ? 6 : 5, layerFields = backward ? 7 : 5;
  for (int i = 0; i < (int)P * partFields; i++) {
    double v;
    if (!next(v)) {
      napi_throw_range_error(env, nullptr, "gnnwb_native: fused MLP descriptor too short (parts)");
      return false;
    }
    partv.push_back(v);
  }
  for (int i = 0; i < (int)L * layerFields; i++) {
    double v;
    if (!next(v)) {
      napi_throw_range_error(env, nullptr, "gnnwb_native: fused MLP descriptor too short (layers)");
      return false;
    }
    layerv.push_back(v);
  }
  auto ptr = [&](double off, int64_t elems, const char* what, float** out) {
    if (off < 0) {
      *out = nullptr;
      return true;
    }
    if (!inHeap(env, heapLen, (int64_t)off, elems, 4, what)) return false;
    *out = reinterpret_cast<float*>(heap + (int64_t)off);
    return true;
  };
  for (int l = 0; l < (int)L; l++) {
    const double* f = &layerv[l * layerFields];
    MlpLayer ly;
    ly.in = (int64_t)f[1];
    ly.out = (int64_t)f[2];
    ly.dw = ly.db = nullptr;
    if (ly.in < 1 || ly.out < 1 || (l > 0 && ly.in != p.layers[l - 1].out)) {
      napi_throw_range_error(env, nullptr, "gnnwb_native: fused MLP layer widths do not chain");
      return false;
    }
    if (!ptr(f[0], ly.in * ly.out, "fused MLP weight", &ly.w) || !ptr(f[3], ly.out, "fused MLP bias", &ly.b) ||
        !ptr(f[4], p.R * ly.out, "fused MLP pre-activation", &ly.z))
      return false;
    if (!ly.w || !ly.z) {
      napi_throw_range_error(env, nullptr, "gnnwb_native: fused MLP layer without weight or output");
      return false;
    }
    if (backward && (!ptr(f[5], ly.in * ly.out, "fused MLP weight gradient", &ly.dw) ||
                     !ptr(f[6], ly.out, "fused MLP bias gradient", &ly.db)))
      return false;
    p.layers.push_back(ly);
  }
  const int64_t H = p.layers[0].out, Dout = p.layers.back().out;
  int64_t covered = 0;
  for (int i = 0; i < (int)P; i++) {
    const double* f = &partv[i * partFields];
    MlpPart pt;
    pt.rows = (int64_t)f[1];
    pt.width = (int64_t)f[2];
    pt.rowStart = (int64_t)f[4];
    pt.dx = nullptr;
    if (pt.width < 1 || pt.rowStart != covered || pt.rows < 0) {
      napi_throw_range_error(env, nullptr, "gnnwb_native: fused MLP parts must cover the first layer's rows in order");
      return false;
    }
    covered += pt.width;
    if (!ptr(f[0], pt.rows * pt.width, "fused MLP input", &pt.x)) return false;
    float* idx = nullptr;
    if (!ptr(f[3], p.R, "fused MLP indices", &idx)) return false;
    pt.idx = reinterpret_cast<const int32_t*>(idx);
    if (!pt.idx && pt.rows != p.R) {
      napi_throw_range_error(env, nullptr, "gnnwb_native: an ungathered fused MLP input must have one row per output row");
      return false;
    }
    if (backward) {
      if (!ptr(f[5], pt.rows * pt.width, "fused MLP input gradient", &pt.dx)) return false;
    }
    if (!pt.x && pt.rows * pt.width > 0) {
      napi_throw_range_error(env, nullptr, "gnnwb_native: fused MLP input missing");
      return false;
    }
    p.parts.push_back(pt);
  }
  if (covered != p.layers[0].in) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: fused MLP parts' widths do not sum to the first layer's input width");
    return false;
  }
  (void)H;
  if (!ptr(gOff, Dout, "fused MLP LayerNorm scale", &p.gamma) || !ptr(bOff, Dout, "fused MLP LayerNorm offset", &p.beta) ||
      !ptr(yOff, p.R * Dout, "fused MLP output", &p.y))
    return false;
  if (backward && (!ptr(dyOff, p.R * Dout, "fused MLP output gradient", &p.dy) ||
                   !ptr(dgOff, Dout, "fused MLP scale gradient", &p.dgamma) ||
                   !ptr(dbOff, Dout, "fused MLP offset gradient", &p.dbeta)))
    return false;
  if (backward && !p.dy) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: fused MLP backward without an output gradient");
    return false;
  }
  return true;
}

// Returns -1, or part * 2^32 + position of the first out-of-range index.
double checkPartIndices(const MlpPlan& p) {
  for (size_t i = 0; i < p.parts.size(); i++) {
    const MlpPart& pt = p.parts[i];
    if (!pt.idx) continue;
    int64_t bad = firstBadIndex(pt.idx, p.R, pt.rows);
    if (bad >= 0) return (double)i * 4294967296.0 + (double)bad;
  }
  return -1;
}

// Row chunks of a fused MLP: one per thread when each gets at least kMlpMinRows rows. Every
// chunk runs the whole layer chain on its rows with single-threaded OpenBLAS, so a forward
// pass synchronises once (twice with gathered parts) instead of once per product; the
// [2000, 64] x [64, 64] products of the EGNN N-body model ran at ~110 GFLOP/s on one core
// and gained nothing from OpenBLAS's own threads (docs/native.md).
const int64_t kMlpMinRows = 64;
inline int64_t mlpChunks(int64_t R) { return chunkCount(R, kMlpMinRows); }

// OpenBLAS single-threaded while pool threads call it (restored on scope exit).
struct BlasPinned {
  bool set = false;
  BlasPinned() {
    g_blasPinned.fetch_add(1);
    if (g_blasThreads > 1 && openblas_set_num_threads) {
      openblas_set_num_threads(1);
      set = true;
    }
  }
  ~BlasPinned() {
    if (set) openblas_set_num_threads(g_blasThreads);
    g_blasPinned.fetch_sub(1);
  }
};

// mlpForward(heap, desc) -> -1 or part * 2^32 + position of a bad index.
napi_value MlpForward(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 2)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  MlpPlan p;
  if (!readPlan(env, a.argv[1], heap, heapLen, false, p)) return nullptr;
  double bad = checkPartIndices(p);
  if (bad >= 0) return num(env, bad);
  const int64_t R = p.R, L = (int64_t)p.layers.size();
  if (R == 0) return num(env, -1);
  const MlpLayer& l0 = p.layers[0];
  const int64_t H = l0.out;
  int64_t maxW = 1;
  for (auto& ly : p.layers) maxW = std::max(maxW, ly.out);
  const int64_t T = mlpChunks(R);
  BlasPinned pin;
  // Gathered parts are projected on their own rows first (X_p · W_0[rows_p], [rows_p, H]) and
  // the projections gathered: rows_p < R for node inputs of an edge MLP.
  std::vector<float*> proj(p.parts.size(), nullptr);
  int scratchNext = 2;
  bool anyGathered = false;
  for (size_t i = 0; i < p.parts.size(); i++) {
    if (!p.parts[i].idx) continue;
    if (scratchNext >= 8) {
      napi_throw_range_error(env, nullptr, "gnnwb_native: a fused MLP takes at most 6 gathered input parts");
      return nullptr;
    }
    proj[i] = g_scratch[scratchNext++].get(std::max<int64_t>(1, p.parts[i].rows * H));
    anyGathered = true;
  }
  if (anyGathered) {
    auto project = [&](int64_t k) {
      for (size_t i = 0; i < p.parts.size(); i++) {
        const MlpPart& pt = p.parts[i];
        if (!pt.idx) continue;
        auto [b, e] = chunkRange(pt.rows, T, k);
        gemm(false, false, e - b, H, pt.width, pt.x + b * pt.width, pt.width, l0.w + pt.rowStart * H, H, false,
             proj[i] + b * H, H);
      }
    };
    Pool::get().run(T, project);
  }
  // Hidden activations: chunk k uses rows [r0 * maxW, r1 * maxW) of each buffer with the
  // layer's own row stride, so chunks never overlap whatever the widths.
  float* hbuf0 = g_scratch[0].get(R * maxW);
  float* hbuf1 = g_scratch[1].get(R * maxW);
  withAct(p.act, [&](auto A_) {
    constexpr int A = decltype(A_)::value;
    auto rows = [&](int64_t k) {
      auto [r0, r1] = chunkRange(R, T, k);
      const int64_t n = r1 - r0;
      if (n <= 0) return;
      float* hb[2] = {hbuf0 + r0 * maxW, hbuf1 + r0 * maxW};
      // z_0 = ungathered parts · W_0 rows + gathered projections + b_0
      bool haveZ = false;
      for (const MlpPart& pt : p.parts) {
        if (pt.idx) continue;
        gemm(false, false, n, H, pt.width, pt.x + r0 * pt.width, pt.width, l0.w + pt.rowStart * H, H, haveZ, l0.z + r0 * H, H);
        haveZ = true;
      }
      const bool lastIsFirst = L == 1;
      for (int64_t r = r0; r < r1; r++) {
        float* __restrict z = l0.z + r * H;
        if (!haveZ) std::memset(z, 0, sizeof(float) * H);
        for (size_t i = 0; i < p.parts.size(); i++) {
          if (!proj[i]) continue;
          const float* __restrict src = proj[i] + (int64_t)p.parts[i].idx[r] * H;
          for (int64_t j = 0; j < H; j++) z[j] += src[j];
        }
        if (l0.b) {
          const float* __restrict b = l0.b;
          for (int64_t j = 0; j < H; j++) z[j] += b[j];
        }
        if (!lastIsFirst) {
          float* __restrict hr = hb[0] + (r - r0) * H;
          for (int64_t j = 0; j < H; j++) hr[j] = actF<A>(z[j]);
        } else if (p.activateLast && !p.ln && p.y != l0.z) {
          float* __restrict yr = p.y + r * H;
          for (int64_t j = 0; j < H; j++) yr[j] = actF<A>(z[j]);
        }
      }
      // z_l = act(z_{l-1}) · W_l + b_l
      for (int64_t l = 1; l < L; l++) {
        const MlpLayer& ly = p.layers[l];
        const int64_t out = ly.out;
        const float* h = hb[(l - 1) % 2];
        float* hNext = hb[l % 2];
        gemm(false, false, n, out, ly.in, h, ly.in, ly.w, out, false, ly.z + r0 * out, out);
        const bool last = l == L - 1;
        for (int64_t r = r0; r < r1; r++) {
          float* __restrict z = ly.z + r * out;
          if (ly.b) {
            const float* __restrict b = ly.b;
            for (int64_t j = 0; j < out; j++) z[j] += b[j];
          }
          if (!last) {
            float* __restrict hr = hNext + (r - r0) * out;
            for (int64_t j = 0; j < out; j++) hr[j] = actF<A>(z[j]);
          } else if (!p.ln && p.activateLast) {
            float* __restrict yr = p.y + r * out;
            for (int64_t j = 0; j < out; j++) yr[j] = actF<A>(z[j]);
          }
        }
      }
      if (p.ln) {
        const MlpLayer& last = p.layers.back();
        const int64_t D = last.out;
        std::vector<float> vbuf(D);
        float* __restrict v = vbuf.data();
        for (int64_t r = r0; r < r1; r++) {
          const float* __restrict z = last.z + r * D;
          if (p.activateLast)
            for (int64_t j = 0; j < D; j++) v[j] = actF<A>(z[j]);
          else
            std::memcpy(v, z, sizeof(float) * D);
          const float mean = rowSum(v, D) / (float)D;
          for (int64_t j = 0; j < D; j++) v[j] -= mean;
          const float rstd = 1.f / std::sqrt(rowDot(v, v, D) / (float)D + p.eps);
          float* __restrict y = p.y + r * D;
          const float* __restrict ga = p.gamma;
          const float* __restrict be = p.beta;
          for (int64_t j = 0; j < D; j++) {
            const float xh = v[j] * rstd;
            y[j] = (ga ? xh * ga[j] : xh) + (be ? be[j] : 0.f);
          }
        }
      }
    };
    Pool::get().run(T, rows);
  });
  return num(env, -1);
}

// Column sums of per-chunk partials, reduced in chunk order (reproducible).
struct ColAcc {
  std::vector<double> acc;  // [chunks, F]
  int64_t F;
  ColAcc(int64_t chunks, int64_t f) : acc(chunks * f, 0.0), F(f) {}
  double* row(int64_t c) { return acc.data() + c * F; }
  void store(int64_t chunks, float* out) {
    for (int64_t j = 0; j < F; j++) {
      double s = 0;
      for (int64_t c = 0; c < chunks; c++) s += acc[c * F + j];
      out[j] = (float)s;
    }
  }
};

// Float partial column sums over blocks of 64 rows, flushed into a chunk's doubles (a double
// accumulator per element is a serial dependency chain; float over all rows loses digits).
struct ColSum {
  std::vector<float> f;
  double* d;
  int64_t F, count = 0;
  ColSum(double* dst, int64_t width) : f(width, 0.f), d(dst), F(width) {}
  void add(const float* __restrict x) {
    float* __restrict a = f.data();
    for (int64_t j = 0; j < F; j++) a[j] += x[j];
    if (++count % 64 == 0) flush();
  }
  void flush() {
    float* __restrict a = f.data();
    for (int64_t j = 0; j < F; j++) {
      d[j] += a[j];
      a[j] = 0.f;
    }
  }
};

// mlpBackward(heap, desc) -> -1 or part * 2^32 + position of a bad index.
// Writes dX for every part with a gradient slot, dW and db of every layer, dγ, dβ.
//
// Phase 1, per row chunk: the output gradient, then down the layers dW (chunk partials),
// the back-propagated gradient and db (chunk partials), and for ungathered first-layer parts
// dW rows (partials) and dX rows. Partials are summed in chunk order. Phase 2, per column
// block: the layer-0 gradient of each gathered part scattered onto its input rows (G_p) and
// dW_p = X_pᵀ G_p. Phase 3, per input-row chunk: dX_p = G_p W_pᵀ.
napi_value MlpBackward(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 2)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  MlpPlan p;
  if (!readPlan(env, a.argv[1], heap, heapLen, true, p)) return nullptr;
  double bad = checkPartIndices(p);
  if (bad >= 0) return num(env, bad);
  const int64_t R = p.R, L = (int64_t)p.layers.size();
  const MlpLayer& last = p.layers.back();
  const MlpLayer& l0 = p.layers[0];
  const int64_t D = last.out, H = l0.out;
  int64_t maxW = 1;
  for (auto& ly : p.layers) maxW = std::max(maxW, std::max(ly.in, ly.out));
  const int64_t T = mlpChunks(R);
  BlasPinned pin;
  // Which parts accumulate into their dX (an input used by several parts): the ungathered
  // parts write first (phase 1), then the gathered ones (phase 3), each in part order.
  const size_t P = p.parts.size();
  std::vector<bool> accum(P, false);
  {
    std::vector<float*> written;
    for (int pass = 0; pass < 2; pass++)
      for (size_t i = 0; i < P; i++) {
        const MlpPart& pt = p.parts[i];
        if (!pt.dx || (pass == 0) == (pt.idx != nullptr)) continue;
        accum[i] = std::find(written.begin(), written.end(), pt.dx) != written.end();
        if (!accum[i]) written.push_back(pt.dx);
      }
  }
  // g: gradient w.r.t. a layer's pre-activation; chunk k owns rows [r0·maxW, r1·maxW).
  float* gbuf0 = g_scratch[0].get(std::max<int64_t>(1, R * maxW));
  float* gbuf1 = g_scratch[1].get(std::max<int64_t>(1, R * maxW));
  float* hbuf = g_scratch[2].get(std::max<int64_t>(1, R * maxW));
  // dW partials of chunks 1..T-1 (chunk 0 writes the outputs), layer by layer.
  std::vector<int64_t> woff(L + 1, 0);
  for (int64_t l = 0; l < L; l++) woff[l + 1] = woff[l] + p.layers[l].in * p.layers[l].out;
  float* partials = g_scratch[3].get(std::max<int64_t>(1, (T - 1) * woff[L]));
  auto dwOf = [&](int64_t k, int64_t l) { return k == 0 ? p.layers[l].dw : partials + (k - 1) * woff[L] + woff[l]; };
  ColAcc accG(T, D), accB(T, D);
  std::vector<ColAcc> accDb;
  for (int64_t l = 0; l < L; l++) accDb.emplace_back(T, p.layers[l].out);
  // After phase 1, the layer-0 gradient of chunk k is at gFinal + r0·maxW with row stride H.
  float* gFinal = (L - 1) % 2 == 0 ? gbuf0 : gbuf1;
  withAct(p.act, [&](auto A_) {
    constexpr int A = decltype(A_)::value;
    auto rows = [&](int64_t k) {
      auto [r0, r1] = chunkRange(R, T, k);
      const int64_t n = r1 - r0;
      float* g = gbuf0 + r0 * maxW;
      float* gh = gbuf1 + r0 * maxW;
      float* hb = hbuf + r0 * maxW;
      // Output: LayerNorm and the last activation.
      {
        std::vector<float> buf(2 * D, 0.f);
        float* __restrict v = buf.data();
        float* __restrict gg = v + D;
        ColSum sg(accG.row(k), D), sb(accB.row(k), D), sz(accDb[L - 1].row(k), D);
        const float* __restrict ga = p.gamma;
        for (int64_t r = r0; r < r1; r++) {
          const float* __restrict z = last.z + r * D;
          const float* __restrict dy = p.dy + r * D;
          float* __restrict gr = g + (r - r0) * D;
          if (p.ln) {
            if (p.activateLast)
              for (int64_t j = 0; j < D; j++) v[j] = actF<A>(z[j]);
            else
              std::memcpy(v, z, sizeof(float) * D);
            const float mean = rowSum(v, D) / (float)D;
            for (int64_t j = 0; j < D; j++) v[j] -= mean;
            const float rstd = 1.f / std::sqrt(rowDot(v, v, D) / (float)D + p.eps);
            for (int64_t j = 0; j < D; j++) {
              v[j] *= rstd;  // x̂
              gg[j] = dy[j] * v[j];
            }
            sg.add(gg);
            sb.add(dy);
            for (int64_t j = 0; j < D; j++) gg[j] = ga ? dy[j] * ga[j] : dy[j];
            const float mg = rowSum(gg, D) / (float)D, mgx = rowDot(gg, v, D) / (float)D;
            for (int64_t j = 0; j < D; j++) gr[j] = rstd * (gg[j] - mg - v[j] * mgx);
          } else {
            std::memcpy(gr, dy, sizeof(float) * D);
          }
          if (p.activateLast)
            for (int64_t j = 0; j < D; j++) gr[j] *= actD<A>(z[j]);
          sz.add(gr);
        }
        sg.flush();
        sb.flush();
        sz.flush();
      }
      for (int64_t l = L - 1; l >= 1; l--) {
        const MlpLayer& ly = p.layers[l];
        const MlpLayer& prev = p.layers[l - 1];
        const int64_t in = ly.in, out = ly.out;
        // h_{l-1} = act(z_{l-1}) on this chunk's rows
        const float* hsrc = prev.z + r0 * in;
        if (A != 0) {
          const float* __restrict z = prev.z + r0 * in;
          float* __restrict h = hb;
          for (int64_t i = 0; i < n * in; i++) h[i] = actF<A>(z[i]);
          hsrc = hb;
        }
        gemm(true, false, in, out, n, hsrc, in, g, out, false, dwOf(k, l), out);
        gemm(false, true, n, in, out, g, out, ly.w, out, false, gh, in);
        // g_{l-1} = gh * act'(z_{l-1}), and its column sums (db_{l-1}).
        ColSum sd(accDb[l - 1].row(k), in);
        for (int64_t r = r0; r < r1; r++) {
          const float* __restrict z = prev.z + r * in;
          float* __restrict gr = gh + (r - r0) * in;
          if (A != 0)
            for (int64_t j = 0; j < in; j++) gr[j] *= actD<A>(z[j]);
          sd.add(gr);
        }
        sd.flush();
        std::swap(g, gh);
      }
      // First layer, ungathered parts: dW rows (partials) and dX rows.
      for (size_t i = 0; i < P; i++) {
        const MlpPart& pt = p.parts[i];
        if (pt.idx) continue;
        gemm(true, false, pt.width, H, n, pt.x + r0 * pt.width, pt.width, g, H, false, dwOf(k, 0) + pt.rowStart * H, H);
        if (pt.dx) gemm(false, true, n, pt.width, H, g, H, l0.w + pt.rowStart * H, H, accum[i], pt.dx + r0 * pt.width, pt.width);
      }
    };
    Pool::get().run(T, rows);
  });
  // Sum the dW partials in chunk order (layer 0: only the rows of ungathered parts; the
  // gathered parts' rows are written whole in phase 2).
  if (T > 1) {
    auto addRange = [&](float* dst, int64_t l, int64_t from, int64_t count) {
      for (int64_t k = 1; k < T; k++) {
        const float* __restrict src = dwOf(k, l) + from;
        float* __restrict d = dst + from;
        for (int64_t j = 0; j < count; j++) d[j] += src[j];
      }
    };
    for (int64_t l = 1; l < L; l++) addRange(p.layers[l].dw, l, 0, p.layers[l].in * p.layers[l].out);
    for (const MlpPart& pt : p.parts)
      if (!pt.idx) addRange(l0.dw, 0, pt.rowStart * H, pt.width * H);
  }
  if (p.dgamma) accG.store(T, p.dgamma);
  if (p.dbeta) accB.store(T, p.dbeta);
  for (int64_t l = 0; l < L; l++)
    if (p.layers[l].db) accDb[l].store(T, p.layers[l].db);
  // Gathered parts: G_p = Σ_{r: idx_p[r] = i} g[r] (summation in r order), dW_p = X_pᵀ G_p,
  // dX_p = G_p W_pᵀ.
  std::vector<float*> G(P, nullptr);
  int scratchNext = 4;
  for (size_t i = 0; i < P; i++) {
    if (!p.parts[i].idx) continue;
    if (scratchNext >= 10) {
      napi_throw_range_error(env, nullptr, "gnnwb_native: a fused MLP takes at most 6 gathered input parts");
      return nullptr;
    }
    G[i] = g_scratch[scratchNext++].get(std::max<int64_t>(1, p.parts[i].rows * H));
  }
  if (scratchNext > 4) {
    // column blocks of a multiple of 16 floats (whole cache lines per thread)
    const int64_t TC = std::min<int64_t>(T, std::max<int64_t>(1, H / 16));
    const int64_t blk = ((H + TC - 1) / TC + 15) / 16 * 16;
    auto cols = [&](int64_t k) {
      const int64_t c0 = std::min(H, k * blk), c1 = std::min(H, c0 + blk), w = c1 - c0;
      if (w <= 0) return;
      for (size_t i = 0; i < P; i++) {
        const MlpPart& pt = p.parts[i];
        if (!pt.idx) continue;
        float* Gi = G[i];
        for (int64_t v = 0; v < pt.rows; v++) std::memset(Gi + v * H + c0, 0, sizeof(float) * w);
        for (int64_t c = 0; c < T; c++) {
          auto [r0, r1] = chunkRange(R, T, c);
          const float* gc = gFinal + r0 * maxW;
          for (int64_t r = r0; r < r1; r++) {
            const float* __restrict src = gc + (r - r0) * H + c0;
            float* __restrict dst = Gi + (int64_t)pt.idx[r] * H + c0;
            for (int64_t j = 0; j < w; j++) dst[j] += src[j];
          }
        }
        gemm(true, false, pt.width, w, pt.rows, pt.x, pt.width, Gi + c0, H, false, l0.dw + pt.rowStart * H + c0, H);
      }
    };
    Pool::get().run(TC, cols);
    auto dx = [&](int64_t k) {
      for (size_t i = 0; i < P; i++) {
        const MlpPart& pt = p.parts[i];
        if (!pt.idx || !pt.dx) continue;
        auto [b, e] = chunkRange(pt.rows, T, k);
        gemm(false, true, e - b, pt.width, H, G[i] + b * H, H, l0.w + pt.rowStart * H, H, accum[i], pt.dx + b * pt.width, pt.width);
      }
    };
    Pool::get().run(T, dx);
  }
  return num(env, -1);
}


// adamStep(heap, desc) — one Adam update of many tensors in one call (src/engine/native_fused.ts).
// desc: [n, mode, beta1, beta2, s1, s2, s3, then per tensor: p, g, m, v, outP, outM, outV, size].
//   m' = m·β1 + g·(1 − β1);  v' = v·β2 + g²·(1 − β2)
//   mode 0 (train/trainer.ts):  p' = p − m' / (sqrt(v')/s1 + s2) · s3     s1 = sqrt(1 − β2^t), s2 = ε, s3 = lr/(1 − β1^t)
//   mode 1 (models/optim.ts):   p' = p − m' / (sqrt(v') + s2) · s3        s2 = ε·sqrt(1 − β2^t), s3 = lr·sqrt(1 − β2^t)/(1 − β1^t)
// The same float32 operations in the same order as the tfjs ops they replace (no FMA
// contraction under -std=c++17), so the results are those of the wasm backend's kernels.
napi_value AdamStep(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 2)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  size_t n = 0;
  const double* d = nullptr;
  if (!getF64(env, a.argv[1], "adamStep descriptor", &d, &n)) return nullptr;
  const int64_t count = n >= 7 ? (int64_t)d[0] : -1;
  const int mode = n >= 7 ? (int)d[1] : -1;
  if (count < 0 || (size_t)(7 + 8 * count) != n || (mode != 0 && mode != 1)) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: adamStep descriptor has the wrong length or mode");
    return nullptr;
  }
  const float b1 = (float)d[2], b2 = (float)d[3], omb1 = (float)(1.0 - d[2]), omb2 = (float)(1.0 - d[3]);
  const float s1 = (float)d[4], s2 = (float)d[5], s3 = (float)d[6];
  struct Item {
    const float *p, *g, *m, *v;
    float *op, *om, *ov;
    int64_t size;
  };
  std::vector<Item> items;
  for (int64_t i = 0; i < count; i++) {
    const double* f = d + 7 + 8 * i;
    const int64_t size = (int64_t)f[7];
    for (int k = 0; k < 7; k++)
      if (!inHeap(env, heapLen, (int64_t)f[k], size, 4, "adamStep tensor")) return nullptr;
    auto P = [&](int k) { return reinterpret_cast<float*>(heap + (int64_t)f[k]); };
    items.push_back({P(0), P(1), P(2), P(3), P(4), P(5), P(6), size});
  }
  // One index space over all tensors, split into chunks across the pool (an EGNN's ~60
  // tensors are each too small to split on their own).
  std::vector<int64_t> start(items.size() + 1, 0);
  for (size_t i = 0; i < items.size(); i++) start[i + 1] = start[i] + items[i].size;
  const int64_t total = start.back();
  const int64_t t = chunkCount(total, 32768);
  auto job = [&](int64_t k) {
    auto [b, e] = chunkRange(total, t, k);
    size_t i = std::upper_bound(start.begin(), start.end(), b) - start.begin() - 1;
    for (; i < items.size() && start[i] < e; i++) {
      const Item& it = items[i];
      const int64_t j0 = std::max(b, start[i]) - start[i], j1 = std::min(e, start[i + 1]) - start[i];
      const float* __restrict p = it.p;
      const float* __restrict g = it.g;
      const float* __restrict m = it.m;
      const float* __restrict v = it.v;
      float* __restrict op = it.op;
      float* __restrict om = it.om;
      float* __restrict ov = it.ov;
      for (int64_t j = j0; j < j1; j++) {
        const float m1 = m[j] * b1 + g[j] * omb1;
        const float v1 = v[j] * b2 + (g[j] * g[j]) * omb2;
        const float denom = mode == 0 ? std::sqrt(v1) / s1 + s2 : std::sqrt(v1) + s2;
        om[j] = m1;
        ov[j] = v1;
        op[j] = p[j] - (m1 / denom) * s3;
      }
    }
  };
  Pool::get().run(t, job);
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// EGNN coordinate path (src/engine/native_egnn.ts, src/models/equivariant/egnn.ts), for edges
// e = (s_e → r_e) and diff_e = x[r_e] − x[s_e] (never stored):
//
//   egnnRadial        out[e] = |diff_e|²                                             [E, 1]
//   egnnRadialGrad    dx = Σ_e 2 dy_e diff_e at r_e, minus the same at s_e           [N, D]
//   egnnCoord         out = x + inv ⊙ Σ_{e: r_e = i} clip(diff_e φ_e, ±c) (+ a ⊙ v)  [N, D]
//   egnnCoordGrad     dx, dφ (and da) of Σ dy ⊙ out
//
// clip's gradient passes where the value lies in [−c, c] (bounds included, as tfjs's
// ClipByValue). Edges are visited in order (sums are reproducible). Index bounds are checked
// before any write: a bad index returns its position (r: e, s: E + e).
struct EgnnArgs {
  int64_t N = 0, E = 0, D = 0;
  const float *x = nullptr, *phi = nullptr, *inv = nullptr, *a = nullptr, *v = nullptr, *dy = nullptr;
  const int32_t *r = nullptr, *s = nullptr;
  float clamp = 0.f;
  float *out = nullptr, *dx = nullptr, *dphi = nullptr, *da = nullptr;
};

// desc: [N, E, D, clamp, x, r, s, phi, inv, a, v, dy, out, dx, dphi, da] (byte offsets, -1:
// absent). dy and out have ioElems elements ([E] for the radial ops, [N, D] for the others).
bool readEgnn(napi_env env, napi_value descV, uint8_t* heap, size_t heapLen, bool radialOp, EgnnArgs& g) {
  size_t n = 0;
  const double* d = nullptr;
  if (!getF64(env, descV, "EGNN descriptor", &d, &n)) return false;
  if (n != 16 || d[0] < 0 || d[1] < 0 || d[2] < 1 || d[2] > 16) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: EGNN descriptor has the wrong length or sizes (at most 16 coordinates)");
    return false;
  }
  g.N = (int64_t)d[0];
  g.E = (int64_t)d[1];
  g.D = (int64_t)d[2];
  g.clamp = (float)d[3];
  const int64_t N = g.N, E = g.E, D = g.D, io = radialOp ? E : N * D;
  const int64_t elems[12] = {N * D, E, E, E, N, N, N * D, io, io, N * D, E, N};
  const char* names[12] = {"EGNN x", "EGNN receivers", "EGNN senders", "EGNN phi", "EGNN 1/degree", "EGNN velocity scale",
                           "EGNN velocity", "EGNN output gradient", "EGNN output", "EGNN dx", "EGNN dphi", "EGNN velocity-scale gradient"};
  void* q[12];
  for (int k = 0; k < 12; k++) {
    const double off = d[4 + k];
    q[k] = nullptr;
    if (off < 0) continue;
    if (!inHeap(env, heapLen, (int64_t)off, elems[k], 4, names[k])) return false;
    q[k] = heap + (int64_t)off;
  }
  g.x = static_cast<const float*>(q[0]);
  g.r = static_cast<const int32_t*>(q[1]);
  g.s = static_cast<const int32_t*>(q[2]);
  g.phi = static_cast<const float*>(q[3]);
  g.inv = static_cast<const float*>(q[4]);
  g.a = static_cast<const float*>(q[5]);
  g.v = static_cast<const float*>(q[6]);
  g.dy = static_cast<const float*>(q[7]);
  g.out = static_cast<float*>(q[8]);
  g.dx = static_cast<float*>(q[9]);
  g.dphi = static_cast<float*>(q[10]);
  g.da = static_cast<float*>(q[11]);
  return true;
}

double egnnBadIndex(const EgnnArgs& g) {
  int64_t bad = firstBadIndex(g.r, g.E, g.N);
  if (bad >= 0) return (double)bad;
  bad = firstBadIndex(g.s, g.E, g.N);
  return bad >= 0 ? (double)(g.E + bad) : -1;
}

// op: 0 radial, 1 radial gradient, 2 coordinates, 3 coordinate gradients.
napi_value EgnnOp(napi_env env, napi_callback_info info, int op) {
  Args a;
  if (!getArgs(env, info, a, 2)) return nullptr;
  uint8_t* heap;
  size_t heapLen;
  if (!getHeap(env, a.argv[0], &heap, &heapLen)) return nullptr;
  EgnnArgs g;
  if (!readEgnn(env, a.argv[1], heap, heapLen, op <= 1, g)) return nullptr;
  const int64_t N = g.N, E = g.E, D = g.D;
  const bool needPhi = op >= 2, needOut = op == 0 || op == 2, needDy = op == 1 || op == 3;
  if (!g.x || !g.r || !g.s || (needPhi && (!g.phi || !g.inv)) || (needOut && !g.out) || (needDy && !g.dy) ||
      (op == 1 && !g.dx) || (op == 3 && (!g.dx || !g.dphi)) || ((g.a == nullptr) != (g.v == nullptr))) {
    napi_throw_range_error(env, nullptr, "gnnwb_native: EGNN op is missing a tensor");
    return nullptr;
  }
  const double bad = egnnBadIndex(g);
  if (bad >= 0) return num(env, bad);
  const float* x = g.x;
  const float c = g.clamp;
  float diff[16];
  auto diffOf = [&](int64_t e) {
    const float* xr = x + (int64_t)g.r[e] * D;
    const float* xs = x + (int64_t)g.s[e] * D;
    for (int64_t k = 0; k < D; k++) diff[k] = xr[k] - xs[k];
  };
  if (op == 0) {
    for (int64_t e = 0; e < E; e++) {
      diffOf(e);
      float s = 0.f;
      for (int64_t k = 0; k < D; k++) s += diff[k] * diff[k];
      g.out[e] = s;
    }
  } else if (op == 1) {
    std::memset(g.dx, 0, sizeof(float) * N * D);
    for (int64_t e = 0; e < E; e++) {
      diffOf(e);
      float* dr = g.dx + (int64_t)g.r[e] * D;
      float* ds = g.dx + (int64_t)g.s[e] * D;
      const float w = 2.f * g.dy[e];
      for (int64_t k = 0; k < D; k++) {
        dr[k] += w * diff[k];
        ds[k] -= w * diff[k];
      }
    }
  } else if (op == 2) {
    // out = x + inv ⊙ Σ clip(diff φ) (+ a ⊙ v); the sums accumulate in out first
    std::memset(g.out, 0, sizeof(float) * N * D);
    for (int64_t e = 0; e < E; e++) {
      diffOf(e);
      float* t = g.out + (int64_t)g.r[e] * D;
      for (int64_t k = 0; k < D; k++) t[k] += std::min(c, std::max(-c, diff[k] * g.phi[e]));
    }
    for (int64_t i = 0; i < N; i++)
      for (int64_t k = 0; k < D; k++) {
        float o = x[i * D + k] + g.out[i * D + k] * g.inv[i];
        if (g.a) o += g.a[i] * g.v[i * D + k];
        g.out[i * D + k] = o;
      }
  } else {
    // dx = dy + Σ_e (d diff_e at r_e − at s_e), d diff_e = mask ⊙ φ_e ⊙ w_e, w_e = inv[r_e] dy[r_e];
    // dφ_e = Σ_k mask ⊙ diff_e ⊙ w_e; da_i = Σ_k dy ⊙ v.
    std::memcpy(g.dx, g.dy, sizeof(float) * N * D);
    for (int64_t e = 0; e < E; e++) {
      diffOf(e);
      const int64_t ri = g.r[e], si = g.s[e];
      const float* dyr = g.dy + ri * D;
      const float ir = g.inv[ri];
      float* dr = g.dx + ri * D;
      float* ds = g.dx + si * D;
      float dp = 0.f;
      for (int64_t k = 0; k < D; k++) {
        const float t = diff[k] * g.phi[e];
        const float w = (t >= -c && t <= c) ? dyr[k] * ir : 0.f;
        dp += w * diff[k];
        dr[k] += w * g.phi[e];
        ds[k] -= w * g.phi[e];
      }
      g.dphi[e] = dp;
    }
    if (g.da)
      for (int64_t i = 0; i < N; i++) {
        float s = 0.f;
        for (int64_t k = 0; k < D; k++) s += g.dy[i * D + k] * g.v[i * D + k];
        g.da[i] = s;
      }
  }
  return num(env, -1);
}

napi_value EgnnRadial(napi_env env, napi_callback_info info) { return EgnnOp(env, info, 0); }
napi_value EgnnRadialGrad(napi_env env, napi_callback_info info) { return EgnnOp(env, info, 1); }
napi_value EgnnCoord(napi_env env, napi_callback_info info) { return EgnnOp(env, info, 2); }
napi_value EgnnCoordGrad(napi_env env, napi_callback_info info) { return EgnnOp(env, info, 3); }

// setThreads(n[, blasThreads]): threads for the non-BLAS kernels and for OpenBLAS (default: n).
// Returns OpenBLAS's thread count.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a, 1)) return nullptr;
  int64_t n = i64(env, a.argv[0]);
  int64_t nb = n;
  napi_valuetype t = napi_undefined;
  if (a.argc > 1) napi_typeof(env, a.argv[1], &t);
  if (t == napi_number) nb = i64(env, a.argv[1]);
  g_threads = (int)std::max<int64_t>(1, std::min<int64_t>(n, 256));
  g_blasThreads = (int)std::max<int64_t>(1, std::min<int64_t>(nb, 256));
  if (openblas_set_num_threads) openblas_set_num_threads(g_blasThreads);
  return num(env, openblas_get_num_threads ? openblas_get_num_threads() : 1);
}

// info(): { blas, threads, blasThreads }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, s;
  napi_create_object(env, &o);
  const char* cfg = openblas_get_config ? openblas_get_config() : "cblas (not OpenBLAS)";
  napi_create_string_utf8(env, cfg, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, o, "blas", s);
  napi_set_named_property(env, o, "threads", num(env, g_threads));
  napi_set_named_property(env, o, "blasThreads", num(env, openblas_get_num_threads ? openblas_get_num_threads() : 1));
  napi_set_named_property(env, o, "hardwareThreads", num(env, std::thread::hardware_concurrency()));
  return o;
}

napi_value Init(napi_env env, napi_value exports) {
  g_threads = std::max(1u, std::thread::hardware_concurrency());
  if (const char* spin = std::getenv("GNNWB_NATIVE_SPIN_US")) {
    char* end = nullptr;
    const double us = std::strtod(spin, &end);
    if (end != spin && us >= 0 && us <= 1e6) g_spinNs = (int64_t)(us * 1000);
  }
  struct {
    const char* name;
    napi_callback cb;
  } fns[] = {{"sgemm", Sgemm},           {"biasAct", BiasAct},       {"gatherRows", GatherRows},
             {"scatterAdd", ScatterAdd}, {"setThreads", SetThreads}, {"info", Info},
             {"binary", Binary},         {"reduceSum", ReduceSum},   {"copyBlock", CopyBlock},
             {"transpose2d", Transpose2d}, {"mlpForward", MlpForward},
             {"mlpBackward", MlpBackward}, {"adamStep", AdamStep},
             {"egnnRadial", EgnnRadial},   {"egnnRadialGrad", EgnnRadialGrad},
             {"egnnCoord", EgnnCoord},     {"egnnCoordGrad", EgnnCoordGrad}};
  for (auto& f : fns) {
    napi_value fn;
    NAPI_CALL(env, napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn));
    NAPI_CALL(env, napi_set_named_property(env, exports, f.name, fn));
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
