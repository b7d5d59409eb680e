/**
 * Logical paths: slash-separated, absolute, each segment made of `[A-Za-z0-9._-]` and not `.` or
 * `..`. The root is `/`. Drivers map logical paths to their backend (a directory, a key prefix);
 * names outside this alphabet (for instance starting with `~`) are free for a driver's own
 * bookkeeping and are never listed.
 */
import { InvalidPathError } from "./errors.js";

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Whether `name` can be one segment of a logical path. */
export function isValidSegment(name: string): boolean {
  return SEGMENT.test(name) && name !== "." && name !== "..";
}

/** Why `path` is not a valid logical path, or `undefined` when it is. */
export function pathProblem(path: string, options: { allowRoot?: boolean } = {}): string | undefined {
  if (typeof path !== "string") return "not a string";
  if (path === "/") return options.allowRoot ? undefined : "the root is not a file";
  if (!path.startsWith("/")) return "must start with /";
  if (path.length > 4096) return "longer than 4096 characters";
  const segments = path.slice(1).split("/");
  for (const segment of segments) {
    if (segment === "") return "empty segment (// or trailing /)";
    if (segment === "." || segment === "..") return `segment ${JSON.stringify(segment)} is not allowed`;
    if (!SEGMENT.test(segment)) return `segment ${JSON.stringify(segment)} has characters outside [A-Za-z0-9._-]`;
  }
  return undefined;
}

/**
 * Throw {@link InvalidPathError} unless `path` is a valid logical path. `allowRoot` admits `/`
 * (for list, walk and stat of the whole store).
 */
export function validatePath(path: string, options: { allowRoot?: boolean; driverName?: string } = {}): string {
  const problem = pathProblem(path, options);
  if (problem !== undefined) throw new InvalidPathError(path, problem, options.driverName);
  return path;
}

/** Whether `path` is a valid logical path (the root included). */
export function isValidPath(path: string): boolean {
  return pathProblem(path, { allowRoot: true }) === undefined;
}

/** Join a valid logical directory path and a relative part: `joinPath("/", "a")` is `/a`. */
export function joinPath(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

/** The parent of a logical path (`/` for top-level entries). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}
