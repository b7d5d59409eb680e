// `npm run bench:portal` — the portal with a big repository, reported, not asserted: 5,000
// artifacts (each tagged) seeded into one repository through @berth/registry-store (the code the
// registry itself pushes with, so the rows, tags and quota are real — not pushed one by one over
// HTTP), then chromium opens the repository page and measures:
//   first load   bytes transferred for the app (HTML, scripts, styles) and the time to the sign-in
//                form on a cold cache, then again warm (hashed assets come from the cache)
//   first rows   from navigation to the first artifact row on screen, the page of 20 newest
//                (server-side paging), and the time to the last page
//   long tasks   main-thread tasks over 50 ms during each (PerformanceObserver "longtask")
// The table and e2e/bench-results/portal.json hold the numbers. Times are of this machine, shared
// and noisy: compare runs of the same machine, not absolute values.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPrismaClient } from "@berth/db";
import { parseTag } from "@berth/oci";
import { createRegistryStore } from "@berth/registry-store";
import { FilesystemDriver } from "@berth/storage";
import { CoreApi } from "../support/api.js";
import { launchBrowser } from "../support/browser.js";
import { makeImage, MT } from "../support/images.js";
import { repoRoot } from "../support/launcher.js";
import { pushImage, repoOn } from "../support/replication-fixtures.js";
import { startTestStack } from "../support/stack.js";

const ARTIFACTS = Number(process.env["BERTH_BENCH_PORTAL_ARTIFACTS"] ?? 5000);
const OUT = process.env["BERTH_BENCH_OUT"] ?? join(repoRoot, "e2e/bench-results/portal.json");
const log = (line: string) => process.stderr.write(`${line}\n`);

const LONG_TASKS = `
  window.__longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
    .observe({ type: "longtask", buffered: true });
`;

const stack = await startTestStack("bench-portal");
try {
  const api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
  await api.createProject("big");
  // One image's blobs over HTTP; then 5,000 manifests over them, each with its own annotation.
  const image = makeImage("oci");
  await pushImage(await repoOn(stack.baseUrl, "big/app", api), image, "seed");
  const db = createPrismaClient(`postgresql://berth@127.0.0.1:${stack.running.ports.postgres}/berth`, { poolSize: 8 });
  const store = createRegistryStore({ db, driver: new FilesystemDriver({ rootDirectory: join(stack.dataDir, "registry") }) });
  const manifest = JSON.parse(image.manifest.data.toString("utf8")) as Record<string, unknown>;
  const seedStart = performance.now();
  for (let i = 0; i < ARTIFACTS; i += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, ARTIFACTS - i) }, (_, k) => {
        const n = i + k;
        const body = Buffer.from(JSON.stringify({ ...manifest, annotations: { "org.example.build": String(n) } }));
        return store.manifests.put("big/app", { kind: "tag", tag: parseTag(`build-${String(n).padStart(5, "0")}`) }, body, MT.ociManifest);
      }),
    );
  }
  const seedSeconds = (performance.now() - seedStart) / 1000;
  log(`seeded ${ARTIFACTS} artifacts in ${seedSeconds.toFixed(1)} s`);
  await store.close();
  await db.$disconnect();

  const browser = await launchBrowser();
  try {
    await browser.context.addInitScript({ content: LONG_TASKS });
    const page = await browser.newPage();
    const client = await page.context().newCDPSession(page);
    await client.send("Network.enable");
    let bytes = 0;
    client.on("Network.loadingFinished", (e: { encodedDataLength: number }) => (bytes += e.encodedDataLength));
    const load = async () => {
      bytes = 0;
      const t0 = performance.now();
      await page.goto(`${stack.baseUrl}/`);
      await page.getByRole("heading", { name: "Sign in to Berth" }).waitFor();
      return { ms: Math.round(performance.now() - t0), bytes };
    };
    const cold = await load();
    const warm = await load();
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel(/^Password/).fill(stack.adminPassword);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Projects" }).waitFor();
    const rows = page.getByTestId("artifact-table").locator("tbody tr");
    const timed = async (go: () => Promise<unknown>, until: () => Promise<unknown>) => {
      await page.evaluate("window.__longTasks = []");
      const t0 = performance.now();
      await go();
      await until();
      const ms = Math.round(performance.now() - t0);
      const tasks = (await page.evaluate("window.__longTasks")) as number[];
      return { ms, longTasks: tasks.length, longestTaskMs: Math.round(Math.max(0, ...tasks)) };
    };
    const firstRows = await timed(
      () => page.goto(`${stack.baseUrl}/projects/big/repositories/app`),
      () => rows.first().waitFor(),
    );
    const shown = await rows.count();
    const total = (await page.getByText(/Page 1 of \d+/).textContent()) ?? "";
    const pages = /Page 1 of (\d+)/.exec(total)?.[1] ?? "1";
    const lastPage = await timed(
      () => page.getByRole("button", { name: pages, exact: true }).click(),
      () => page.getByText(`Page ${pages} of ${pages} `).waitFor(),
    );
    const report = { artifacts: ARTIFACTS, seedSeconds: Math.round(seedSeconds * 10) / 10, firstLoad: { cold, warm }, repositoryPage: { ...firstRows, rowsShown: shown, pager: total }, lastPage };
    console.log(JSON.stringify(report, null, 2));
    mkdirSync(join(OUT, ".."), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await browser.close();
  }
} finally {
  await stack.stop();
}
