#!/usr/bin/env node
// Builds native/ (the libtorch addon) with node-gyp against the Node headers installed beside the
// running node binary, so nothing is downloaded. Libtorch comes from Debian's libtorch-dev unless
// LIBTORCH points at an unpacked libtorch distribution (for example a CUDA build).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = path.join(root, "native");
const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`build-native: ${message}`);
  process.exit(1);
}

function nodeHeadersDir() {
  const candidates = [process.env.npm_config_nodedir, path.resolve(path.dirname(process.execPath), "..")].filter(Boolean);
  for (const dir of candidates) {
    if (existsSync(path.join(dir, "include", "node", "node_api.h"))) return dir;
  }
  fail(
    `cannot find Node's headers (include/node/node_api.h) next to ${process.execPath}. ` +
      "Install the headers of this Node version (Debian: libnode-dev or nodejs' own include dir) or set npm_config_nodedir.",
  );
}

// The C++ ABI flag must match the one libtorch was built with; TorchConfig.cmake records it.
function abiFromConfig(configFile) {
  if (!existsSync(configFile)) return null;
  const m = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(readFileSync(configFile, "utf8"));
  return m ? m[1] : null;
}

function debianLibtorch() {
  const multiarch = (() => {
    try {
      return execFileSync("gcc", ["-print-multiarch"], { encoding: "utf8" }).trim();
    } catch {
      return "x86_64-linux-gnu";
    }
  })();
  const libDir = `/usr/lib/${multiarch}`;
  if (!existsSync("/usr/include/torch/csrc/api/include/torch/version.h") || !existsSync(path.join(libDir, "libtorch.so"))) {
    fail("libtorch is not installed. On Debian/Ubuntu run: apt-get install libtorch-dev libopenblas0-openmp (or set LIBTORCH=/path/to/libtorch).");
  }
  const openblasOpenmp = path.join(libDir, "openblas-openmp");
  // Prefer the OpenMP flavour of OpenBLAS for this addon: libtorch uses OpenMP, and the reference
  // BLAS or the pthread flavour make batch-1 and transposed convolutions about 3x slower.
  const rpath = existsSync(openblasOpenmp) ? [`-Wl,--disable-new-dtags,-rpath,${openblasOpenmp}`] : [];
  return {
    includeDirs: ["/usr/include", "/usr/include/torch/csrc/api/include"],
    libDir,
    abi: abiFromConfig(path.join(libDir, "cmake", "Torch", "TorchConfig.cmake")) ?? "1",
    ldflags: [`-L${libDir}`, ...rpath],
  };
}

function customLibtorch(dir) {
  const abs = path.resolve(dir);
  const libDir = path.join(abs, "lib");
  if (!existsSync(path.join(abs, "include", "torch")) || !existsSync(libDir)) {
    fail(`LIBTORCH=${dir} does not look like a libtorch distribution (expected include/torch and lib/).`);
  }
  return {
    includeDirs: [path.join(abs, "include"), path.join(abs, "include", "torch", "csrc", "api", "include")],
    libDir,
    abi: abiFromConfig(path.join(abs, "share", "cmake", "Torch", "TorchConfig.cmake")) ?? "1",
    ldflags: [`-L${libDir}`, `-Wl,-rpath,${libDir}`],
  };
}

const torch = process.env.LIBTORCH ? customLibtorch(process.env.LIBTORCH) : debianLibtorch();
const libs = readdirSync(torch.libDir);
const hasCuda = libs.some((f) => f.startsWith("libtorch_cuda"));
// --no-as-needed: libtorch.so registers the CPU (and CUDA) kernels from libraries the addon never
// references by symbol; without it the linker drops them and the kernels silently never register.
const libraries = ["-Wl,--no-as-needed", "-ltorch", "-ltorch_cpu", "-lc10", ...(hasCuda ? ["-ltorch_cuda", "-lc10_cuda"] : []), "-Wl,--as-needed"];

const gypi = {
  variables: {
    lw_include_dirs: [path.dirname(require.resolve("node-addon-api/napi.h")), ...torch.includeDirs],
    lw_defines: [`_GLIBCXX_USE_CXX11_ABI=${torch.abi}`],
    lw_ldflags: torch.ldflags,
    lw_libraries: libraries,
  },
};
writeFileSync(path.join(nativeDir, "build-config.gypi"), `${JSON.stringify(gypi, null, 2)}\n`);

const nodeGyp = require.resolve("node-gyp/bin/node-gyp.js");
const jobs = process.env.LABELWISE_BUILD_JOBS ?? "max";
console.log(`build-native: libtorch from ${process.env.LIBTORCH ?? "Debian libtorch-dev"} (${torch.libDir}), CXX11 ABI=${torch.abi}${hasCuda ? ", CUDA" : ""}`);
execFileSync(process.execPath, [nodeGyp, "rebuild", `--nodedir=${nodeHeadersDir()}`, `--jobs=${jobs}`], {
  cwd: nativeDir,
  stdio: "inherit",
});
