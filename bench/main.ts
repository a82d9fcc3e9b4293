// Benchmark entry: `node dist/bench/main.js <suite> [--quick] [--only row[,row]] [--fresh] [--rounds N] [--iterations N]`
// (or `npm run bench -- <suite> ...`). Each suite saves its parts under bench/results/<suite>/ and
// prints a Markdown report whose last line is the suite's RESULT line.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { engineSuite } from "./engine/suite.js";
import type { Suite } from "./harness/index.js";
import { hippocampusSuite } from "./hippocampus/suite.js";
import { semiSuite } from "./semi/suite.js";
import { weakSuite } from "./weak/suite.js";

/** Suites by name. */
const SUITES: ReadonlyMap<string, Suite> = new Map([engineSuite, hippocampusSuite, semiSuite, weakSuite].map((s) => [s.name, s]));

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function usage(): string {
  const names = [...SUITES.values()].map(
    (s) => `  ${s.name.padEnd(12)} ${s.description}\n               rows: ${s.rows.join(", ")}${(s.help ?? []).map((h) => `\n               ${h}`).join("")}`,
  );
  return [
    "usage: node dist/bench/main.js <suite> [--quick] [--only <row>[,<row>...]] [--fresh] [--rounds N] [--iterations N]",
    "       npm run bench -- <suite> [options]",
    "",
    "suites:",
    ...names,
    "",
    "options:",
    "  --quick       a short run (timing: fewer rounds and steps; accuracy: smaller networks, fewer iterations, rows and",
    "                cases, as each suite lists above), saved apart (parts/<row>.quick.json, report.quick.*)",
    "  --only ROW    run only these rows (repeatable or comma-separated); the report merges all saved parts",
    "  --fresh       re-run parts that are already saved instead of skipping them",
    "  --rounds N    timing suites (engine): rounds per row (each round runs every side once, alternating the order)",
    "  --iterations N  accuracy suites (hippocampus, semi, weak): training iterations of every row instead of the suite's",
    "                (rounded to whole epochs of the row's epoch length, 100 in full runs)",
    "                (a row whose iterations change is trained again; --quick keeps its own smaller settings otherwise)",
    "",
    "Accuracy suites train under bench/work/ (git-ignored; plans and caches shared per dataset); Ctrl-C stops at the next",
    "iteration with a checkpoint and the same command resumes. Parts and reports: bench/results/<suite>/.",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string", multiple: true },
        fresh: { type: "boolean", default: false },
        rounds: { type: "string" },
        iterations: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n\n${usage()}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage());
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`bench: give exactly one suite name. Received: ${positionals.length ? positionals.join(" ") : "none"}\n\n${usage()}`);
    return 2;
  }
  const name = positionals[0] as string;
  const suite = SUITES.get(name);
  if (!suite) {
    console.error(`bench: unknown suite "${name}". Known suites: ${[...SUITES.keys()].join(", ")}.\n\n${usage()}`);
    return 2;
  }
  const only = (values.only ?? []).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  const unknownRows = only.filter((r) => !suite.rows.includes(r));
  if (unknownRows.length) {
    console.error(`bench: suite "${name}" has no row ${unknownRows.map((r) => `"${r}"`).join(", ")}. Rows: ${suite.rows.join(", ")}.`);
    return 2;
  }
  let rounds: number | undefined;
  if (values.rounds !== undefined) {
    rounds = Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1) {
      console.error(`bench: --rounds needs a positive integer. Received: ${values.rounds}`);
      return 2;
    }
  }
  let iterations: number | undefined;
  if (values.iterations !== undefined) {
    iterations = Number(values.iterations);
    if (!Number.isInteger(iterations) || iterations < 1) {
      console.error(`bench: --iterations needs a positive integer. Received: ${values.iterations}`);
      return 2;
    }
  }
  return suite.run({ quick: values.quick ?? false, only, fresh: values.fresh ?? false, rounds, iterations, root });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
