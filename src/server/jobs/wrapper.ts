// The process a job runs in: `node wrapper.js <exit.json> <program> [args…]`. It starts the
// command with the same stdout/stderr (files, never pipes, so the server can stop and come back
// without killing the job), passes SIGINT and SIGTERM on exactly once, and writes the command's
// exit code and signal to <exit.json> (atomically) when it ends. A server that was restarted
// meanwhile thus still learns how the job ended.
import { spawn } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";

const [exitFile, program, ...args] = process.argv.slice(2);
if (exitFile === undefined || program === undefined) {
  process.stderr.write("usage: wrapper.js <exit.json> <program> [args…]\n");
  process.exit(2);
}

function record(value: { exitCode: number | null; signal: string | null; error?: string }): void {
  const tmp = `${exitFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ ...value, endedAt: new Date().toISOString() })}\n`);
  renameSync(tmp, exitFile!);
}

const child = spawn(program, args, { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
}
// SIGHUP (the terminal of the server closing) must not end the job.
process.on("SIGHUP", () => undefined);
child.on("error", (e) => {
  record({ exitCode: null, signal: null, error: e.message });
  process.exit(1);
});
child.on("exit", (code, signal) => {
  record({ exitCode: code, signal });
  process.exit(0);
});
