/**
 * Berth's images: one per service, the compose file's `prepare` step, and Berth's own
 * PostgreSQL and Redis — all from `debian:bookworm-slim` (docs/deploy-compose.md).
 */

/** How an image's build context is made. */
export type ImageRecipe =
  /** `deploy/docker/node/Dockerfile` with the Node binary and `pnpm deploy --prod` of `workspacePackage`. */
  | { kind: "node"; workspacePackage: string; /** also install optional dependencies (the Prisma CLI, for migrations) */ withMigrations?: boolean }
  /** `deploy/docker/proxy/` with the nginx template, its renderer and the portal's build (`services/proxy/html`). */
  | { kind: "proxy" }
  /** A folder of `deploy/docker/` as it is. */
  | { kind: "folder"; folder: string };

export interface ImageSpec {
  /** The image is `<prefix>/<name>:<version>`; also the compose service's name. */
  name: string;
  recipe: ImageRecipe;
}

/** In build order: the images that share nothing first, then the Node ones (which share the runtime stage). */
export const IMAGES: readonly ImageSpec[] = [
  { name: "postgres", recipe: { kind: "folder", folder: "postgres" } },
  { name: "redis", recipe: { kind: "folder", folder: "redis" } },
  { name: "proxy", recipe: { kind: "proxy" } },
  { name: "log-collector", recipe: { kind: "node", workspacePackage: "@berth/log-collector" } },
  { name: "core", recipe: { kind: "node", workspacePackage: "@berth/core" } },
  { name: "registry", recipe: { kind: "node", workspacePackage: "@berth/registry" } },
  { name: "jobservice", recipe: { kind: "node", workspacePackage: "@berth/jobservice" } },
  { name: "scanner-adapter", recipe: { kind: "node", workspacePackage: "@berth/scanner-adapter" } },
  { name: "prepare", recipe: { kind: "node", workspacePackage: "@berth/deploy-docker", withMigrations: true } },
];

export const IMAGE_NAMES = IMAGES.map((i) => i.name);

/** `<prefix>/<name>:<version>`. */
export function imageTag(name: string, version: string, prefix = "berth"): string {
  return `${prefix}/${name}:${version}`;
}
