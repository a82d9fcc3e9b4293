# Built by scripts/build-native.mjs, which writes build-config.gypi (where libtorch lives, its ABI
# and extra link flags) before calling node-gyp. Do not run node-gyp on this file by hand.
{
  "includes": ["build-config.gypi"],
  "targets": [
    {
      "target_name": "labelwise_native",
      "sources": ["src/addon.cc"],
      "include_dirs": ["<@(lw_include_dirs)"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8", "<@(lw_defines)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "ldflags": ["<@(lw_ldflags)"],
      "libraries": ["<@(lw_libraries)"]
    }
  ]
}
