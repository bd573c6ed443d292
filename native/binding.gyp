{
  "targets": [
    {
      "target_name": "gnnwb_native",
      "sources": ["src/gnnwb_native.cc"],
      "cflags_cc": ["-O3", "-march=native", "-std=c++17", "-fno-exceptions", "-fno-trapping-math", "-fno-math-errno"],
      "cflags_cc!": ["-fno-rtti"],
      "defines": ["NAPI_VERSION=8"],
      "include_dirs": ["<!@(node -p \"process.env.GNNWB_BLAS_INCLUDE || ''\")"],
      "libraries": ["<!@(node -p \"process.env.GNNWB_BLAS_LIBS || '-lopenblas'\")", "-lpthread"]
    }
  ]
}
