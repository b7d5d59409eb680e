import { backendConfig, z, parseConfig, serviceEnv, databaseEnv, redisEnv } from "@berth/config";

const schema = z.object({ ...serviceEnv, ...databaseEnv, ...redisEnv }).transform((env) => ({
  ...backendConfig(env),
}));

export type ScannerAdapterConfig = z.output<typeof schema>;

export function loadConfig(env: Record<string, string | undefined>): ScannerAdapterConfig {
  return parseConfig(schema, env);
}
