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

// Runs fn(begin, end) over [0, n) split into contiguous chunks on up to g_threads threads.
// Small jobs (below minPerThread items per thread) run on the calling thread.
// Threads for n items with at least minPerThread items each (at most g_threads). parallelFor,
// parallelChunks and the per-chunk accumulators of the fused MLP all split by this count.
inline int64_t chunkCount(int64_t n, int64_t minPerThread) {
  return std::min<int64_t>(g_threads, std::max<int64_t>(1, n / std::max<int64_t>(1, minPerThread)));
}

template <class F>
void parallelFor(int64_t n, int64_t minPerThread, F fn) {
  int64_t t = chunkCount(n, minPerThread);
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
thread_local Scratch g_scratch[8];

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
  const bool small = M * N * K < kSmallGemm;
  if (small && g_blasThreads > 1 && openblas_set_num_threads) openblas_set_num_threads(1);
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, 1.0f,
              A, (int)lda, B, (int)ldb, accumulate ? 1.0f : 0.0f, C, (int)ldc);
  if (small && g_blasThreads > 1 && openblas_set_num_threads) openblas_set_num_threads(g_blasThreads);
}

// Runs fn(chunk, begin, end) over [0, n) in contiguous chunks; returns the number of chunks.
// The split depends only on n and the thread count, so results are reproducible.
template <class F>
int64_t parallelChunks(int64_t n, int64_t minPerThread, F fn) {
  int64_t t = chunkCount(n, minPerThread);
  int64_t chunk = t <= 1 ? n : (n + t - 1) / t;
  if (t <= 1) {
    fn(int64_t(0), int64_t(0), n);
    return 1;
  }
  std::vector<std::thread> pool;
  for (int64_t i = 1; i < t; i++) {
    int64_t b = i * chunk, e = std::min(n, b + chunk);
    pool.emplace_back([=] { fn(i, b, std::max(b, e)); });
  }
  fn(int64_t(0), int64_t(0), std::min(n, chunk));
  for (auto& th : pool) th.join();
  return t;
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
  bool dxFirst;        // backward: this part writes dx first (else accumulates)
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
  const int partFields = backward ? 7 : 5, layerFields = backward ? 7 : 5;
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
    pt.dxFirst = false;
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
      pt.dxFirst = f[6] != 0;
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

inline int64_t rowsPerThread(int64_t cols) { return std::max<int64_t>(1, kMinPerThread / std::max<int64_t>(1, cols)); }

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
  const int act = p.act;
  // First layer: the ungathered parts straight into z_0, the gathered ones projected on their
  // own rows first.
  const MlpLayer& l0 = p.layers[0];
  const int64_t H = l0.out;
  bool haveZ = false;
  std::vector<const float*> proj(p.parts.size(), nullptr);
  int scratchNext = 2;
  for (size_t i = 0; i < p.parts.size(); i++) {
    const MlpPart& pt = p.parts[i];
    const float* wRows = l0.w + pt.rowStart * H;
    if (!pt.idx) {
      gemm(false, false, R, H, pt.width, pt.x, pt.width, wRows, H, haveZ, l0.z, H);
      haveZ = true;
    } else {
      if (scratchNext >= 8) {
        napi_throw_range_error(env, nullptr, "gnnwb_native: a fused MLP takes at most 6 gathered input parts");
        return nullptr;
      }
      float* t = g_scratch[scratchNext++].get(std::max<int64_t>(1, pt.rows * H));
      gemm(false, false, pt.rows, H, pt.width, pt.x, pt.width, wRows, H, false, t, H);
      proj[i] = t;
    }
  }
  const bool lastIsFirst = L == 1;
  float* h = g_scratch[0].get((int64_t)R * std::max<int64_t>(H, 1));
  // One pass: gathered projections + bias, then the activation into h.
  {
    const MlpPlan* pp = &p;
    const bool zInit = haveZ;
    const bool activate0 = !lastIsFirst || p.activateLast;
    const float* const* projp = proj.data();
    withAct(act, [&](auto A_) {
      parallelFor(R, rowsPerThread(H), [=](int64_t r0, int64_t r1) {
        constexpr int A = decltype(A_)::value;
        for (int64_t r = r0; r < r1; r++) {
          float* __restrict z = l0.z + r * H;
          if (!zInit) std::memset(z, 0, sizeof(float) * H);
          for (size_t i = 0; i < pp->parts.size(); i++) {
            if (!projp[i]) continue;
            const float* __restrict src = projp[i] + (int64_t)pp->parts[i].idx[r] * H;
            for (int64_t j = 0; j < H; j++) z[j] += src[j];
          }
          if (l0.b) {
            const float* __restrict b = l0.b;
            for (int64_t j = 0; j < H; j++) z[j] += b[j];
          }
          if (!lastIsFirst) {
            float* __restrict hr = h + r * H;
            for (int64_t j = 0; j < H; j++) hr[j] = actF<A>(z[j]);
          } else if (activate0 && !pp->ln && pp->y != l0.z) {
            float* __restrict yr = pp->y + r * H;
            for (int64_t j = 0; j < H; j++) yr[j] = actF<A>(z[j]);
          }
        }
      });
    });
  }
  for (int64_t l = 1; l < L; l++) {
    const MlpLayer& ly = p.layers[l];
    gemm(false, false, R, ly.out, ly.in, h, ly.in, ly.w, ly.out, false, ly.z, ly.out);
    const bool last = l == L - 1;
    float* hNext = g_scratch[l % 2 == 1 ? 1 : 0].get(R * ly.out);
    const MlpPlan* pp = &p;
    withAct(act, [&](auto A_) {
      parallelFor(R, rowsPerThread(ly.out), [=](int64_t r0, int64_t r1) {
        constexpr int A = decltype(A_)::value;
        const int64_t n = ly.out;
        for (int64_t r = r0; r < r1; r++) {
          float* __restrict z = ly.z + r * n;
          if (ly.b) {
            const float* __restrict b = ly.b;
            for (int64_t j = 0; j < n; j++) z[j] += b[j];
          }
          if (!last) {
            float* __restrict hr = hNext + r * n;
            for (int64_t j = 0; j < n; j++) hr[j] = actF<A>(z[j]);
          } else if (!pp->ln && pp->activateLast) {
            float* __restrict yr = pp->y + r * n;
            for (int64_t j = 0; j < n; j++) yr[j] = actF<A>(z[j]);
          }
        }
      });
    });
    h = hNext;
  }
  if (p.ln) {
    const MlpLayer& last = p.layers.back();
    const int64_t D = last.out;
    const MlpPlan* pp = &p;
    withAct(act, [&](auto A_) {
      parallelFor(R, rowsPerThread(D), [=](int64_t r0, int64_t r1) {
        constexpr int A = decltype(A_)::value;
        std::vector<float> vbuf(D);
        float* __restrict v = vbuf.data();
        for (int64_t r = r0; r < r1; r++) {
          const float* __restrict z = last.z + r * D;
          if (pp->activateLast)
            for (int64_t j = 0; j < D; j++) v[j] = actF<A>(z[j]);
          else
            std::memcpy(v, z, sizeof(float) * D);
          const float mean = rowSum(v, D) / (float)D;
          for (int64_t j = 0; j < D; j++) v[j] -= mean;
          const float rstd = 1.f / std::sqrt(rowDot(v, v, D) / (float)D + pp->eps);
          float* __restrict y = pp->y + r * D;
          const float* __restrict ga = pp->gamma;
          const float* __restrict be = pp->beta;
          for (int64_t j = 0; j < D; j++) {
            const float xh = v[j] * rstd;
            y[j] = (ga ? xh * ga[j] : xh) + (be ? be[j] : 0.f);
          }
        }
      });
    });
  }
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

// mlpBackward(heap, desc) -> -1 or part * 2^32 + position of a bad index.
// Writes dX for every part with a gradient slot, dW and db of every layer, dγ, dβ.
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
  const int act = p.act;
  const MlpLayer& last = p.layers.back();
  const int64_t D = last.out;
  int64_t maxW = 1;
  for (auto& ly : p.layers) maxW = std::max(maxW, std::max(ly.in, ly.out));
  // g: gradient w.r.t. the current layer's pre-activation z_l.
  float* g = g_scratch[0].get(std::max<int64_t>(1, R * maxW));
  float* gh = g_scratch[1].get(std::max<int64_t>(1, R * maxW));
  float* hb = g_scratch[2].get(std::max<int64_t>(1, R * maxW));
  // Output: LayerNorm and the last activation.
  {
    const int64_t chunks = chunkCount(R, rowsPerThread(D));
    ColAcc accG(chunks, D), accB(chunks, D), accZ(chunks, D);
    const MlpPlan* pp = &p;
    ColAcc* pg = &accG;
    ColAcc* pb = &accB;
    ColAcc* pz = &accZ;
    withAct(act, [&](auto A_) {
      parallelChunks(R, rowsPerThread(D), [=](int64_t c, int64_t r0, int64_t r1) {
        constexpr int A = decltype(A_)::value;
        std::vector<float> buf(6 * D, 0.f);
        float* __restrict v = buf.data();
        float* __restrict gg = v + D;
        // float partial column sums over blocks of rows, flushed to the chunk's doubles
        float* __restrict fg = v + 2 * D;
        float* __restrict fb = v + 3 * D;
        float* __restrict fz = v + 4 * D;
        double* ag = pg->row(c);
        double* ab = pb->row(c);
        double* az = pz->row(c);
        const float* __restrict ga = pp->gamma;
        // (not a closure over the pointers above: that stops the row loops from vectorising)
        const auto flush = [](int64_t n, double* a0, double* a1, double* a2, float* f0, float* f1, float* f2) {
          for (int64_t j = 0; j < n; j++) {
            a0[j] += f0[j];
            a1[j] += f1[j];
            a2[j] += f2[j];
            f0[j] = f1[j] = f2[j] = 0.f;
          }
        };
        for (int64_t r = r0; r < r1; r++) {
          const float* __restrict z = last.z + r * D;
          const float* __restrict dy = pp->dy + r * D;
          float* __restrict gr = g + r * D;
          if (pp->ln) {
            if (pp->activateLast)
              for (int64_t j = 0; j < D; j++) v[j] = actF<A>(z[j]);
            else
              std::memcpy(v, z, sizeof(float) * D);
            const float mean = rowSum(v, D) / (float)D;
            for (int64_t j = 0; j < D; j++) v[j] -= mean;
            const float rstd = 1.f / std::sqrt(rowDot(v, v, D) / (float)D + pp->eps);
            // v becomes x̂
            for (int64_t j = 0; j < D; j++) {
              v[j] *= rstd;
              fg[j] += dy[j] * v[j];
              fb[j] += dy[j];
              gg[j] = ga ? dy[j] * ga[j] : dy[j];
            }
            const float mg = rowSum(gg, D) / (float)D, mgx = rowDot(gg, v, D) / (float)D;
            for (int64_t j = 0; j < D; j++) gr[j] = rstd * (gg[j] - mg - v[j] * mgx);
          } else {
            std::memcpy(gr, dy, sizeof(float) * D);
          }
          if (pp->activateLast)
            for (int64_t j = 0; j < D; j++) gr[j] *= actD<A>(z[j]);
          for (int64_t j = 0; j < D; j++) fz[j] += gr[j];
          if ((r - r0) % 64 == 63) flush(D, ag, ab, az, fg, fb, fz);
        }
        flush(D, ag, ab, az, fg, fb, fz);
      });
    });
    if (p.dgamma) accG.store(chunks, p.dgamma);
    if (p.dbeta) accB.store(chunks, p.dbeta);
    if (last.db) accZ.store(chunks, last.db);
  }
  for (int64_t l = L - 1; l >= 1; l--) {
    const MlpLayer& ly = p.layers[l];
    const MlpLayer& prev = p.layers[l - 1];
    const int64_t in = ly.in, out = ly.out;
    // h_{l-1} = act(z_{l-1})
    const float* hsrc = prev.z;
    if (act != 0) {
      withAct(act, [&](auto A_) {
        parallelFor(R * in, kMinPerThread, [=](int64_t i0, int64_t i1) {
          constexpr int A = decltype(A_)::value;
          const float* __restrict z = prev.z;
          float* __restrict h = hb;
          for (int64_t i = i0; i < i1; i++) h[i] = actF<A>(z[i]);
        });
      });
      hsrc = hb;
    }
    gemm(true, false, in, out, R, hsrc, in, g, out, false, ly.dw, out);
    gemm(false, true, R, in, out, g, out, ly.w, out, false, gh, in);
    // g_{l-1} = gh * act'(z_{l-1}), and its column sums (db_{l-1}).
    const int64_t chunks = chunkCount(R, rowsPerThread(in));
    ColAcc acc(chunks, in);
    ColAcc* pa = &acc;
    withAct(act, [&](auto A_) {
      parallelChunks(R, rowsPerThread(in), [=](int64_t c, int64_t r0, int64_t r1) {
        constexpr int A = decltype(A_)::value;
        double* ac = pa->row(c);
        std::vector<float> fbuf(in, 0.f);
        float* __restrict fa = fbuf.data();
        for (int64_t r = r0; r < r1; r++) {
          const float* __restrict z = prev.z + r * in;
          float* __restrict gr = gh + r * in;
          if (A != 0)
            for (int64_t j = 0; j < in; j++) gr[j] *= actD<A>(z[j]);
          for (int64_t j = 0; j < in; j++) fa[j] += gr[j];
          if ((r - r0) % 64 == 63)
            for (int64_t j = 0; j < in; j++) {
              ac[j] += fa[j];
              fa[j] = 0.f;
            }
        }
        for (int64_t j = 0; j < in; j++) ac[j] += fa[j];
      });
    });
    if (prev.db) acc.store(chunks, prev.db);
    std::swap(g, gh);
  }
  // First layer: weight rows and input gradients per part.
  const MlpLayer& l0 = p.layers[0];
  const int64_t H = l0.out;
  for (size_t i = 0; i < p.parts.size(); i++) {
    const MlpPart& pt = p.parts[i];
    const float* wRows = l0.w + pt.rowStart * H;
    float* dwRows = l0.dw + pt.rowStart * H;
    if (!pt.idx) {
      gemm(true, false, pt.width, H, R, pt.x, pt.width, g, H, false, dwRows, H);
      if (pt.dx) gemm(false, true, R, pt.width, H, g, H, wRows, H, !pt.dxFirst, pt.dx, pt.width);
    } else {
      float* G = g_scratch[3].get(std::max<int64_t>(1, pt.rows * H));
      scatterAddInto(g, R, H, pt.idx, pt.rows, G);
      gemm(true, false, pt.width, H, pt.rows, pt.x, pt.width, G, H, false, dwRows, H);
      if (pt.dx) gemm(false, true, pt.rows, pt.width, H, G, H, wRows, H, !pt.dxFirst, pt.dx, pt.width);
    }
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
  for (const Item& it : items) {
    parallelFor(it.size, kMinPerThread, [=](int64_t i0, int64_t i1) {
      const float* __restrict p = it.p;
      const float* __restrict g = it.g;
      const float* __restrict m = it.m;
      const float* __restrict v = it.v;
      float* __restrict op = it.op;
      float* __restrict om = it.om;
      float* __restrict ov = it.ov;
      for (int64_t j = i0; j < i1; j++) {
        const float m1 = m[j] * b1 + g[j] * omb1;
        const float v1 = v[j] * b2 + (g[j] * g[j]) * omb2;
        const float denom = mode == 0 ? std::sqrt(v1) / s1 + s2 : std::sqrt(v1) + s2;
        om[j] = m1;
        ov[j] = v1;
        op[j] = p[j] - (m1 / denom) * s3;
      }
    });
  }
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
             {"transpose2d", Transpose2d}, {"mlpForward", MlpForward},
             {"mlpBackward", MlpBackward}, {"adamStep", AdamStep}};
  for (auto& f : fns) {
    napi_value fn;
    NAPI_CALL(env, napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn));
    NAPI_CALL(env, napi_set_named_property(env, exports, f.name, fn));
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
