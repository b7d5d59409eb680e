// The OIDC sign-in walked over plain HTTP, as a browser would but without one: Berth's
// /c/oidc/login → the provider's authorization endpoint → its login page (the form is filled and
// posted) → consent → Berth's callback → `/`. Cookies are kept per origin; redirects followed by
// hand so every hop is seen.
import { Agent, fetch } from "undici";

export interface OidcWalk {
  /** The status and URL of the last answer (Berth's `/` after a successful sign-in). */
  status: number;
  url: string;
  body: string;
  /** Berth's cookies after the walk (`sid` when signed in). */
  cookies: Map<string, string>;
  /** Every URL visited, for assertion messages. */
  trail: string[];
}

function remember(jar: Map<string, string>, setCookies: string[]): void {
  for (const line of setCookies) {
    const [pair = ""] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
}

/** Walks the sign-in from `startUrl` (Berth's `/c/oidc/login`), trusting `ca` for the provider. */
export async function walkOidcLogin(opts: { startUrl: string; username: string; password: string; ca: string; stopAt?: (url: URL) => boolean }): Promise<OidcWalk> {
  const dispatcher = new Agent({ connect: { ca: opts.ca } });
  const jars = new Map<string, Map<string, string>>();
  const jarOf = (u: URL) => jars.get(u.origin) ?? jars.set(u.origin, new Map()).get(u.origin)!;
  const berthOrigin = new URL(opts.startUrl).origin;
  const trail: string[] = [];
  let url = new URL(opts.startUrl);
  let method = "GET";
  let body: string | undefined;
  try {
    for (let step = 0; step < 25; step++) {
      trail.push(`${method} ${url.href}`);
      const jar = jarOf(url);
      const res = await fetch(url, {
        method,
        redirect: "manual",
        dispatcher,
        headers: {
          ...(jar.size > 0 && { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") }),
          ...(body !== undefined && { "content-type": "application/x-www-form-urlencoded" }),
        },
        ...(body !== undefined && { body }),
        signal: AbortSignal.timeout(20_000),
      });
      remember(jar, res.headers.getSetCookie());
      const text = await res.text();
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url);
        method = "GET";
        body = undefined;
        if (opts.stopAt?.(url)) return { status: res.status, url: url.href, body: text, cookies: jarOf(new URL(berthOrigin)), trail };
        continue;
      }
      const form = /<form method="post" action="([^"]+)"/.exec(text);
      // The provider's login page: fill it in once (a page that says the password was wrong ends the walk).
      if (res.status === 200 && form?.[1] && url.origin !== berthOrigin && !/id="error"/.test(text)) {
        url = new URL(form[1].replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c))), url);
        method = "POST";
        body = new URLSearchParams({ login: opts.username, password: opts.password }).toString();
        continue;
      }
      return { status: res.status, url: url.href, body: text, cookies: jarOf(new URL(berthOrigin)), trail };
    }
    throw new Error(`the sign-in did not finish in 25 steps:\n${trail.join("\n")}`);
  } finally {
    await dispatcher.close();
  }
}
