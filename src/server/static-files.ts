// The page's built files (vite output, `dist/web`). They are listed once at start-up into a map
// from URL path to file; a request only selects an entry of that map, so no request path is ever
// joined onto a folder.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** A servable file. */
export interface StaticFile {
  readonly file: string;
  readonly type: string;
  readonly size: number;
}

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** Where the page build lands: `dist/web` beside the compiled server (`dist/src/server`). */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL("../../web/", import.meta.url));
}

/**
 * Lists the built page: URL path ("/index.html", "/assets/x.js") -> file. Empty when the page was
 * not built (the server then explains how to build it).
 */
export async function listStaticFiles(root: string): Promise<Map<string, StaticFile>> {
  const out = new Map<string, StaticFile>();
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (depth > 4) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) await walk(abs, `${prefix}${e.name}/`, depth + 1);
      else if (e.isFile()) {
        const type = TYPES[path.extname(e.name).toLowerCase()];
        if (type) out.set(`${prefix}${e.name}`, { file: abs, type, size: (await stat(abs)).size });
      }
    }
  };
  await walk(root, "/", 0);
  return out;
}

/** Shown instead of the page when `dist/web` holds no index.html. */
export const PAGE_NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>labelwise</title>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>The labelwise page is not built</h1>
<p>The API is running, but the page's files are missing. Build them with</p>
<pre>npm run build:web</pre>
<p>(or <code>npm run build</code>, which builds both) and reload this page.</p>`;

/** Shown to a browser without the token. */
export const PAGE_UNAUTHORIZED = `<!doctype html><meta charset="utf-8"><title>labelwise: access token needed</title>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Access token needed</h1>
<p>Open the full URL that <code>labelwise serve</code> printed in its terminal: it carries the access token
(<code>…/?token=…</code>). The token changes every time the server starts.</p>`;
