import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { makeNnunetDataset, removeDir, tempDir, writeVolume, imageVolume, fixtureAffine } from "../data/_testing/fixtures.js";

const bin = fileURLToPath(new URL("../../../bin/labelwise.js", import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

let work: string;
let clean: string;
let broken: string;
let warnOnly: string;
before(async () => {
  work = await tempDir("labelwise-cli-check-");
  clean = path.join(work, "clean");
  broken = path.join(work, "broken");
  warnOnly = path.join(work, "warn");
  await makeNnunetDataset(clean, { cases: 3 });
  await makeNnunetDataset(broken, { cases: 3 });
  await rm(path.join(broken, "labelsTr/case_002.nii.gz"));
  const nan = imageVolume([8, 7, 6], fixtureAffine(), 2);
  nan.data[10] = NaN;
  await writeVolume(broken, "imagesTr/case_003_0000.nii.gz", nan);
  await makeNnunetDataset(warnOnly, { cases: 2 });
  await writeVolume(warnOnly, "imagesTr/readme_0000.nii", imageVolume([8, 7, 6], fixtureAffine(), 9));
});
after(async () => removeDir(work));

test("labelwise check exits 0 on a clean dataset and prints only the summary", () => {
  const r = cli("check", clean);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^OK .*clean: 3 training cases, 0 test cases, 0 errors, 0 warnings in \d+\.\d s\n$/);
  assert.equal(r.stderr, ""); // no progress line when stderr is not a terminal
});

test("labelwise check exits 1 and prints one line per problem, then the summary", () => {
  const r = cli("check", broken);
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split("\n").slice(0, -1), [
    "ERROR case_002 labelsTr/case_002.nii.gz label: missing (the case is labelled; mark it unlabelled or boxes in labelwise.json if intended)",
    "ERROR case_003 imagesTr/case_003_0000.nii.gz voxels: 1 NaN voxel value(s); first at voxel [2,1,0]",
  ]);
  assert.match(r.stdout, /\nFAILED .*broken: 3 training cases, 0 test cases, 2 errors, 0 warnings in \d+\.\d s\n$/);
});

test("labelwise check --json prints the report as JSON and keeps the exit code", () => {
  const r = cli("check", broken, "--json");
  assert.equal(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout) as { format: string; ok: boolean; errors: number; warnings: number; cases: unknown; problems: { severity: string; case: string; file: string; field: string }[] };
  assert.equal(report.format, "labelwise-check");
  assert.equal(report.ok, false);
  assert.deepEqual(report.cases, { training: 3, test: 0 });
  assert.deepEqual(report.problems.map((p) => [p.severity, p.case, p.file, p.field]), [
    ["error", "case_002", "labelsTr/case_002.nii.gz", "label"],
    ["error", "case_003", "imagesTr/case_003_0000.nii.gz", "voxels"],
  ]);
  const ok = cli("check", clean, "--json");
  assert.equal(ok.status, 0);
  assert.equal((JSON.parse(ok.stdout) as { ok: boolean }).ok, true);
});

test("labelwise check: warnings pass unless --strict", () => {
  const r = cli("check", warnOnly);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^WARN - imagesTr\/readme_0000\.nii file: name does not match <case>_XXXX\.nii\.gz; ignored\n/);
  assert.equal(cli("check", warnOnly, "--strict").status, 1);
});

test("labelwise check: a missing folder fails; bad flags are refused", () => {
  const r = cli("check", path.join(work, "nope"));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^ERROR - - dataset: .*nope is not a folder\n/);
  const bad = cli("check", clean, "--concurrency", "0");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--concurrency must be a positive integer. Received: 0/);
  const missingArg = cli("check");
  assert.notEqual(missingArg.status, 0);
  assert.match(missingArg.stderr, /missing required argument 'dataset'/);
});
