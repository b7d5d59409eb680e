/**
 * Storage configuration: a zod schema (a discriminated union on `driver`), parsing from
 * `BERTH_STORAGE_*` variables, and the factory that builds the configured driver. An unknown
 * driver name is an error, never a fallback.
 */
import { ConfigError } from "@berth/config";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import type { StorageDriver } from "./driver.js";
import { FilesystemDriver } from "./filesystem-driver.js";
import { pathProblem } from "./paths.js";
import { MIN_PART_SIZE } from "./s3-common.js";

/** Names of the available drivers. */
export const storageDriverNames = ["filesystem", "s3"] as const;
/** One of {@link storageDriverNames}. */
export type StorageDriverName = (typeof storageDriverNames)[number];

/** Configuration of the filesystem driver. */
export const filesystemStorageConfigSchema = z.object({
  driver: z.literal("filesystem"),
  rootDirectory: z.string().refine(isAbsolute, "must be an absolute path"),
  /** The front proxy's internal location aliased to the root (see `FilesystemDriverOptions`). */
  internalRedirectLocation: z
    .string()
    .regex(/^\/(?:[A-Za-z0-9._-]+\/)+$/, "must be an nginx location path like /_berth_blobs/")
    .optional(),
});

/** Configuration of the S3 driver. */
export const s3StorageConfigSchema = z
  .object({
    driver: z.literal("s3"),
    bucket: z.string().min(3).max(63),
    region: z.string().min(1).default("us-east-1"),
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    forcePathStyle: z.boolean().default(false),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    rootDirectory: z
      .string()
      .default("")
      .transform((s) => s.replace(/^\/+|\/+$/g, ""))
      .refine((s) => s === "" || pathProblem(`/${s}`) === undefined, "must be slash-separated [A-Za-z0-9._-] segments"),
    chunkSize: z
      .number()
      .int()
      .min(MIN_PART_SIZE, "must be at least 5 MiB (5242880)")
      .max(5 * 1024 * 1024 * 1024)
      .default(10 * 1024 * 1024),
    redirect: z.boolean().default(false),
  })
  .refine((c) => (c.accessKeyId === undefined) === (c.secretAccessKey === undefined), {
    message: "set both the access key and the secret key, or neither",
    path: ["secretAccessKey"],
  });

/** Storage configuration: which driver, and its settings. */
export const storageConfigSchema = z.discriminatedUnion("driver", [filesystemStorageConfigSchema, s3StorageConfigSchema]);

/** Parsed storage configuration (defaults applied). */
export type StorageConfig = z.output<typeof storageConfigSchema>;
/** Storage configuration as written (defaults optional). */
export type StorageConfigInput = z.input<typeof storageConfigSchema>;

/** Which `BERTH_STORAGE_*` variable feeds which configuration field. */
export const storageEnvVars = {
  driver: "BERTH_STORAGE_DRIVER",
  rootDirectory: "BERTH_STORAGE_FILESYSTEM_ROOT",
  internalRedirectLocation: "BERTH_REGISTRY_ACCEL_REDIRECT",
  bucket: "BERTH_STORAGE_S3_BUCKET",
  region: "BERTH_STORAGE_S3_REGION",
  endpoint: "BERTH_STORAGE_S3_ENDPOINT",
  accessKeyId: "BERTH_STORAGE_S3_ACCESS_KEY",
  secretAccessKey: "BERTH_STORAGE_S3_SECRET_KEY",
  forcePathStyle: "BERTH_STORAGE_S3_FORCE_PATH_STYLE",
  s3RootDirectory: "BERTH_STORAGE_S3_ROOT_DIRECTORY",
  chunkSize: "BERTH_STORAGE_S3_CHUNK_SIZE",
  redirect: "BERTH_STORAGE_S3_REDIRECT",
} as const;

type Env = Record<string, string | undefined>;

function unknownDriver(name: string): ConfigError {
  return new ConfigError([
    `${storageEnvVars.driver}: unknown storage driver ${JSON.stringify(name)} (expected one of: ${storageDriverNames.join(", ")})`,
  ]);
}

/** Turn zod issues into a {@link ConfigError}, naming each field by `names[field]`. */
function configError(error: z.ZodError, names: Record<string, string>): ConfigError {
  return new ConfigError(
    error.issues.map((issue) => {
      const field = String(issue.path[0] ?? "");
      return `${names[field] ?? (field || "storage")}: ${issue.message}`;
    }),
  );
}

