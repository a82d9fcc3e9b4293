// Box plots of the per-case metrics, one panel per metric and one box per class, rendered without
// a browser: Vega-Lite spec → Vega → SVG (vega's headless renderer) → PNG (resvg, a prebuilt
// binary shipped in the npm package; no canvas, no install-time download). vega and resvg are
// imported lazily, so loading the evaluation layer costs nothing until a plot is drawn.

import { METRIC_LABELS, type EvaluationReport, type SummaryMetric } from "./evaluate-folders.js";

/** Metrics drawn, in panel order. */
export const PLOTTED_METRICS: readonly SummaryMetric[] = ["dice", "jaccard", "hd95", "asd"];

/** The Vega-Lite specification of the box plots (finite values only). */
export function boxPlotSpec(report: EvaluationReport): Record<string, unknown> {
  const unit = report.options.unit;
  const title = (m: SummaryMetric) => (unit === "voxel" ? METRIC_LABELS[m].replace("(mm)", "(voxels)") : METRIC_LABELS[m]);
  const values: { metric: string; class: string; case: string; value: number }[] = [];
  for (const c of report.cases) {
    for (const k of c.classes) {
      for (const m of PLOTTED_METRICS) if (Number.isFinite(k[m])) values.push({ metric: title(m), class: `${k.name}`, case: c.case, value: k[m] });
    }
  }
  const classes = report.classes.map((c) => c.name);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    background: "white",
    title: { text: `Per-case metrics (${report.cases.length} case${report.cases.length === 1 ? "" : "s"})`, anchor: "start" },
    data: { values },
    facet: { column: { field: "metric", type: "nominal", sort: PLOTTED_METRICS.map(title), title: null } },
    spec: {
      width: Math.max(80, 36 * classes.length),
      height: 220,
      layer: [
        {
          mark: { type: "boxplot", extent: 1.5, size: 22 },
          encoding: {
            x: { field: "class", type: "nominal", sort: classes, title: null, axis: { labelAngle: -35 } },
            y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
            color: { field: "class", type: "nominal", sort: classes, legend: null },
          },
        },
        {
          mark: { type: "point", filled: true, size: 14, opacity: 0.45, color: "#222" },
          encoding: {
            x: { field: "class", type: "nominal", sort: classes },
            y: { field: "value", type: "quantitative" },
          },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
    config: { font: "DejaVu Sans", view: { stroke: "#ccc" } },
  };
}

/** SVG text of the box plots. */
export async function renderBoxPlotSvg(report: EvaluationReport): Promise<string> {
  return renderVegaLiteSvg(boxPlotSpec(report));
}

/** SVG text of any Vega-Lite specification (headless: no browser, no canvas). */
export async function renderVegaLiteSvg(spec: Record<string, unknown>): Promise<string> {
  const [vega, vl] = await Promise.all([import("vega"), import("vega-lite")]);
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG(2);
  } finally {
    view.finalize();
  }
}

/**
 * The box plots as PNG bytes.
 * @example await writeFile("boxplots.png", await renderBoxPlotPng(report));
 */
export async function renderBoxPlotPng(report: EvaluationReport): Promise<Uint8Array> {
  return renderVegaLitePng(boxPlotSpec(report));
}

/**
 * Any Vega-Lite specification as PNG bytes (e.g. a benchmark's plot).
 * @example await writeFile("dice.png", await renderVegaLitePng({ mark: "bar", data: { values }, encoding }));
 */
export async function renderVegaLitePng(spec: Record<string, unknown>): Promise<Uint8Array> {
  const svg = await renderVegaLiteSvg(spec);
  const { Resvg } = await import("@resvg/resvg-js");
  // Generic families resolve to DejaVu (Debian's default fonts) so text renders the same everywhere.
  const r = new Resvg(svg, {
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  return new Uint8Array(r.render().asPng());
}


