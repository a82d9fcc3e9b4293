// metrics.jsonl: one JSON object per line, appended synchronously (each line reaches the file
// before training continues). On resume, lines from beyond the checkpoint — written by the run
// that crashed after its last checkpoint — are dropped, so the file describes one consistent history.
import { appendFileSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../util/index.js";

/** Appends one event. */
export function appendMetrics(file: string, record: object): void {
  appendFileSync(file, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
}

/** Keeps the lines whose `iteration` is at most `iteration` (and lines without one). */
export async function truncateMetrics(file: string, iteration: number): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return;
    throw e;
  }
  const kept = text
    .split("\n")
    .filter((line) => {
      if (line.trim() === "") return false;
      try {
        const it = (JSON.parse(line) as { iteration?: unknown }).iteration;
        return typeof it !== "number" || it <= iteration;
      } catch {
        return false; // a line cut by a crash
      }
    });
  await writeFileAtomic(file, kept.length ? `${kept.join("\n")}\n` : "");
}
