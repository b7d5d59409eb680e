// Logins and the role matrix through nginx with real clients: the Docker engine (login, push,
// pull, logout, a refused push), podman, buildah and skopeo for the rest of the matrix; robots
// (scoped, expired, disabled); anonymous pulls from the public `library` only; project quotas.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreApi, ROLE } from "./support/api.js";
import { Dockerd } from "./support/docker.js";
import { makeLayer, ociImageLayout, tar } from "./support/images.js";
import { Buildah, ContainersHome, Podman } from "./support/podman.js";
import { Skopeo, type Creds } from "./support/skopeo.js";
import { startTestStack, type TestStack } from "./support/stack.js";
import type { RunResult } from "./support/exec.js";

const PW = "E2e-User-Passw0rd1";
const REFUSED = /denied|unauthorized|authentication required|invalid username\/password|insufficient_scope|forbidden|401|403/i;

function refused(r: RunResult, what: string): void {
  assert.notEqual(r.code, 0, `${what} should be refused:\n${r.describe}`);
  assert.match(`${r.stdout}\n${r.stderr}`, REFUSED, `${what}: refused for the wrong reason:\n${r.describe}`);
}

function succeeded(r: RunResult, what: string): void {
  assert.equal(r.code, 0, `${what} should succeed:\n${r.describe}`);
}

