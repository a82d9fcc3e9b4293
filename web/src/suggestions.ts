// "What to label next" in the case list: the ranking of a suggest job (the latest, or the one
// chosen in the job list), shown as a
// disagreement score beside each ranked case and, when the user asks, as the list's order (most
// disputed first; cases the ranking did not score keep their name order after the ranked ones).
import { api, type CaseSummary, type SuggestionRow, type SuggestionsResponse } from "./api.js";

export class Suggestions {
  private byId = new Map<string, SuggestionRow>();
  private from: SuggestionsResponse | null = null;
  private requested: string | null = null;

  /** The job whose ranking is shown or being loaded (set before the request: a second caller does not load it again), or null. */
  get job(): string | null {
    return this.requested;
  }

  /** Loads the ranking of a finished suggest job. */
  async load(jobId: string): Promise<SuggestionsResponse> {
    this.requested = jobId;
    let r: SuggestionsResponse;
    try {
      r = await api.suggestions(jobId);
    } catch (e) {
      if (this.requested === jobId) this.requested = this.from?.job ?? null;
      throw e;
    }
    // A later request wins over an earlier one that answers after it.
    if (this.requested !== jobId) return r;
    this.from = r;
    this.byId = new Map(r.ranking.map((row) => [row.id, row]));
    return r;
  }

  /** A line on where the ranking came from, for the note above the list. */
  describe(): string {
    const r = this.from;
    if (!r) return "";
    const failed = r.failed.length ? `; ${r.failed.length} case(s) failed: ${r.failed.map((f) => f.id).join(", ")}` : "";
    return `Label next: ${r.ranking.length} case(s) ranked by ${r.measure} disagreement of ${r.committee} (${r.members.join(", ")}), model ${r.model}${failed} (job ${r.job}; choose another suggest job in the list to see its ranking).`;
  }

  /** The ranked row of a case, if the ranking scored it. */
  row(id: string): SuggestionRow | undefined {
    return this.byId.get(id);
  }

  /** The cases in "label next first" order. */
  order(cases: readonly CaseSummary[]): CaseSummary[] {
    const rank = (c: CaseSummary) => this.byId.get(c.id)?.rank ?? Number.POSITIVE_INFINITY;
    return [...cases].sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The badge beside a ranked case: its rank and score. */
  cell(id: string): HTMLElement | null {
    const r = this.byId.get(id);
    if (!r) return null;
    const el = document.createElement("span");
    el.className = "disagreement";
    el.dataset.testid = "disagreement";
    el.dataset.rank = String(r.rank);
    el.textContent = `#${r.rank} ${r.score === null ? "–" : r.score.toPrecision(2)}`;
    el.title = `label next: rank ${r.rank}; disagreement js ${r.js ?? "–"}, kl ${r.kl ?? "–"}, 1 − Dice ${r.dice ?? "–"}`;
    return el;
  }
}