/**
 * Parse a storage configuration object (from a config file or a test). Throws
 * {@link ConfigError} listing every problem; an unknown `driver` is one of them.
 */
export function parseStorageConfig(input: unknown): StorageConfig {
  const driver = (input as { driver?: unknown } | null)?.driver;
  if (typeof driver === "string" && !(storageDriverNames as readonly string[]).includes(driver)) throw unknownDriver(driver);
  const result = storageConfigSchema.safeParse(input);
  if (!result.success) throw configError(result.error, {});
  return result.data;
}

/**
 * Storage configuration from `BERTH_STORAGE_*` variables of `env` (pass `process.env` from the
 * composition root; this never reads it itself). `BERTH_STORAGE_DRIVER` defaults to
 * `filesystem` when unset; any other value than `filesystem` or `s3` throws. Booleans are
 * `true`/`false`/`1`/`0`; the chunk size is in bytes. Every problem is reported at once.
 *
 * `BERTH_REGISTRY_ACCEL_REDIRECT` (filesystem only; the registry's setting — the local stack
 * gives it to the registry alone) names the nginx `internal` location aliased to the root, from
 * which nginx sends blob files itself (`FilesystemDriver.internalRedirect`).
 *
 * With `options.dataDir` (`BERTH_DATA_DIR`), a filesystem driver without
 * `BERTH_STORAGE_FILESYSTEM_ROOT` stores under `<dataDir>/registry` (resolved): the registry's
 * default. Every service that reads or deletes blobs (registry, core, jobservice) passes it, so
 * they all agree on where blobs live.
 */
export function storageConfigFromEnv(env: Env, options: { dataDir?: string } = {}): StorageConfig {
  const v = storageEnvVars;
  const driver = env[v.driver] ?? "filesystem";
  if (options.dataDir !== undefined && (driver === "filesystem" || driver === "") && !env[v.rootDirectory]) {
    env = { ...env, [v.driver]: "filesystem", [v.rootDirectory]: join(resolve(options.dataDir), "registry") };
    return storageConfigFromEnv(env);
  }
  const problems: string[] = [];
  const flag = (name: string): boolean | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    if (/^(true|1)$/i.test(raw)) return true;
    if (/^(false|0)$/i.test(raw)) return false;
    problems.push(`${name}: expected true or false, got ${JSON.stringify(raw)}`);
    return undefined;
  };
  const integer = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    if (/^\d+$/.test(raw)) return Number(raw);
    problems.push(`${name}: expected a whole number of bytes, got ${JSON.stringify(raw)}`);
    return undefined;
  };
  const text = (name: string): string | undefined => (env[name] === "" ? undefined : env[name]);
  let raw: Record<string, unknown>;
  let names: Record<string, string>;
  if (driver === "filesystem") {
    const internal = text(v.internalRedirectLocation);
    raw = { driver, rootDirectory: text(v.rootDirectory), ...(internal !== undefined && { internalRedirectLocation: internal }) };
    names = { driver: v.driver, rootDirectory: v.rootDirectory, internalRedirectLocation: v.internalRedirectLocation };
  } else if (driver === "s3") {
    raw = {
      driver,
      bucket: text(v.bucket),
      region: text(v.region),
      endpoint: text(v.endpoint),
      forcePathStyle: flag(v.forcePathStyle),
      accessKeyId: text(v.accessKeyId),
      secretAccessKey: text(v.secretAccessKey),
      rootDirectory: text(v.s3RootDirectory),
      chunkSize: integer(v.chunkSize),
      redirect: flag(v.redirect),
    };
    names = { ...v, rootDirectory: v.s3RootDirectory };
  } else {
    throw unknownDriver(driver);
  }
  const result = storageConfigSchema.safeParse(raw);
  if (!result.success) problems.push(...configError(result.error, names).problems);
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/**
 * Build the driver a configuration names; rejects with {@link ConfigError} on an invalid one. The
 * S3 driver's module (and the AWS SDK) is loaded only when S3 is configured.
 */
export async function createStorageDriver(config: StorageConfigInput): Promise<StorageDriver> {
  const parsed = parseStorageConfig(config);
  switch (parsed.driver) {
    case "filesystem":
      return new FilesystemDriver({ rootDirectory: parsed.rootDirectory, internalRedirectLocation: parsed.internalRedirectLocation });
    case "s3": {
      const { S3Driver } = await import("./s3-driver.js");
      return new S3Driver(parsed);
    }
    default: {
      const never: never = parsed;
      throw unknownDriver(String((never as { driver: unknown }).driver));
    }
  }
}

export { ConfigError };
