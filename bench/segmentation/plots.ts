// Vega-Lite specifications of the accuracy plots (rendered to PNG by src/evaluation's renderer):
// grouped bars of Dice per class and row, and Dice against the labelled fraction.

const BASE = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", background: "white", config: { font: "DejaVu Sans", view: { stroke: "#ccc" } } };

/** One bar: the mean Dice of `category` (a class) for `series` (a row/method), in panel `panel` (a dataset). */
export interface BarValue {
  readonly panel: string;
  readonly series: string;
  readonly category: string;
  readonly dice: number;
}

/** Grouped bars: one panel per dataset, classes on x, one bar per row. */
export function diceBarsSpec(title: string, values: readonly BarValue[], seriesOrder: readonly string[]): Record<string, unknown> {
  return {
    ...BASE,
    title: { text: title, anchor: "start" },
    data: { values },
    facet: { column: { field: "panel", type: "nominal", title: null } },
    spec: {
      width: { step: 14 },
      height: 220,
      mark: { type: "bar" },
      encoding: {
        x: { field: "category", type: "nominal", title: null, axis: { labelAngle: -35 } },
        xOffset: { field: "series", type: "nominal", sort: seriesOrder },
        y: { field: "dice", type: "quantitative", title: "Dice", scale: { domain: [0, 1] } },
        color: { field: "series", type: "nominal", sort: seriesOrder, title: "row", legend: { labelLimit: 400 } },
      },
    },
    resolve: { scale: { x: "independent" } },
  };
}

/** One point: a method's mean Dice at a labelled fraction (percent) on a dataset. */
export interface FractionValue {
  readonly dataset: string;
  readonly method: string;
  readonly labelledPercent: number;
  readonly dice: number;
}

/** Dice against the labelled fraction: one panel per dataset, one line per method. */
export function diceVsFractionSpec(title: string, values: readonly FractionValue[], methodOrder: readonly string[]): Record<string, unknown> {
  return {
    ...BASE,
    title: { text: title, anchor: "start" },
    data: { values },
    facet: { column: { field: "dataset", type: "nominal", title: null } },
    spec: {
      width: 260,
      height: 220,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "labelledPercent", type: "quantitative", title: "labelled training cases (%)", scale: { domain: [0, 100] } },
        y: { field: "dice", type: "quantitative", title: "mean Dice (validation)", scale: { zero: false } },
        color: { field: "method", type: "nominal", sort: methodOrder, title: "method" },
      },
    },
    resolve: { scale: { y: "independent" } },
  };
}
