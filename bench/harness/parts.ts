// A long benchmark runs in parts (one per row) whose results are saved as they finish, so an
// interrupted run resumes where it stopped and a report can merge parts from several runs.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export class PartStore<T> {
  constructor(readonly dir: string) {}

  #file(name: string): string {
    if (!/^[\w.-]+$/.test(name)) throw new RangeError(`Part names are [A-Za-z0-9_.-]. Received: ${name}`);
    return path.join(this.dir, `${name}.json`);
  }

  load(name: string): T | undefined {
    const file = this.#file(name);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, "utf8")) as T;
    } catch (e) {
      throw new Error(`Cannot read benchmark part ${file}: ${(e as Error).message}. Delete it or run with --fresh.`, { cause: e });
    }
  }

  /** Writes atomically (temp file + rename), so a killed run never leaves a half-written part. */
  save(name: string, value: T): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.#file(name);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(tmp, file);
  }

  remove(name: string): void {
    rmSync(this.#file(name), { force: true });
  }

  names(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -".json".length))
      .sort();
  }
}