describe("login and roles through nginx with docker, podman, buildah, skopeo", { timeout: 480_000 }, () => {
  let stack: TestStack;
  let api: CoreApi;
  let skopeo: Skopeo;
  let dockerd: Dockerd | undefined;
  let dockerReady: Promise<void> | undefined;
  let home: ContainersHome | undefined;
  const work = mkdtempSync(join(tmpdir(), "berth-e2e-roles-"));
  const robots: Record<string, { id: number; name: string; secret: string }> = {};
  let admin: string;
  let layout: string;
  let reg: string;

  before(async () => {
    // dockerd comes up while the stack starts.
    dockerd = new Dockerd();
    dockerReady = dockerd.start();
    dockerReady.catch(() => undefined);
    stack = await startTestStack("roles");
    reg = stack.registry;
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    skopeo = new Skopeo();
    admin = `admin:${stack.adminPassword}`;

    for (const u of ["guest1", "dev1", "maint1", "outsider"]) await api.createUser(u, PW);
    await api.createProject("team");
    await api.createProject("other");
    await api.addMember("team", "guest1", ROLE.guest);
    await api.addMember("team", "dev1", ROLE.developer);
    await api.addMember("team", "maint1", ROLE.maintainer);
    robots["ci"] = await api.createRobot("team", "ci", ["push", "pull"]);
    robots["old"] = await api.createRobot("team", "old", ["pull"]);
    robots["off"] = await api.createRobot("team", "off", ["pull"], { disable: true });
    // The API cannot mint an already expired robot: age one in the database.
    stack.psql(`UPDATE robots SET expires_at = now() - interval '1 day' WHERE id = ${robots["old"].id}`);

    layout = join(work, "seed");
    ociImageLayout(layout, "latest");
    for (const repo of ["team/app:1", "library/pub:1", "other/secret:1"]) {
      succeeded(await skopeo.copy(`oci:${layout}:latest`, `docker://${reg}/${repo}`, { destCreds: admin }), `seed ${repo}`);
    }
  });

  after(async () => {
    await dockerd?.stop().catch(() => undefined);
    await home?.cleanup().catch(() => undefined);
    skopeo?.cleanup();
    rmSync(work, { recursive: true, force: true });
    await stack?.stop();
  });

  const ref = (repo: string) => `docker://${reg}/${repo}`;
  const user = (name: string): Creds => `${name}:${PW}`;
  const robot = (key: string): Creds => `${robots[key]!.name}:${robots[key]!.secret}`;
  const push = (repo: string, creds: Creds) => skopeo.copy(`oci:${layout}:latest`, ref(repo), { destCreds: creds });
  const pull = (repo: string, creds: Creds) => skopeo.inspect(ref(repo), creds);
  /** Pushes a fresh image and returns its digest (so deleting it touches nothing else). */
  async function pushFresh(repo: string, creds: Creds): Promise<string> {
    const dir = join(work, `fresh-${repo.replace(/[/:]/g, "_")}`);
    const image = ociImageLayout(dir, "latest");
    succeeded(await skopeo.copy(`oci:${dir}:latest`, ref(repo), { destCreds: creds }), `push ${repo}`);
    return image.manifest.digest;
  }

  it("skopeo: admin pushes, pulls and deletes anywhere", async () => {
    succeeded(await push("other/admin:1", admin), "admin push to other");
    succeeded(await pull("team/app:1", admin), "admin pull from team");
    const digest = await pushFresh("team/admin-del:1", admin);
    succeeded(await skopeo.delete(ref(`team/admin-del@${digest}`), admin), "admin delete");
    assert.notEqual((await pull(`team/admin-del@${digest}`, admin)).code, 0, "deleted manifest is gone");
  });

  it("skopeo: a guest pulls but cannot push", async () => {
    succeeded(await pull("team/app:1", user("guest1")), "guest pull");
    succeeded(await skopeo.copy(ref("team/app:1"), `oci:${join(work, "guest-pull")}:x`, { srcCreds: user("guest1") }), "guest copy out");
    refused(await push("team/app:guest", user("guest1")), "guest push");
  });

  it("skopeo: a developer pushes but cannot delete; a maintainer deletes", async () => {
    const digest = await pushFresh("team/dev:1", user("dev1"));
    succeeded(await pull("team/dev:1", user("dev1")), "developer pull");
    refused(await skopeo.delete(ref(`team/dev@${digest}`), user("dev1")), "developer delete");
    succeeded(await pull(`team/dev@${digest}`, user("dev1")), "still there after the refused delete");
    succeeded(await skopeo.delete(ref(`team/dev@${digest}`), user("maint1")), "maintainer delete");
    const gone = await pull(`team/dev@${digest}`, user("maint1"));
    assert.notEqual(gone.code, 0, gone.describe);
    assert.match(gone.stderr, /manifest unknown|not found/i, gone.describe);
  });

  it("skopeo: a non-member gets nothing from a private project (but pulls public library)", async () => {
    refused(await pull("team/app:1", user("outsider")), "outsider pull");
    refused(await push("team/outsider:1", user("outsider")), "outsider push");
    refused(await skopeo.listTags(ref("team/app"), user("outsider")), "outsider tags list");
    succeeded(await pull("library/pub:1", user("outsider")), "outsider pull from public library");
    refused(await push("library/outsider:1", user("outsider")), "outsider push to library");
  });

  it("skopeo: anonymous pulls from public library and nothing else", async () => {
    succeeded(await pull("library/pub:1", undefined), "anonymous pull library");
    succeeded(await skopeo.listTags(ref("library/pub"), undefined), "anonymous tags list library");
    refused(await pull("team/app:1", undefined), "anonymous pull private");
    refused(await pull("other/secret:1", undefined), "anonymous pull other");
    refused(await push("library/anon:1", undefined), "anonymous push library");
  });

  it("skopeo: a project robot pushes within its project and cannot touch another", async () => {
    const digest = await pushFresh("team/robot:1", robot("ci"));
    succeeded(await pull("team/app:1", robot("ci")), "robot pull");
    refused(await skopeo.delete(ref(`team/robot@${digest}`), robot("ci")), "robot delete without delete permission");
    refused(await push("other/robot:1", robot("ci")), "robot push to another project");
    refused(await pull("other/secret:1", robot("ci")), "robot pull from another project");
  });

  it("skopeo: expired and disabled robots are refused", async () => {
    for (const key of ["old", "off"]) {
      const r = await pull("team/app:1", robot(key));
      assert.notEqual(r.code, 0, r.describe);
      assert.match(r.stderr, /unauthorized|authentication|401/i, r.describe);
    }
    // And at the token service itself.
    for (const key of ["old", "off"]) {
      await assert.rejects(api.as(robots[key]!.name, robots[key]!.secret).token(["repository:team/app:pull"]), /→ 401/);
    }
  });

  it("podman: login, push, pull, logout; a guest's push is refused", async () => {
    home = new ContainersHome();
    const podman = new Podman(home);
    const rootfs = join(work, "rootfs.tar");
    writeFileSync(rootfs, tar({ "hello.txt": "hello from podman\n" }));
    succeeded(await podman.import(rootfs, "localhost/e2e-podman:1"), "podman import");
    succeeded(await podman.login(reg, "dev1", PW), "podman login dev1");
    succeeded(await podman.push("localhost/e2e-podman:1", `${reg}/team/podman:1`), "podman push as developer");
    succeeded(await podman.pull(`${reg}/team/app:1`), "podman pull as developer");
    succeeded(await podman.logout(reg), "podman logout");
    refused(await podman.login(reg, "dev1", "Wrong-Passw0rd"), "podman login with a wrong password");
    succeeded(await podman.login(reg, "guest1", PW), "podman login guest1");
    succeeded(await podman.pull(`${reg}/team/podman:1`), "podman pull as guest");
    refused(await podman.push("localhost/e2e-podman:1", `${reg}/team/podman:guest`), "podman push as guest");
    succeeded(await podman.logout(reg), "podman logout guest");
    succeeded(await skopeo.inspect(ref("team/podman:1"), admin), "podman's push is in the registry");
  });

  it("buildah: push a scratch build as a developer; refused for a guest", async () => {
    home ??= new ContainersHome();
    const buildah = new Buildah(home);
    const file = join(work, "built.txt");
    writeFileSync(file, "built by buildah\n");
    await buildah.buildScratch("localhost/e2e-buildah:1", file);
    succeeded(await buildah.push("localhost/e2e-buildah:1", `${reg}/team/buildah:1`, user("dev1")!), "buildah push as developer");
    refused(await buildah.push("localhost/e2e-buildah:1", `${reg}/team/buildah:guest`, user("guest1")!), "buildah push as guest");
    succeeded(await skopeo.inspect(ref("team/buildah:1"), user("guest1")), "buildah's push is pullable");
  });

  it("Docker engine: login, push, pull, logout; refused push; expired/disabled robots cannot log in", async () => {
    await dockerReady;
    const d = dockerd!;
    const rootfs = join(work, "docker-rootfs.tar");
    writeFileSync(rootfs, tar({ "hello.txt": "hello from docker\n" }));
    succeeded(await d.import(rootfs, `${reg}/library/dock:1`), "docker import");

    refused(await d.login(reg, "admin", "Not-The-Passw0rd"), "docker login with a wrong password");
    succeeded(await d.login(reg, "admin", stack.adminPassword), "docker login admin");
    succeeded(await d.docker(["push", `${reg}/library/dock:1`]), "docker push as admin");
    succeeded(await d.logout(reg), "docker logout");
    refused(await d.docker(["push", `${reg}/library/dock:1`]), "docker push after logout");

    // Anonymous pull of the public image, from a clean local store.
    succeeded(await d.docker(["rmi", `${reg}/library/dock:1`]), "docker rmi");
    succeeded(await d.docker(["pull", `${reg}/library/dock:1`]), "anonymous docker pull from library");
    refused(await d.docker(["pull", `${reg}/team/app:1`]), "anonymous docker pull from a private project");

    succeeded(await d.login(reg, "guest1", PW), "docker login guest1");
    succeeded(await d.docker(["pull", `${reg}/team/app:1`]), "docker pull as guest");
    succeeded(await d.docker(["tag", `${reg}/library/dock:1`, `${reg}/team/dock:1`]), "docker tag");
    refused(await d.docker(["push", `${reg}/team/dock:1`]), "docker push as guest");
    succeeded(await d.logout(reg), "docker logout guest1");

    succeeded(await d.login(reg, robots["ci"]!.name, robots["ci"]!.secret), "docker login robot");
    succeeded(await d.docker(["push", `${reg}/team/dock:1`]), "docker push as project robot");
    succeeded(await d.logout(reg), "docker logout robot");
    for (const key of ["old", "off"]) {
      const r = await d.login(reg, robots[key]!.name, robots[key]!.secret);
      assert.notEqual(r.code, 0, `docker login of the ${key} robot must fail:\n${r.describe}`);
    }
  });

  it("quota: a push over the project's storage limit is refused with a readable DENIED", async () => {
    await api.createProject("tiny", { storageLimit: 8 * 1024 });
    await api.addMember("tiny", "dev1", ROLE.developer);
    succeeded(await push("tiny/small:1", user("dev1")), "a push within the limit");
    const dir = join(work, "big");
    ociImageLayout(dir, "latest", { layers: [makeLayer("oci", undefined, 64 * 1024)] });
    const r = await skopeo.copy(`oci:${dir}:latest`, ref("tiny/big:1"), { destCreds: user("dev1") });
    assert.notEqual(r.code, 0, r.describe);
    assert.match(r.stderr, /quota exceeded: project \\?"tiny\\?" would use [\d.]+ KiB of its 8\.0 KiB limit/, r.describe);
    assert.match(r.stderr, /denied/i, r.describe);
    const gone = await pull("tiny/big:1", user("dev1"));
    assert.notEqual(gone.code, 0, gone.describe);
    assert.match(gone.stderr, /manifest unknown/, `nothing of the refused push is visible:\n${gone.describe}`);
  });
});
