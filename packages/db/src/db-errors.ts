/**
 * Recognising database errors the same way whichever client raised them: Prisma's known request
 * errors carry Prisma codes (`P2002`; a raw query's failure is `P2010`, or `P2039`, with the driver
 * adapter's error, PostgreSQL's SQLSTATE in `cause.originalCode`), `pg` errors the SQLSTATE itself.
 */

const codeOf = (err: unknown): unknown => (typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined);
const sqlStateOf = (err: unknown): unknown => {
  const code = codeOf(err);
  if (code !== "P2010" && code !== "P2039") return code;
  const adapterError = (err as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } }).meta?.driverAdapterError;
  return adapterError?.cause?.originalCode;
};

/** A unique constraint refused the write (Prisma `P2002`, PostgreSQL `23505` from pg or a Prisma raw query). */
export function isUniqueViolation(err: unknown): boolean {
  const code = codeOf(err);
  return code === "P2002" || sqlStateOf(err) === "23505";
}

/** The row an update or delete needed does not exist (Prisma `P2025`). */
export function isRecordNotFound(err: unknown): boolean {
  return codeOf(err) === "P2025";
}
