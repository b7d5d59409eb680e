/**
 * Debian version comparison (deb-version(7)), a port of dpkg's `verrevcmp`: epoch, then upstream
 * version, then revision; within each, non-digit runs compare with `~` before everything (even
 * the end), letters before non-letters; digit runs compare numerically. No maintained npm package
 * implements it (the one published is a loose approximation), so it lives here, tested against
 * dpkg's own `--compare-versions` cases.
 */

function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === "~") return -1;
  if (/[0-9]/.test(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !/[0-9]/.test(a[i]!)) || (j < b.length && !/[0-9]/.test(b[j]!))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    while (i < a.length && j < b.length && /[0-9]/.test(a[i]!) && /[0-9]/.test(b[j]!)) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && /[0-9]/.test(a[i]!)) return 1;
    if (j < b.length && /[0-9]/.test(b[j]!)) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

function split(v: string): { epoch: number; upstream: string; revision: string } {
  const colon = v.indexOf(":");
  const epoch = colon > 0 ? Number(v.slice(0, colon)) || 0 : 0;
  const rest = colon > 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf("-");
  return dash >= 0 ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { epoch, upstream: rest, revision: "" };
}

/** Negative, zero or positive as `a` sorts before, with or after `b` (dpkg's order). */
export function compareDpkg(a: string, b: string): number {
  const x = split(a.trim());
  const y = split(b.trim());
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  return Math.sign(verrevcmp(x.upstream, y.upstream)) || Math.sign(verrevcmp(x.revision, y.revision));
}
