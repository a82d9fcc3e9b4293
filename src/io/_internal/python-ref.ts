// Test helper (node-only, never exported): runs Debian's python3 with nibabel/numpy as the
// independent reference implementation. CI installs python3-nibabel, so a missing interpreter
// is a setup error and fails loudly instead of skipping.
import { spawnSync } from "node:child_process";

/** The interpreter that has python3-nibabel (Debian's, not a virtualenv one). */
export const PYTHON = "/usr/bin/python3";

/** Runs `script` with `args`, feeding `input` on stdin; returns stdout parsed as JSON. */
export function runPython<T = unknown>(script: string, args: readonly string[] = [], input?: string): T {
  const r = spawnSync(PYTHON, ["-c", script, ...args], { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`Cannot run ${PYTHON} (install python3-nibabel): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`python reference failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
