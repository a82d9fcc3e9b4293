// Small statistics and formatting helpers for benchmark reports.

/** The median (mean of the two middle values for an even count); NaN for an empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "–";
  return s >= 10 ? `${s.toFixed(2)} s` : `${s.toFixed(3)} s`;
}

export function formatMiB(kib: number): string {
  return Number.isFinite(kib) ? `${Math.round(kib / 1024)} MiB` : "–";
}

export function formatRatio(r: number): string {
  return Number.isFinite(r) ? r.toFixed(3) : "n/a";
}

/** A GitHub-flavoured Markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
