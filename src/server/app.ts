// The labelwise web server: a fastify app over one dataset. Security defaults, in the order a
// request meets them: loopback binding (the CLI's default), a per-start random token on every
// request (page and assets included; constant-time check), request/connection/keep-alive
// timeouts, a small body limit and JSON only (the API takes no uploads), closed JSON schemas on
// every route (unknown properties are refused, not stripped), and no path built from anything a
// client sent: cases are looked up by id in the dataset listing, jobs by id in the job store, and
// page files in a list made at start-up.
import { createReadStream } from "node:fs";
import { fastify, type FastifyInstance, type FastifyReply } from "fastify";
import { TOKEN_HEADER, cookieName, newToken, presentedToken, tokenCookie, tokenMatches } from "./auth.js";
import type { ServerContext } from "./context.js";
import { DatasetService } from "./dataset-service.js";
import { labelwiseCommands } from "./jobs/commands.js";
import type { JobRecord } from "./jobs/job-types.js";
import { JobRunner, type JobCommandFactory } from "./jobs/runner.js";
import { MetricsService } from "./metrics-service.js";
import { boxRoutes } from "./routes/boxes.js";
import { caseRoutes } from "./routes/cases.js";
import { jobRoutes } from "./routes/jobs.js";
import { metricRoutes } from "./routes/metrics.js";
import { noQuery } from "./schemas.js";
import { PAGE_NOT_BUILT, PAGE_UNAUTHORIZED, defaultWebRoot, listStaticFiles, type StaticFile } from "./static-files.js";

/**
 * Training strategies offered when the caller names none. `labelwise serve` passes the training
 * registry's list; the server itself stays free of the engine.
 */
export const DEFAULT_STRATEGIES: readonly string[] = ["supervised"];

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** Dataset folder (holding dataset.json). */
  readonly dataset: string;
  /** Access token. @default a fresh random one */
  readonly token?: string;
  /** Folder of `<case>.nii.gz` predictions. @default `<dataset>/.labelwise/predictions` */
  readonly predictionsDir?: string;
  /** Root of the training jobs' work folders (`labelwise train --out`, one per job). @default `<dataset>/.labelwise/runs` */
  readonly runsDir?: string;
  /** Folder of the built page. @default dist/web of this installation */
  readonly webRoot?: string;
  /** Command lines of jobs. @default `labelwise train` / `predict` / `suggest` */
  readonly commandFor?: JobCommandFactory;
  /** Strategy names the training form offers. @default {@link DEFAULT_STRATEGIES} */
  readonly strategies?: readonly string[];
  /** One line per strategy name, shown beside the training form's choice. @default none */
  readonly strategySummaries?: Readonly<Record<string, string>>;
  /** The kinds of training case ("labelled", "unlabelled", "boxes") each strategy learns from. @default none */
  readonly strategyLearnsFrom?: Readonly<Record<string, readonly string[]>>;
  /** Largest request body (bytes). @default 262144 */
  readonly bodyLimit?: number;
  /** Idle time after which a connection is closed (ms). @default 60000 */
  readonly connectionTimeoutMs?: number;
  /** Time a client has to send a whole request (ms). @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Idle time of a kept-alive connection between requests (ms). @default 10000 */
  readonly keepAliveTimeoutMs?: number;
  /** Keep-alive comments on event streams (ms); must stay below the connection timeout. @default 15000 */
  readonly heartbeatMs?: number;
  /** How often job logs are read (ms). @default 200 */
  readonly jobPollMs?: number;
  /** Log requests (pino, to stdout). @default false */
  readonly logger?: boolean;
}

