/**
 * Alpine (apk) version comparison: `digits{.digits}[letter]{_suffix[digits]}[-r<rev>]`, with
 * suffixes ordered `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`, as
 * apk-tools' `apk_version_compare`. No maintained npm package implements it.
 */

const PRE = ["alpha", "beta", "pre", "rc"];
const POST = ["cvs", "svn", "git", "hg", "p"];

interface ApkVersion {
  numbers: number[];
  letter: string;
  suffixes: { rank: number; n: number }[];
  revision: number;
}

function parse(v: string): ApkVersion {
  const m = /^([0-9]+(?:\.[0-9]+)*)([a-z]?)((?:_[a-z]+[0-9]*)*)(?:~[0-9a-f]+)?(?:-r([0-9]+))?$/.exec(v.trim());
  if (!m) return { numbers: (v.match(/[0-9]+/g) ?? []).map(Number), letter: "", suffixes: [], revision: 0 };
  const suffixes = [...(m[3] ?? "").matchAll(/_([a-z]+)([0-9]*)/g)].map((s) => {
    const pre = PRE.indexOf(s[1]!);
    const post = POST.indexOf(s[1]!);
    return { rank: pre >= 0 ? pre - PRE.length : post >= 0 ? post + 1 : 0, n: Number(s[2] || 0) };
  });
  return { numbers: m[1]!.split(".").map(Number), letter: m[2] ?? "", suffixes, revision: Number(m[4] ?? 0) };
}

/** Negative, zero or positive as `a` sorts before, with or after `b` (apk's order). */
export function compareApk(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.numbers.length, y.numbers.length); i++) {
    const d = (x.numbers[i] ?? -1) - (y.numbers[i] ?? -1);
    if (d !== 0) return Math.sign(d);
  }
  if (x.letter !== y.letter) return x.letter < y.letter ? -1 : 1;
  for (let i = 0; i < Math.max(x.suffixes.length, y.suffixes.length); i++) {
    const s = x.suffixes[i] ?? { rank: 0, n: 0 };
    const t = y.suffixes[i] ?? { rank: 0, n: 0 };
    if (s.rank !== t.rank) return Math.sign(s.rank - t.rank);
    if (s.n !== t.n) return Math.sign(s.n - t.n);
  }
  return Math.sign(x.revision - y.revision);
}
