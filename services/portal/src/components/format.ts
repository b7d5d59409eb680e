export function formatBytes(n: number | undefined): string {
  if (n === undefined || n < 0) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** A time as the browser's locale shows it; "never" for Go's zero time Harbor sends for "never". */
export function formatTime(iso: string | undefined | null, never = "—"): string {
  if (!iso || iso.startsWith("0001-01-01")) return never;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function shortDigest(digest: string | undefined): string {
  return digest ? digest.replace(/^sha256:/, "sha256:").slice(0, 19) : "";
}
