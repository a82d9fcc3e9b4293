// The labelwise server's API as the page uses it. Requests carry the access cookie the server set
// when the page was first opened (same origin); nothing here handles the token itself.

export interface LabelInfo {
  readonly name: string;
  readonly value: number;
  readonly color: string;
  readonly region: boolean;
}

export interface DatasetInfo {
  readonly name: string;
  readonly description: string;
  readonly folder: string;
  readonly channels: readonly string[];
  readonly labels: readonly LabelInfo[];
  readonly strategies: readonly string[];
  /** One line per strategy (what it trains on). */
  readonly strategySummaries: Readonly<Record<string, string>>;
  /** The kinds of training case each strategy learns from ("labelled", "unlabelled", "boxes"). */
  readonly strategyLearnsFrom: Readonly<Record<string, readonly string[]>>;
  readonly predictionsFolder: string;
}

export type Annotation = "labelled" | "unlabelled" | "boxes";

export interface CaseSummary {
  readonly id: string;
  readonly split: "train" | "test";
  readonly annotation: Annotation;
  readonly channels: number;
  readonly hasLabel: boolean;
  readonly hasBoxes: boolean;
  readonly hasPrediction: boolean;
}

export type Vec3 = [number, number, number];
export type Mat4 = [number[], number[], number[], number[]];

export interface CaseDetail extends CaseSummary {
  readonly shape: Vec3;
  readonly spacing: Vec3;
  readonly affine: Mat4;
  readonly warnings: readonly string[];
}

export interface VoxelBox {
  min: Vec3;
  max: Vec3;
}

export interface StoredBox {
  readonly label: string;
  readonly value: number;
  readonly voxel: VoxelBox;
  readonly world: VoxelBox;
}

export interface BoxesResponse {
  readonly case: string;
  readonly exists: boolean;
  readonly shape: Vec3;
  readonly boxes: readonly StoredBox[];
  readonly problems: readonly string[];
  readonly annotation: Annotation;
}

export interface MetricsResponse {
  readonly case: string;
  readonly unit: string;
  readonly seconds: number;
  readonly labels: readonly { name: string; value: number; color: string; dice: number | null; hd95: number | null; predVoxels: number; refVoxels: number }[];
}

export type JobStatus = "running" | "succeeded" | "failed" | "cancelled" | "lost";

export interface JobRecord {
  readonly id: string;
  readonly kind: "train" | "predict" | "suggest";
  readonly spec: { kind: string; strategy?: string; epochs?: number; model?: string; scope?: string; caseId?: string; resume?: string };
  readonly status: JobStatus;
  readonly createdAt: string;
  readonly endedAt: string | null;
  readonly runDir: string | null;
  readonly exitCode: number | null;
  readonly cancelRequested: boolean;
  readonly progress: number | null;
  readonly lastLoss: number | null;
  readonly message: string;
}

/** One case of a "what to label next" ranking: the most disputed case has rank 1. */
export interface SuggestionRow {
  readonly rank: number;
  readonly id: string;
  readonly score: number | null;
  readonly js: number | null;
  readonly kl: number | null;
  readonly dice: number | null;
  readonly foregroundMl: number | null;
  readonly annotation: string | null;
}

export interface SuggestionsResponse {
  readonly job: string;
  readonly model: string;
  readonly measure: string;
  readonly committee: string;
  readonly members: readonly string[];
  readonly ranking: readonly SuggestionRow[];
  readonly failed: readonly { id: string; error: string }[];
}

export interface JobHistory {
  readonly loss: readonly [number, number][];
  readonly logs: readonly { stream: string; text: string }[];
}

/** An API error with the server's message (and validation problems, when it sent them). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const d = (data ?? {}) as { message?: string; problems?: string[] };
    if (res.status === 401) throw new ApiError(401, "Not authorised: open the URL that `labelwise serve` printed (the token changes at every start).");
    throw new ApiError(res.status, d.message ?? `${res.status} ${res.statusText}`, d.problems ?? []);
  }
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  dataset: () => request<DatasetInfo>("GET", "/api/dataset"),
  cases: () => request<{ cases: CaseSummary[] }>("GET", "/api/cases").then((r) => r.cases),
  case: (id: string) => request<CaseDetail>("GET", `/api/cases/${enc(id)}`),
  boxes: (id: string) => request<BoxesResponse>("GET", `/api/cases/${enc(id)}/boxes`),
  saveBoxes: (id: string, boxes: { label: string; voxel: VoxelBox }[]) => request<BoxesResponse>("PUT", `/api/cases/${enc(id)}/boxes`, { boxes }),
  setAnnotation: (id: string, annotation: Annotation) => request<CaseSummary>("PUT", `/api/cases/${enc(id)}/annotation`, { annotation }),
  metrics: (id: string) => request<MetricsResponse>("GET", `/api/cases/${enc(id)}/metrics`),
  jobs: () => request<{ jobs: JobRecord[] }>("GET", "/api/jobs").then((r) => r.jobs),
  startJob: (spec: Record<string, unknown>) => request<JobRecord>("POST", "/api/jobs", spec),
  suggestions: (id: string) => request<SuggestionsResponse>("GET", `/api/jobs/${enc(id)}/suggestions`),
  cancelJob: (id: string, force = false) => request<JobRecord>("POST", `/api/jobs/${enc(id)}/cancel`, force ? { force: true } : {}),
  /** Raw bytes of a case volume (.nii / .nii.gz), or null when the case has none. */
  async volume(id: string, which: "image" | "label" | "prediction", channel = 0): Promise<ArrayBuffer | null> {
    const url = which === "image" ? `/api/cases/${enc(id)}/image/${channel}` : `/api/cases/${enc(id)}/${which}`;
    const res = await fetch(url, { credentials: "same-origin" });
    if (res.status === 404) return null;
    if (!res.ok) throw new ApiError(res.status, `cannot load the ${which}: ${res.status} ${res.statusText}`);
    return res.arrayBuffer();
  },
  jobEventsUrl: (id: string) => `/api/jobs/${enc(id)}/events`,
};
