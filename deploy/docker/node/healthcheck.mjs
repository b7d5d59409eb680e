// Docker HEALTHCHECK of Berth's Node services: GET http://127.0.0.1:$BERTH_PORT/readyz answers 200.
const port = process.env.BERTH_PORT ?? "8080";
try {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(4_000) });
  const body = await res.text();
  if (res.status !== 200) console.error(`readyz answered ${res.status}: ${body.slice(0, 500)}`);
  process.exit(res.status === 200 ? 0 : 1);
} catch (err) {
  console.error(`readyz: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
