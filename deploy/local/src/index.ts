/**
 * Berth's local stack: the processes `npm start` runs, and pieces the test driver reuses
 * (a private PostgreSQL and Redis for integration tests).
 */
export { LocalStack, startStack, type RunningStack, type StackExit, type StackOptions, type StackPorts } from "./stack.js";
export { startPostgres, type PostgresOptions, type RunningPostgres } from "./postgres.js";
export { startRedis, type RedisOptions, type RunningRedis } from "./redis.js";
export { loadLocalConfig, type LocalStackConfig } from "./config.js";
export { generatePassword, resolveAdminPassword } from "./admin-secret.js";
export { parseTrustedProxies, renderProxyConfig, renderTemplate, type ProxyConfigOptions } from "./nginx.js";
export { pickFreeTcpPort, pickFreeUdpPort } from "./ports.js";
export { ProcessSupervisor, isAlive, processGroupMembers, processStartTime } from "./process-supervisor.js";
export { lineReader, terminalOutput, type ChildLine, type Level, type LineFormat } from "./child-output.js";
export { RestartPolicy, type RestartPolicyOptions } from "./restart-policy.js";
export { postgresBinDir, findExecutable } from "./binaries.js";
export { SERVICE_NAMES, type ServiceName } from "./services.js";
