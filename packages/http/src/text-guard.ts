/**
 * Text PostgreSQL cannot store — a NUL character, or a lone UTF-16 surrogate (not well-formed
 * Unicode; the driver would silently turn it into U+FFFD) — is refused at the edge with a 400,
 * once, for every route of every service: in the path, in query parameters (names and values)
 * and in string fields anywhere in a JSON body (keys too). Without this, such input reaches SQL
 * and ends in a 500 (`invalid byte sequence for encoding "UTF8": 0x00`).
 */
import type { Request, RequestHandler } from "express";
import { sendEdgeError } from "./edge-errors.js";

/** Why `value` cannot be stored as PostgreSQL text, or `undefined` when it can. */
export function unstorableTextProblem(value: string): string | undefined {
  if (value.includes("\0")) return "contains a NUL character";
  if (!value.isWellFormed()) return "is not well-formed Unicode (a lone surrogate)";
  return undefined;
}

/** Keeps user input out of error messages beyond a short, printable prefix. */
function label(name: string): string {
  const printable = name.replace(/[\0-\x1f\x7f]/g, "?").replace(/[\ud800-\udfff]/g, "?");
  return JSON.stringify(printable.length > 64 ? `${printable.slice(0, 64)}…` : printable);
}

/**
 * The first unstorable string in a parsed JSON value (keys and values, depth first), as
 * `<where> <problem>`; `undefined` when every string is storable.
 */
export function findUnstorableText(value: unknown, where = "body"): string | undefined {
  // An explicit stack: a deeply nested body must not overflow the call stack.
  const stack: [unknown, string][] = [[value, where]];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === "string") {
      const problem = unstorableTextProblem(v);
      if (problem) return `${at} ${problem}`;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}[${i}]`]);
    } else if (v !== null && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        const keyProblem = unstorableTextProblem(k);
        if (keyProblem) return `a field name in ${at} ${keyProblem}`;
        stack.push([child, `${at}.${k.length > 64 ? `${k.slice(0, 64)}…` : k}`]);
      }
    }
  }
  return undefined;
}

/** The path's segments, percent-decoded where they decode (malformed ones are the routes' business). */
function pathProblem(path: string): string | undefined {
  if (!path.includes("%")) return undefined;
  for (const segment of path.split("/")) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      continue;
    }
    const problem = unstorableTextProblem(decoded);
    if (problem) return `the path ${problem}`;
  }
  return undefined;
}

function queryProblem(req: Request): string | undefined {
  if (!req.url.includes("?")) return undefined;
  const query = req.query as Record<string, unknown>;
  for (const [name, value] of Object.entries(query)) {
    const nameProblem = unstorableTextProblem(name);
    if (nameProblem) return `a query parameter name ${nameProblem}`;
    const found = findUnstorableText(value, `query parameter ${label(name)}`);
    if (found) return found;
  }
  return undefined;
}

/** Refuses requests whose path or query holds unstorable text (see the module comment). */
export function rejectUnstorableText(): RequestHandler {
  return (req, res, next) => {
    const problem = pathProblem(req.path) ?? queryProblem(req);
    if (problem === undefined) return next();
    sendEdgeError(req, res, 400, "BAD_REQUEST", `${problem}; such text cannot be stored`);
  };
}

/** Refuses parsed JSON bodies holding unstorable text; install right after the JSON parser. */
export function rejectUnstorableBody(): RequestHandler {
  return (req, res, next) => {
    const problem = req.body === undefined ? undefined : findUnstorableText(req.body);
    if (problem === undefined) return next();
    sendEdgeError(req, res, 400, "BAD_REQUEST", `${problem}; such text cannot be stored`);
  };
}
