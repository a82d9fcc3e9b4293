// Reads the ranking a suggest job wrote (`labelwise suggest -o <job folder>/suggestions.json`)
// into what the page shows in its case list: per case its rank and disagreement scores. Only the
// fields the page needs are kept, each checked, so a damaged file is an error and not a broken page.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { SUGGESTIONS_FILE } from "./commands.js";

/** One ranked case. */
export interface SuggestionRow {
  readonly rank: number;
  readonly id: string;
  /** The ranking measure's value (higher: more disputed). */
  readonly score: number | null;
  readonly js: number | null;
  readonly kl: number | null;
  readonly dice: number | null;
  readonly foregroundMl: number | null;
  readonly annotation: string | null;
}

/** A job's ranking. */
export interface Suggestions {
  readonly measure: string;
  readonly committee: string;
  readonly members: readonly string[];
  readonly ranking: readonly SuggestionRow[];
  readonly failed: readonly { readonly id: string; readonly error: string }[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
// JSON writes NaN/Infinity as null: keep that as "no value".
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * The ranking in `dir`, or null when the job wrote none.
 * @throws Error naming the file and the first bad field when the file is not a labelwise ranking
 */
export async function readSuggestions(dir: string): Promise<Suggestions | null> {
  const file = path.join(dir, SUGGESTIONS_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  const bad = (what: string, got: unknown) => new Error(`${file}: ${what}. Received: ${JSON.stringify(got)?.slice(0, 200)}`);
  const doc = JSON.parse(text) as unknown;
  if (!isObj(doc) || doc.format !== "labelwise-suggestions") throw bad("not a labelwise-suggestions file", isObj(doc) ? doc.format : doc);
  if (!Array.isArray(doc.ranking)) throw bad("ranking must be an array", doc.ranking);
  const ranking = doc.ranking.map((r: unknown, i): SuggestionRow => {
    if (!isObj(r) || typeof r.id !== "string" || typeof r.rank !== "number") throw bad(`ranking[${i}] needs a case id and a rank`, r);
    return {
      rank: r.rank,
      id: r.id,
      score: numOrNull(r.score),
      js: numOrNull(r.js),
      kl: numOrNull(r.kl),
      dice: numOrNull(r.dice),
      foregroundMl: numOrNull(r.foregroundMl),
      annotation: typeof r.annotation === "string" ? r.annotation : null,
    };
  });
  const committee = isObj(doc.committee) ? doc.committee : {};
  return {
    measure: typeof doc.measure === "string" ? doc.measure : "",
    committee: typeof committee.kind === "string" ? committee.kind : "",
    members: Array.isArray(committee.members) ? committee.members.filter((m): m is string => typeof m === "string") : [],
    ranking,
    failed: Array.isArray(doc.failed) ? doc.failed.filter(isObj).map((f) => ({ id: String(f.id), error: String(f.error) })) : [],
  };
}
