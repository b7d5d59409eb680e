/**
 * RPM version comparison: `[epoch:]version-release`, each part by rpm's `rpmvercmp` (alternating
 * alphabetic and numeric segments; `~` sorts before everything, `^` after the end but before
 * anything else). No maintained npm package implements it.
 */

function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const sep = /[^A-Za-z0-9~^]/;
  while (i < a.length || j < b.length) {
    while (i < a.length && sep.test(a[i]!)) i++;
    while (j < b.length && sep.test(b[j]!)) j++;
    if (a[i] === "~" || b[j] === "~") {
      if (a[i] !== "~") return 1;
      if (b[j] !== "~") return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === "^" || b[j] === "^") {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== "^") return 1;
      if (b[j] !== "^") return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = /[0-9]/.test(a[i]!);
    const re = numeric ? /^[0-9]+/ : /^[A-Za-z]+/;
    const x = re.exec(a.slice(i))?.[0] ?? "";
    const y = re.exec(b.slice(j))?.[0] ?? "";
    if (y === "") return numeric ? 1 : -1;
    i += x.length;
    j += y.length;
    if (numeric) {
      const xs = x.replace(/^0+/, "");
      const ys = y.replace(/^0+/, "");
      if (xs.length !== ys.length) return xs.length > ys.length ? 1 : -1;
      if (xs !== ys) return xs > ys ? 1 : -1;
    } else if (x !== y) {
      return x > y ? 1 : -1;
    }
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

function split(v: string): { epoch: number; version: string; release: string } {
  const colon = v.indexOf(":");
  const epoch = colon > 0 ? Number(v.slice(0, colon)) || 0 : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf("-");
  return dash >= 0 ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { epoch, version: rest, release: "" };
}

/** Negative, zero or positive as `a` sorts before, with or after `b` (rpm's order). */
export function compareRpm(a: string, b: string): number {
  const x = split(a.trim());
  const y = split(b.trim());
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  const v = rpmvercmp(x.version, y.version);
  if (v !== 0 || x.release === "" || y.release === "") return v;
  return rpmvercmp(x.release, y.release);
}
