import assert from "node:assert/strict";
import { test } from "node:test";
import type { Request } from "express";
import { readSessionToken, sessionCookie } from "./session-cookie.js";

const withCookie = (cookie: string | undefined) => ({ get: (name: string) => (name.toLowerCase() === "cookie" ? cookie : undefined) }) as unknown as Request;

test("reads the sid among other cookies", () => {
  assert.equal(readSessionToken(withCookie("a=1; sid=AbC-_09; b=2")), "AbC-_09");
  assert.equal(readSessionToken(withCookie(undefined)), undefined);
  assert.equal(readSessionToken(withCookie("other=1")), undefined);
});

test("an unreadable cookie is no session, never an exception", () => {
  for (const header of ["sid=%zz", "sid=%", "sid=%E0%A4%A", "sid", "=;;==;", "sid=a b", `sid=${"x".repeat(5000)}`, "sid=\u0000", "sid=\"unterminated"]) {
    assert.doesNotThrow(() => readSessionToken(withCookie(header)), header);
    assert.equal(readSessionToken(withCookie(header)), undefined, header);
  }
});

test("writes HttpOnly, SameSite=Lax cookies, Secure on https", () => {
  assert.equal(sessionCookie("tok", 3600, false), "sid=tok; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax");
  assert.match(sessionCookie("", 0, true), /^sid=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
});
