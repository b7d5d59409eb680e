// Scanning helpers for e2e: synthetic OSV fixtures (ids say SYNTHETIC), a loopback webhook
// receiver, the built-in adapter's API (its key derived from the stack's data key, as core does),
// and validators built from the published specs: the Pluggable Scanner API's OpenAPI document
// (openapi-response-validator), SPDX 2.3's JSON schema and CycloneDX 1.5's (ajv).
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import OpenAPIResponseValidatorModule from "openapi-response-validator";
import { parse as parseYaml } from "yaml";
import { DataKey } from "@berth/secrets";

const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const OpenAPIResponseValidator = (OpenAPIResponseValidatorModule as unknown as { default?: unknown }).default ?? OpenAPIResponseValidatorModule;

/** The specifications the tests validate against, kept in the repository (e2e/specs/README.md). */
export const SPECS_DIR = join(import.meta.dirname, "..", "..", "specs");

/** An OSV record written for a test: its id must start with SYNTHETIC so no one takes it for a real advisory. */
export interface SyntheticAdvisory {
  id: `SYNTHETIC-${string}`;
  ecosystem: string;
  name: string;
  introduced?: string;
  fixed?: string;
  lastAffected?: string;
  cvss?: string;
  rating?: string;
  summary?: string;
}

export function osvRecord(a: SyntheticAdvisory): Record<string, unknown> {
  const events: Record<string, string>[] = [{ introduced: a.introduced ?? "0" }];
  if (a.fixed) events.push({ fixed: a.fixed });
  if (a.lastAffected) events.push({ last_affected: a.lastAffected });
  return {
    schema_version: "1.6.0",
    id: a.id,
    modified: "2026-01-01T00:00:00Z",
    published: "2026-01-01T00:00:00Z",
    summary: a.summary ?? `Synthetic advisory for ${a.name} (written for Berth's tests; not a real vulnerability)`,
    details: `SYNTHETIC test record: ${a.name} in ${a.ecosystem}. Not a real vulnerability.`,
    ...(a.cvss && { severity: [{ type: a.cvss.startsWith("CVSS:4") ? "CVSS_V4" : "CVSS_V3", score: a.cvss }] }),
    affected: [{ package: { ecosystem: a.ecosystem, name: a.name }, ranges: [{ type: "ECOSYSTEM", events }], ...(a.rating && { ecosystem_specific: { severity: a.rating } }) }],
    references: [{ type: "WEB", url: `https://example.invalid/synthetic/${a.id}` }],
    database_specific: { cwe_ids: ["CWE-000"] },
  };
}

export const CVSS_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"; // 9.8
export const CVSS_HIGH = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"; // 7.5
export const CVSS_MEDIUM = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N"; // 5.4

/** Collects what webhook targets receive. */
export class WebhookReceiver {
  readonly received: { headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        this.received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> });
      } catch {
        /* not JSON: ignored */
      }
      res.writeHead(200).end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

/** The built-in adapter's API key of a stack: derived from its data key, as core and the adapter derive it. */
export function adapterApiKey(dataDir: string): string {
  return DataKey.fromBytes(readFileSync(join(dataDir, "secrets", "data-key"))).derive("scanner-adapter:api-key");
}

/** Validates responses against the Pluggable Scanner API v1.2 (status and content type as the spec lists them). */
export class ScannerApiSpec {
  readonly #doc = parseYaml(readFileSync(join(SPECS_DIR, "pluggable-scanner-api-v1.2.yaml"), "utf8")) as {
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
    components: unknown;
  };

  /** Problems of a response of `method path` (spec path, e.g. `/scan/{scan_request_id}/report`); empty when valid. */
  check(method: string, path: string, status: number, contentType: string | null, body: unknown): string[] {
    const op = this.#doc.paths[path]?.[method.toLowerCase()];
    if (!op) return [`no operation ${method} ${path} in the spec`];
    const response = op.responses[String(status)];
    if (!response) return [`status ${status} is not a response of ${method} ${path}`];
    if (!response.content) return [];
    const media = Object.entries(response.content).find(([type]) => type.replace(/\s/g, "") === (contentType ?? "").replace(/\s/g, ""));
    if (!media) return [`content type ${contentType} is not one of ${Object.keys(response.content).join(" | ")}`];
    const Validator = OpenAPIResponseValidator as new (args: unknown) => { validateResponse(status: number, body: unknown): { errors?: { message: string; path?: string }[] } | undefined };
    const validator = new Validator({ responses: { [String(status)]: { description: "", schema: media[1].schema } }, components: this.#doc.components });
    return (validator.validateResponse(status, body)?.errors ?? []).map((e) => `${e.path ?? ""} ${e.message}`);
  }
}

/** SPDX 2.3's published JSON schema (draft-07), compiled once. */
export function spdxValidator(): (doc: unknown) => string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(join(SPECS_DIR, "spdx-2.3-schema.json"), "utf8")) as object);
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

/** CycloneDX 1.5's JSON schema, as @cyclonedx/cyclonedx-library ships it (with the SPDX and JSF schemas it references). */
export function cyclonedxValidator(): (doc: unknown) => string[] {
  const dir = join(dirname(require.resolve("@cyclonedx/cyclonedx-library/package.json")), "res", "schema");
  const load = (f: string) => JSON.parse(readFileSync(join(dir, f), "utf8")) as { $id?: string };
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  addFormats(ajv);
  // The BOM schema refers to its neighbours by their file names, relative to its own $id.
  for (const f of ["spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"]) {
    const { $id: _id, ...schema } = load(f);
    ajv.addSchema(schema, `http://cyclonedx.org/schema/${f}`);
  }
  const validate = ajv.compile(load("bom-1.5.SNAPSHOT.schema.json"));
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

/** The claims of a JWT (not verified: the test only reads what Berth put in). */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
}
