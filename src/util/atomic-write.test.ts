import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { AtomicWriteError, writeFileAtomic, writeJsonAtomic } from "./atomic-write.js";

const here = path.dirname(fileURLToPath(import.meta.url));
let root: string;
let n = 0;
/** A fresh empty directory per test, so leftover-file checks see only that test's files. */
async function freshDir(): Promise<string> {
  const d = path.join(root, `t${n++}`);
  await mkdir(d);
  return d;
}

const encode = (s: string) => new TextEncoder().encode(s);

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "labelwise-atomic-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  it("writes bytes, text and chunk streams, replacing the old content", async () => {
    const d = await freshDir();
    const f = path.join(d, "a.bin");
    await writeFileAtomic(f, encode("first version, long"));
    assert.equal(await readFile(f, "utf8"), "first version, long");
    await writeFileAtomic(f, "short");
    assert.equal(await readFile(f, "utf8"), "short");
    await writeFileAtomic(f, [encode("ab"), "cd", encode("")]);
    assert.equal(await readFile(f, "utf8"), "abcd");
    async function* gen() {
      yield "x";
      yield encode("yz");
    }
    await writeFileAtomic(f, gen(), { fsync: false });
    assert.equal(await readFile(f, "utf8"), "xyz");
    assert.deepEqual(await readdir(d), ["a.bin"], "no temp files left behind");
  });

  it("leaves the old file untouched and removes the temp file when the data source fails mid-write", async () => {
    const d = await freshDir();
    const f = path.join(d, "state.bin");
    await writeFile(f, "old content");
    const boom = new Error("source failed");
    function* failing() {
      yield encode("new partial ");
      throw boom;
    }
    await assert.rejects(writeFileAtomic(f, failing()), (e: unknown) => {
      assert.ok(e instanceof AtomicWriteError);
      assert.equal(e.path, f);
      assert.equal(e.cause, boom);
      assert.match(e.message, /state\.bin/);
      return true;
    });
    assert.equal(await readFile(f, "utf8"), "old content");
    assert.deepEqual(await readdir(d), ["state.bin"]);
  });

  it("does not create the target when the first write fails", async () => {
    const d = await freshDir();
    const f = path.join(d, "never.bin");
    await assert.rejects(writeFileAtomic(f, (function* () { throw new Error("no data"); })()), AtomicWriteError);
    assert.deepEqual(await readdir(d), []);
  });

  it("names the path when the directory does not exist", async () => {
    const d = await freshDir();
    const f = path.join(d, "missing", "sub", "x.json");
    await assert.rejects(writeFileAtomic(f, "{}"), (e: unknown) => {
      assert.ok(e instanceof AtomicWriteError);
      assert.equal(e.code, "ENOENT");
      assert.ok(e.message.includes(f), e.message);
      assert.match(e.message, /does not exist/);
      return true;
    });
  });

  it("fails cleanly when the target is a directory", async () => {
    const d = await freshDir();
    const target = path.join(d, "dir");
    await mkdir(target);
    await writeFile(path.join(target, "inside"), "keep");
    await assert.rejects(writeFileAtomic(target, "data"), (e: unknown) => e instanceof AtomicWriteError && e.message.includes(target));
    assert.equal(await readFile(path.join(target, "inside"), "utf8"), "keep");
    assert.deepEqual(await readdir(d), ["dir"], "temp file removed after the failed rename");
  });

  it("reports a read-only directory", async (t) => {
    if (process.platform === "win32") return t.skip("POSIX permission bits only");
    const d = await freshDir();
    const f = path.join(d, "x");
    await chmod(d, 0o555);
    try {
      if (process.getuid?.() !== 0) {
        await assert.rejects(writeFileAtomic(f, "y"), (e: unknown) => e instanceof AtomicWriteError && /no permission/.test(e.message) && e.message.includes(f));
        return;
      }
      // Root ignores permission bits, so run the write as "nobody" in a child process.
      await chmod(root, 0o755);
      const script = `import(${JSON.stringify(pathToFileURL(path.join(here, "atomic-write.js")).href)})
        .then((m) => m.writeFileAtomic(${JSON.stringify(f)}, "y"))
        .then(() => console.log("ok"), (e) => console.log(e.name + ": " + e.message));`;
      const r = spawnSync(process.execPath, ["-e", script], { uid: 65534, gid: 65534, encoding: "utf8" });
      assert.match(r.stdout, /^AtomicWriteError: .*no permission/, r.stderr);
      assert.ok(r.stdout.includes(f), r.stdout);
    } finally {
      await chmod(d, 0o755);
    }
    assert.deepEqual(await readdir(d), []);
  });

  it("follows a symlink at the target, like fs.writeFile", async () => {
    const d = await freshDir();
    const real = path.join(d, "real.txt");
    const link = path.join(d, "link.txt");
    await writeFile(real, "old");
    await symlink(real, link);
    await writeFileAtomic(link, "new");
    assert.equal(await readFile(real, "utf8"), "new");
    assert.ok((await stat(link)).isFile());
    assert.deepEqual((await readdir(d)).sort(), ["link.txt", "real.txt"]);
  });

  it("applies the requested mode to a new file", async (t) => {
    if (process.platform === "win32") return t.skip("POSIX permission bits only");
    const d = await freshDir();
    const f = path.join(d, "secret");
    await writeFileAtomic(f, "s", { mode: 0o600 });
    assert.equal((await stat(f)).mode & 0o777, 0o600);
  });

  it("keeps one complete version when writers race", async () => {
    const d = await freshDir();
    const f = path.join(d, "race.txt");
    const versions = Array.from({ length: 12 }, (_, i) => `version ${i} `.repeat(1000 + i));
    await Promise.all(versions.map((v) => writeFileAtomic(f, v)));
    assert.ok(versions.includes(await readFile(f, "utf8")));
    assert.deepEqual(await readdir(d), ["race.txt"]);
  });
});

describe("writeJsonAtomic", () => {
  it("writes pretty JSON with a final newline", async () => {
    const d = await freshDir();
    const f = path.join(d, "m.json");
    await writeJsonAtomic(f, { a: [1, 2], b: "é" });
    const text = await readFile(f, "utf8");
    assert.ok(text.endsWith("}\n"));
    assert.deepEqual(JSON.parse(text), { a: [1, 2], b: "é" });
  });

  it("refuses unserialisable values before touching disk", async () => {
    const d = await freshDir();
    await assert.rejects(writeJsonAtomic(path.join(d, "x.json"), { big: 1n }), TypeError);
    await assert.rejects(writeJsonAtomic(path.join(d, "y.json"), undefined), TypeError);
    assert.deepEqual(await readdir(d), []);
  });
});
