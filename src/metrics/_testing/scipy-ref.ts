// Test helper (node-only, never exported): scipy as the independent reference. Label maps go to a
// temp folder as raw bytes, Debian's /usr/bin/python3 (python3-scipy, installed in CI) computes
// the same quantities with ndimage.distance_transform_edt, binary_erosion and label, and answers
// in JSON. A missing interpreter is a setup error and fails loudly instead of skipping.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const PYTHON = "/usr/bin/python3";

/** Runs `script` with `request` as JSON on stdin; `arrays` are written to files named by key, passed as request.files. */
export function runScipy<T>(script: string, request: Record<string, unknown>, arrays: Record<string, ArrayBufferView> = {}): T {
  const dir = mkdtempSync(path.join(tmpdir(), "labelwise-scipy-"));
  try {
    const files: Record<string, string> = {};
    for (const [k, a] of Object.entries(arrays)) {
      const f = path.join(dir, `${k}.raw`);
      writeFileSync(f, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      files[k] = f;
    }
    const r = spawnSync(PYTHON, ["-c", PRELUDE + script], { input: JSON.stringify({ ...request, files }), encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    if (r.error) throw new Error(`Cannot run ${PYTHON} (install python3-scipy): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`scipy reference failed (exit ${r.status}):\n${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PRELUDE = `
import sys, json
import numpy as np
from scipy import ndimage
req = json.load(sys.stdin)
def load(key, shape, dtype="uint8"):
    # labelwise stores x fastest: as a C-order numpy array that is (z, y, x).
    return np.fromfile(req["files"][key], dtype=dtype).reshape(shape[::-1])
def fin(v):
    v = float(v)
    return v if np.isfinite(v) else None
`;

/** Per-class metrics computed with scipy primitives, same definitions as README.md. */
export const METRICS_SCRIPT = `
out = []
for c in req["cases"]:
    shp = c["shape"]
    p = load(c["key"] + "_pred", shp)
    r = load(c["key"] + "_ref", shp)
    sampling = [1.0, 1.0, 1.0] if c["unit"] == "voxel" else c["spacing"][::-1]
    st = ndimage.generate_binary_structure(3, 1 if c["connectivity"] == 6 else 3)
    res = []
    for lab in c["classes"]:
        a = p == lab
        b = r == lab
        na, nb, nab = int(a.sum()), int(b.sum()), int((a & b).sum())
        e = {"label": lab, "predVoxels": na, "refVoxels": nb, "overlapVoxels": nab}
        if na + nb > 0:
            e["dice"] = 2.0 * nab / (na + nb)
            e["jaccard"] = nab / (na + nb - nab)
        if na > 0 and nb > 0:
            ea = a & ~ndimage.binary_erosion(a, structure=st, border_value=0)
            eb = b & ~ndimage.binary_erosion(b, structure=st, border_value=0)
            dab = ndimage.distance_transform_edt(~eb, sampling=sampling)[ea]
            dba = ndimage.distance_transform_edt(~ea, sampling=sampling)[eb]
            both = np.concatenate([dab, dba])
            e["hd"] = float(max(dab.max(), dba.max()))
            e["hd95"] = float(max(np.percentile(dab, 95), np.percentile(dba, 95)))
            e["hd95pooled"] = float(np.percentile(both, 95))
            e["asd"] = float(both.mean())
            e["asdMean"] = float((dab.mean() + dba.mean()) / 2)
            e["asdDirected"] = float(dab.mean())
            e["nsd"] = {str(t): float(np.sum(both <= t * (1 + 1e-9)) / both.size) for t in c["tolerances"]}
            e["nsdStrict"] = {str(t): float(np.sum(both <= t) / both.size) for t in c["tolerances"]}
            e["predSurfaceVoxels"] = int(ea.sum())
            e["refSurfaceVoxels"] = int(eb.sum())
        res.append(e)
    out.append(res)
print(json.dumps(out))
`;

/** Squared EDT to the nearest non-zero voxel, per case (null for Infinity). */
export const EDT_SCRIPT = `
out = []
for c in req["cases"]:
    f = load(c["key"], c["shape"])
    d = ndimage.distance_transform_edt(f == 0, sampling=c["spacing"][::-1])
    out.append((d.astype(np.float64) ** 2).ravel().tolist())
print(json.dumps(out))
`;

/** ndimage.label of binary masks with a 6/18/26 structure: labels (x fastest) and count. */
export const LABEL_SCRIPT = `
out = []
for c in req["cases"]:
    m = load(c["key"], c["shape"])
    st = ndimage.generate_binary_structure(3, {6: 1, 18: 2, 26: 3}[c["connectivity"]])
    lab, n = ndimage.label(m != 0, structure=st)
    out.append({"count": int(n), "labels": lab.ravel().tolist()})
print(json.dumps(out))
`;

/** Per-class post-processing with ndimage.label: keep-largest and remove-small (min volume). */
export const POSTPROCESS_SCRIPT = `
out = []
for c in req["cases"]:
    m = load(c["key"], c["shape"])
    st = ndimage.generate_binary_structure(3, {6: 1, 18: 2, 26: 3}[c["connectivity"]])
    vv = float(np.prod(c["spacing"]))
    largest = m.copy()
    small = m.copy()
    for v in c["classes"]:
        lab, n = ndimage.label(m == v, structure=st)
        if n == 0:
            continue
        sizes = np.bincount(lab.ravel())[1:]
        keep = int(np.argmax(sizes)) + 1
        largest[(lab > 0) & (lab != keep)] = 0
        tiny = np.nonzero(sizes * vv < c["minSize"])[0] + 1
        small[np.isin(lab, tiny)] = 0
    out.append({"largest": largest.ravel().tolist(), "small": small.ravel().tolist()})
print(json.dumps(out))
`;
