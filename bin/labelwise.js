#!/usr/bin/env node
// The labelwise command line; the implementation is compiled TypeScript in dist/.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error("labelwise is not built yet: run `npm run build` (and `npm run build:native` for the engine).");
  process.exit(1);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv);