/** A created server, not yet listening. */
export interface LabelwiseServer {
  readonly app: FastifyInstance;
  readonly token: string;
  readonly service: DatasetService;
  readonly jobs: JobRunner;
  /** Starts listening; returns the URL to open (with the token). */
  listen(port: number, host: string): Promise<string>;
  /** Stops the server. Running jobs go on (a later server reconnects) unless `killJobs`. */
  close(opts?: { killJobs?: boolean }): Promise<void>;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' data: blob:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

function securityHeaders(reply: FastifyReply): void {
  void reply
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("x-frame-options", "DENY")
    .header("cross-origin-opener-policy", "same-origin")
    .header("cross-origin-resource-policy", "same-origin")
    .header("content-security-policy", CSP);
}

/** Label shown for a job in the server's own log line. */
const jobLine = (j: JobRecord) => `job ${j.id} ${j.status}${j.message ? `: ${j.message}` : ""}`;

/**
 * Creates the server for a dataset (opens the dataset and the job store; does not listen).
 * @throws ConfigError / DatasetError when the dataset cannot be opened.
 * @example
 * const s = await createServer({ dataset: "data/hippocampus" });
 * console.log(await s.listen(8765, "127.0.0.1"));
 */
export async function createServer(opts: ServerOptions): Promise<LabelwiseServer> {
  const token = opts.token ?? newToken();
  const cookie = cookieName(token);
  const service = await DatasetService.open(opts.dataset, {
    ...(opts.predictionsDir !== undefined ? { predictionsDir: opts.predictionsDir } : {}),
    ...(opts.runsDir !== undefined ? { runsDir: opts.runsDir } : {}),
  });
  const jobs = new JobRunner({
    jobsDir: service.jobsDir,
    commandFor: opts.commandFor ?? labelwiseCommands({ service }),
    pollMs: opts.jobPollMs ?? 200,
    onEnd: (j) => {
      service.invalidate();
      if (opts.logger) process.stdout.write(`${jobLine(j)}\n`);
    },
  });
  await jobs.init();
  const webRoot = opts.webRoot ?? defaultWebRoot();
  let staticFiles = await listStaticFiles(webRoot);

  const app = fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 256 * 1024,
    connectionTimeout: opts.connectionTimeoutMs ?? 60_000,
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 10_000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });

  const ctx: ServerContext = {
    service,
    jobs,
    metrics: new MetricsService(),
    strategies: opts.strategies ?? DEFAULT_STRATEGIES,
    strategySummaries: opts.strategySummaries ?? {},
    strategyLearnsFrom: opts.strategyLearnsFrom ?? {},
    heartbeatMs: opts.heartbeatMs ?? 15_000,
  };

  app.addHook("onRequest", async (req, reply) => {
    securityHeaders(reply);
    if (tokenMatches(token, presentedToken(req.headers, cookie))) return;
    // The printed URL's token is accepted on the page's address only, traded for the cookie.
    const isPage = req.method === "GET" && req.routeOptions.url === "/";
    if (isPage) {
      const given = (req.query as { token?: unknown } | undefined)?.token;
      if (typeof given === "string" && tokenMatches(token, given)) {
        void reply.header("set-cookie", tokenCookie(token)).header("cache-control", "no-store").redirect("/", 303);
        return reply;
      }
      void reply.code(401).type("text/html; charset=utf-8").send(PAGE_UNAUTHORIZED);
      return reply;
    }
    void reply.code(401).send({ error: "Unauthorized", message: `missing or wrong access token (open the URL labelwise serve printed, or send it as 'Authorization: Bearer …' or '${TOKEN_HEADER}')` });
    return reply;
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (err.validation) return reply.code(400).send({ error: "Bad Request", message: err.message });
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error(err);
    return reply.code(status).send({ error: status >= 500 ? "Internal Server Error" : "Request Error", message: err.message });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: "Not Found", message: "no such route" }));

  const sendFile = (reply: FastifyReply, f: StaticFile) =>
    reply
      .type(f.type)
      .header("content-length", String(f.size))
      .header("cache-control", "no-cache")
      .send(createReadStream(f.file));

  app.get(
    "/",
    {
      schema: {
        querystring: { type: "object", additionalProperties: false, properties: { token: { type: "string", maxLength: 512 } } },
      },
    },
    async (req, reply) => {
      // Already authorised but the token is still in the address: drop it from the URL.
      if ((req.query as { token?: string }).token !== undefined) return reply.header("cache-control", "no-store").redirect("/", 303);
      let index = staticFiles.get("/index.html");
      if (!index) {
        staticFiles = await listStaticFiles(webRoot);
        index = staticFiles.get("/index.html");
      }
      if (!index) return reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(PAGE_NOT_BUILT);
      return sendFile(reply, index);
    },
  );

  app.get<{ Params: { "*": string } }>(
    "/assets/*",
    {
      schema: {
        params: {
          type: "object",
          additionalProperties: false,
          properties: { "*": { type: "string", maxLength: 200, pattern: "^[A-Za-z0-9_-][A-Za-z0-9._-]*$" } },
        },
        querystring: noQuery,
      },
    },
    async (req, reply) => {
      const f = staticFiles.get(`/assets/${req.params["*"]}`);
      if (!f) return reply.code(404).send({ error: "Not Found", message: "no such file" });
      return sendFile(reply, f);
    },
  );

  app.get("/favicon.ico", { schema: { querystring: noQuery } }, async (_req, reply) => reply.code(204).send());

  caseRoutes(app, ctx);
  boxRoutes(app, ctx);
  metricRoutes(app, ctx);
  jobRoutes(app, ctx);
  await app.ready();

  return {
    app,
    token,
    service,
    jobs,
    async listen(port: number, host: string): Promise<string> {
      await app.listen({ port, host });
      const addr = app.server.address();
      const actual = typeof addr === "object" && addr !== null ? addr.port : port;
      const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
      return `http://${shown}:${actual}/?token=${token}`;
    },
    async close(o: { killJobs?: boolean } = {}): Promise<void> {
      await jobs.close(o.killJobs ? { kill: true } : {});
      await app.close();
    },
  };
}
