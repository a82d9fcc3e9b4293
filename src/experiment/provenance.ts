// What a run records about where it came from: package, libtorch and Node versions, the git
// commit of the labelwise checkout (when it is one), the host.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { engineInfo } from "../tensor/index.js";

export interface Provenance {
  labelwise: string;
  libtorch: string;
  node: string;
  /** Commit of the labelwise source tree, "-dirty" appended with uncommitted changes; null outside git. */
  gitSha: string | null;
  host: { platform: string; arch: string; cpus: number };
}

const root = fileURLToPath(new URL("../../../", import.meta.url));

function gitSha(): string | null {
  try {
    const opts = { cwd: root, stdio: ["ignore", "pipe", "ignore"] as ["ignore", "pipe", "ignore"], timeout: 5000 };
    const sha = execFileSync("git", ["rev-parse", "HEAD"], opts).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], opts).toString().trim() !== "";
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return null;
  }
}

/** Versions and source commit of this process. */
export function provenance(): Provenance {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return {
    labelwise: pkg.version,
    libtorch: engineInfo().torchVersion,
    node: process.version,
    gitSha: gitSha(),
    host: { platform: process.platform, arch: process.arch, cpus: os.cpus().length },
  };
}
