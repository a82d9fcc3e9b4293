// Where a dataset's derived files live: <out>/<dataset>/ holds fingerprint.json, plans.json,
// splits/, preprocessed/<plan>/ and the runs <plan>/<strategy>/fold_<k>/. Keeping them out of the
// dataset folder leaves the raw data untouched (and `labelwise check` free of stray files).
import path from "node:path";

/** Paths of one dataset's work folder. */
export interface Workspace {
  readonly root: string;
  readonly fingerprint: string;
  readonly plans: string;
  preprocessed(plan: string): string;
  splits(name: string): string;
  runDir(plan: string, strategy: string, fold: number): string;
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The work folder of dataset `name` under `out` (default "runs"). */
export function workspace(out: string, name: string): Workspace {
  if (!SAFE.test(name)) throw new RangeError(`Cannot use dataset name ${JSON.stringify(name)} as a folder name (letters, digits, ".", "_", "-")`);
  const root = path.resolve(out, name);
  const safe = (s: string, what: string) => {
    if (!SAFE.test(s)) throw new RangeError(`Cannot use ${what} ${JSON.stringify(s)} as a folder name`);
    return s;
  };
  return {
    root,
    fingerprint: path.join(root, "fingerprint.json"),
    plans: path.join(root, "plans.json"),
    preprocessed: (plan) => path.join(root, "preprocessed", safe(plan, "plan")),
    splits: (n) => path.join(root, "splits", `${safe(n, "splits name")}.json`),
    runDir: (plan, strategy, fold) => path.join(root, safe(plan, "plan"), safe(strategy, "strategy"), `fold_${fold}`),
  };
}
