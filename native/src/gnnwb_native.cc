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
//
// Index bounds are checked before any write: a bad index returns its position (>= 0) to JS,
// which turns it into a clear error; -1 means success. Offsets and sizes are checked against
// the heap length (a JS bug would otherwise corrupt memory): a violation throws a RangeError.
#include <node_api.h>
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>
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

// Runs fn(begin, end) over [0, n) split into contiguous chunks on up to g_threads threads.
// Small jobs (below minPerThread items per thread) run on the calling thread.
template <class F>
void parallelFor(int64_t n, int64_t minPerThread, F fn) {
  int64_t t = std::min<int64_t>(g_threads, std::max<int64_t>(1, n / std::max<int64_t>(1, minPerThread)));
  if (t <= 1) {
    fn(int64_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(t - 1);
  int64_t chunk = (n + t - 1) / t;
  for (int64_t i = 1; i < t; i++) {
    int64_t b = i * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back([=] { fn(b, e); });
  }
  fn(0, std::min(n, chunk));
  for (auto& th : pool) th.join();
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
  // Column blocks of 16 floats (one cache line) per work item.
  const int64_t blk = 16;
  int64_t nb = (F + blk - 1) / blk;
  int64_t work = E * F;
  int64_t nthreads = std::min<int64_t>(g_threads, std::max<int64_t>(1, work / kMinPerThread));
  if (nthreads <= 1 || nb < 2) {
    std::memset(out, 0, sizeof(float) * N * F);
    for (int64_t e = 0; e < E; e++) {
      const float* src = d + e * F;
      float* dst = out + (int64_t)idx[e] * F;
      for (int64_t j = 0; j < F; j++) dst[j] += src[j];
    }
    return num(env, -1);
  }
  parallelFor(nb, 1, [=](int64_t b0, int64_t b1) {
    int64_t c0 = b0 * blk, c1 = std::min(F, b1 * blk), w = c1 - c0;
    for (int64_t n = 0; n < N; n++) std::memset(out + n * F + c0, 0, sizeof(float) * w);
    for (int64_t e = 0; e < E; e++) {
      const float* src = d + e * F + c0;
      float* dst = out + (int64_t)idx[e] * F + c0;
      for (int64_t j = 0; j < w; j++) dst[j] += src[j];
    }
  });
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
  struct {
    const char* name;
    napi_callback cb;
  } fns[] = {{"sgemm", Sgemm},           {"biasAct", BiasAct},       {"gatherRows", GatherRows},
             {"scatterAdd", ScatterAdd}, {"setThreads", SetThreads}, {"info", Info},
             {"binary", Binary},         {"reduceSum", ReduceSum},   {"copyBlock", CopyBlock},
             {"transpose2d", Transpose2d}};
  for (auto& f : fns) {
    napi_value fn;
    NAPI_CALL(env, napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn));
    NAPI_CALL(env, napi_set_named_property(env, exports, f.name, fn));
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
