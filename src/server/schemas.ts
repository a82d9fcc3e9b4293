// JSON schemas shared by the routes. Every object schema is closed (additionalProperties: false)
// and the validator is configured to refuse, not strip, unknown properties.
import { CASE_ID_PATTERN } from "./dataset-service.js";
import { JOB_ID_PATTERN } from "./jobs/job-types.js";

export const errorSchema = {
  type: "object",
  properties: {
    error: { type: "string" },
    message: { type: "string" },
    problems: { type: "array", items: { type: "string" } },
  },
} as const;

/** Error responses every route may give. */
export const errorResponses = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 500: errorSchema } as const;

export const caseParams = {
  type: "object",
  additionalProperties: false,
  required: ["id"],
  properties: { id: { type: "string", pattern: CASE_ID_PATTERN } },
} as const;

export const jobParams = {
  type: "object",
  additionalProperties: false,
  required: ["id"],
  properties: { id: { type: "string", pattern: JOB_ID_PATTERN } },
} as const;

/** Routes without a query string still refuse one. */
export const noQuery = { type: "object", additionalProperties: false, properties: {} } as const;

const vec3 = { type: "array", minItems: 3, maxItems: 3, items: { type: "number" } } as const;
const ivec3 = { type: "array", minItems: 3, maxItems: 3, items: { type: "integer", minimum: -1e7, maximum: 1e7 } } as const;

export const annotationEnum = { type: "string", enum: ["labelled", "unlabelled", "boxes"] } as const;

export const caseSummarySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    id: { type: "string" },
    split: { type: "string" },
    annotation: { type: "string" },
    channels: { type: "integer" },
    hasLabel: { type: "boolean" },
    hasBoxes: { type: "boolean" },
    hasPrediction: { type: "boolean" },
  },
} as const;

/** A box as the page sends it: organ name and voxel index ranges (min inclusive, max exclusive). */
export const boxInputSchema = {
  type: "object",
  additionalProperties: false,
  required: ["label", "voxel"],
  properties: {
    label: { type: "string", minLength: 1, maxLength: 200 },
    voxel: {
      type: "object",
      additionalProperties: false,
      required: ["min", "max"],
      properties: { min: ivec3, max: ivec3 },
    },
  },
} as const;

/** A stored box with both coordinate forms. */
export const boxOutputSchema = {
  type: "object",
  properties: {
    label: { type: "string" },
    value: { type: "integer" },
    voxel: { type: "object", properties: { min: vec3, max: vec3 } },
    world: { type: "object", properties: { min: vec3, max: vec3 } },
  },
} as const;

export const boxesResponseSchema = {
  type: "object",
  properties: {
    case: { type: "string" },
    exists: { type: "boolean" },
    shape: vec3,
    boxes: { type: "array", items: boxOutputSchema },
    problems: { type: "array", items: { type: "string" } },
    annotation: { type: "string" },
  },
} as const;

export const jobRecordSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    kind: { type: "string" },
    spec: { type: "object", additionalProperties: true },
    status: { type: "string" },
    createdAt: { type: "string" },
    endedAt: { type: ["string", "null"] },
    pid: { type: ["integer", "null"] },
    outputDir: { type: ["string", "null"] },
    runDir: { type: ["string", "null"] },
    exitCode: { type: ["integer", "null"] },
    signal: { type: ["string", "null"] },
    cancelRequested: { type: "boolean" },
    progress: { type: ["number", "null"] },
    lastLoss: { type: ["number", "null"] },
    message: { type: "string" },
  },
} as const;

/** A JSON-schema number that may be null (a metric with no value). */
export const numberOrNull = { type: ["number", "null"] } as const;

/** A suggest job's ranking (GET /api/jobs/:id/suggestions). */
export const suggestionsSchema = {
  type: "object",
  properties: {
    job: { type: "string" },
    model: { type: "string" },
    measure: { type: "string" },
    committee: { type: "string" },
    members: { type: "array", items: { type: "string" } },
    ranking: {
      type: "array",
      items: {
        type: "object",
        properties: {
          rank: { type: "integer" },
          id: { type: "string" },
          score: numberOrNull,
          js: numberOrNull,
          kl: numberOrNull,
          dice: numberOrNull,
          foregroundMl: numberOrNull,
          annotation: { type: ["string", "null"] },
        },
      },
    },
    failed: { type: "array", items: { type: "object", properties: { id: { type: "string" }, error: { type: "string" } } } },
  },
} as const;
