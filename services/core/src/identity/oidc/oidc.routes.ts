import express, { Router, type Request, type Response } from "express";
import { parse, serialize } from "cookie";
import { z } from "zod";
import type { UserPrincipal } from "../../auth/principal.js";
import { CSRF_HEADER, csrfTokenFor } from "../../auth/csrf.js";
import { sessionCookie } from "../../auth/session-cookie.js";
import type { SessionStore } from "../../auth/session-store.js";
import { parseInput } from "../../http/parse-input.js";
import { username } from "../../users/username.js";
import { LOGIN_WINDOW_SECONDS, type OidcLogin } from "./oidc-login.js";

const STATE_COOKIE = "berth_oidc_state";
const ONBOARD_COOKIE = "berth_oidc_onboard";
const COOKIE_PATH = "/c/oidc/";

function readCookie(req: Request, name: string): string | undefined {
  const header = req.get("cookie");
  if (!header) return undefined;
  try {
    return parse(header)[name];
  } catch {
    return undefined;
  }
}

/**
 * The browser's OIDC sign-in: `GET /c/oidc/login` redirects to the provider, `GET
 * /c/oidc/callback` finishes (verified ID token) and lands on `/` with a session — or, when
 * auto-onboarding is off and the user is new, on `/oidc-onboard?username=…`, whose form posts the
 * chosen name to `POST /c/oidc/onboard`. The short-lived cookies are sealed, HttpOnly, SameSite=Lax.
 */
export function oidcRoutes(deps: { login: OidcLogin; sessions: SessionStore; secureCookies: boolean }): Router {
  const { login, sessions, secureCookies } = deps;
  const router = Router();
  const shortCookie = (name: string, value: string, maxAge: number) => serialize(name, value, { path: COOKIE_PATH, httpOnly: true, sameSite: "lax", secure: secureCookies, maxAge });

  async function signIn(res: Response, principal: UserPrincipal): Promise<string> {
    const token = await sessions.create(principal);
    res.append("Set-Cookie", sessionCookie(token, sessions.timeoutMinutes * 60, secureCookies));
    return token;
  }

  router.get("/c/oidc/login", async (_req, res) => {
    const { location, checks } = await login.start();
    res.setHeader("Set-Cookie", shortCookie(STATE_COOKIE, checks, LOGIN_WINDOW_SECONDS));
    res.setHeader("Cache-Control", "no-store");
    res.redirect(302, location.href);
  });

  router.get("/c/oidc/callback", async (req, res) => {
    const callbackUrl = new URL(login.redirectUri);
    callbackUrl.search = new URL(req.originalUrl, "http://callback.invalid").search;
    const outcome = await login.finish(callbackUrl, readCookie(req, STATE_COOKIE));
    res.setHeader("Set-Cookie", shortCookie(STATE_COOKIE, "", 0));
    res.setHeader("Cache-Control", "no-store");
    if (outcome.kind === "onboard") {
      res.append("Set-Cookie", shortCookie(ONBOARD_COOKIE, outcome.pending, LOGIN_WINDOW_SECONDS));
      res.redirect(302, `/oidc-onboard?username=${encodeURIComponent(outcome.suggested)}`);
      return;
    }
    await signIn(res, outcome.principal);
    res.redirect(302, "/");
  });

  router.post("/c/oidc/onboard", express.urlencoded({ extended: false, limit: "16kb" }), async (req, res) => {
    const body = parseInput(z.object({ username }), req.body ?? {});
    const principal = await login.onboard(readCookie(req, ONBOARD_COOKIE), body.username);
    res.setHeader("Set-Cookie", shortCookie(ONBOARD_COOKIE, "", 0));
    const token = await signIn(res, principal);
    res.setHeader(CSRF_HEADER, csrfTokenFor(token));
    res.status(200).end();
  });

  return router;
}
