#!/usr/bin/env node
// The labelwise command line; the implementation is compiled TypeScript in dist/.
// LABELWISE_DIST (development) points it at another build folder, e.g. a parallel `tsc --outDir`.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = process.env.LABELWISE_DIST ? path.resolve(root, process.env.LABELWISE_DIST) : path.join(root, "dist");
const main = path.join(dist, "src", "cli", "main.js");
if (!existsSync(main)) {
  console.error(`labelwise is not built yet (missing ${main}): run \`npm run build\` (and \`npm run build:native\` for the engine).`);
  process.exit(1);
}
const { run } = await import(pathToFileURL(main).href);
process.exitCode = await run(process.argv);
