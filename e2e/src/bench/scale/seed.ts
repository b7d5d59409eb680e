// Seeded read-path data (the issue allows it for the 1M-tag case; the report says so): N tags in
// one repository, all naming one image pushed through the API, inserted with one statement.
import { makeSmallImage, pushImage } from "../../support/oci-client.js";
import { randomBytesOf } from "../workloads/common.js";
import type { ScaleStack } from "./scale-stack.js";

export async function seedTags(stack: ScaleStack, repository: string, count: number): Promise<number> {
  const repo = await stack.repo(repository);
  const image = makeSmallImage([1024], randomBytesOf, "seeded-tags");
  await pushImage(repo, image, "s-pushed");
  const started = Date.now();
  const name = repository.replaceAll("'", "''");
  stack.psql(`
    INSERT INTO tags (repository_id, name, manifest_id, updated_at)
    SELECT r.id, 's' || lpad(g::text, 8, '0'), m.id, now()
    FROM repositories r JOIN manifests m ON m.repository_id = r.id, generate_series(0, ${count - 1}) AS g
    WHERE r.name = '${name}' AND m.digest = '${image.manifestDigest}'`);
  return (Date.now() - started) / 1000;
}
