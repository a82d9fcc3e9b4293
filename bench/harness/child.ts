// Runs one measurement in a fresh child process and reads the JSON line it prints last, so each
// measurement starts from a clean heap and its peak RSS is that process's own.
import { spawn } from "node:child_process";

export interface ChildOptions {
  /** @default 30 minutes */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class ChildError extends Error {
  override readonly name = "ChildError";
}

/** Spawns `command args`, waits, and parses the last non-empty stdout line as JSON. */
export function runJsonChild<T>(command: string, args: readonly string[], opts: ChildOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  const shown = [command, ...args].join(" ");
  return new Promise<T>((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new ChildError(`Cannot start \`${shown}\`: ${e.message}`, { cause: e }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const tail = stderr.trim().split("\n").slice(-15).join("\n");
      if (code !== 0) {
        const why = signal ? `was killed by ${signal}${signal === "SIGKILL" ? ` (timeout ${timeoutMs / 1000} s or out of memory)` : ""}` : `exited with code ${code}`;
        reject(new ChildError(`\`${shown}\` ${why}.${tail ? `\n${tail}` : ""}`));
        return;
      }
      const last = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new ChildError(`\`${shown}\` printed no JSON result line. Last output: ${last.slice(0, 300)}${tail ? `\n${tail}` : ""}`));
      }
    });
  });
}
