/** A parsed resource scope, `type:name:action[,action…]` (Docker token spec). */
export interface ResourceScope {
  type: string;
  name: string;
  actions: string[];
}

/**
 * Parses one `scope` parameter, which may hold several scopes separated by spaces. The name may
 * contain `:` (a registry host's port), so the type ends at the first `:` and the actions start
 * after the last. The resource class of `repository(plugin)` is dropped, as the spec says.
 * Returns `undefined` for a malformed scope.
 */
export function parseScopes(param: string): ResourceScope[] | undefined {
  const scopes: ResourceScope[] = [];
  for (const raw of param.split(" ").filter(Boolean)) {
    const first = raw.indexOf(":");
    const last = raw.lastIndexOf(":");
    if (first <= 0 || last === first) return undefined;
    const typeMatch = /^([a-z0-9]+)(?:\([a-z0-9]+\))?$/.exec(raw.slice(0, first));
    const name = raw.slice(first + 1, last);
    if (!typeMatch?.[1] || !name) return undefined;
    const actions = [...new Set(raw.slice(last + 1).split(",").filter(Boolean))];
    if (actions.some((a) => !/^[a-z*]+$/.test(a))) return undefined;
    scopes.push({ type: typeMatch[1], name, actions });
  }
  return scopes;
}

/** Merges scopes naming the same resource (the union of their actions), keeping first-seen order. */
export function mergeScopes(scopes: ResourceScope[]): ResourceScope[] {
  const merged = new Map<string, ResourceScope>();
  for (const s of scopes) {
    const key = `${s.type}:${s.name}`;
    const existing = merged.get(key);
    if (existing) existing.actions = [...new Set([...existing.actions, ...s.actions])];
    else merged.set(key, { ...s, actions: [...s.actions] });
  }
  return [...merged.values()];
}
