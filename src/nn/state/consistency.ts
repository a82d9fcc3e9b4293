// Once the sha256 has tied the tensor file to its sidecar, the two can still disagree only if the
// sidecar was edited by hand. The tensor file is authoritative (it is what gets loaded), so a
// disagreement is reported rather than letting the readable copy silently lie.
import type { RawTensor } from "../../tensor/index.js";
import type { Sidecar, StateHeader } from "./format.js";

/** JSON text with object keys sorted, so equal content compares equal whatever the key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Every way in which the sidecar disagrees with the tensor file's own header and tensors. */
export function sidecarProblems(sidecar: Sidecar, header: StateHeader, tensors: ReadonlyMap<string, RawTensor>): string[] {
  const problems: string[] = [];
  if (sidecar.saveId !== header.saveId) problems.push(`the sidecar's save id ${sidecar.saveId} differs from the tensor file's ${header.saveId}: the files come from different saves`);
  if (sidecar.kind !== header.kind) problems.push(`the sidecar says kind '${sidecar.kind}' but the tensor file says '${header.kind}'`);
  if (canonical(sidecar.meta) !== canonical(header.meta)) problems.push("the sidecar's 'meta' differs from the copy in the tensor file (was the sidecar edited?)");
  if (canonical(sidecar.jsonState) !== canonical(header.jsonState)) problems.push("the sidecar's 'jsonState' differs from the copy in the tensor file (was the sidecar edited?)");
  const inFile = Object.fromEntries([...tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }]));
  if (canonical(sidecar.tensors) !== canonical(inFile)) problems.push("the sidecar's tensor list differs from the tensor file's header (was the sidecar edited?)");
  return problems;
}
