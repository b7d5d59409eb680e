import { isValidRepositoryName } from "@berth/oci";
import { InvalidInputError } from "../errors.js";

/**
 * The full repository name `<project>/<rest>` from a `{repository_name}` path parameter. Express
 * has decoded it once (`a%2Fb` → `a/b`); Harbor's clients double-encode (`a%252Fb` → `a%2Fb`),
 * so a remaining `%2F` is decoded again.
 */
export function repositoryNameParam(projectName: string, raw: string): string {
  let rest = raw;
  if (/%2f/i.test(rest)) {
    try {
      rest = decodeURIComponent(rest);
    } catch {
      throw new InvalidInputError(`invalid repository name ${raw.slice(0, 300)}`);
    }
  }
  const full = `${projectName}/${rest}`;
  if (!isValidRepositoryName(full)) throw new InvalidInputError(`invalid repository name ${full.slice(0, 300)}: path components of lower-case letters and digits separated by . _ __ or -, at most 255 characters in all`);
  return full;
}
