import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidInputError } from "../errors.js";
import { parseSort } from "./sorting.js";

const fields = { name: "name", creation_time: "createdAt" } as const;

test("parses Harbor's sort keys into the store's fields", () => {
  assert.deepEqual(parseSort(undefined, fields), []);
  assert.deepEqual(parseSort("", fields), []);
  assert.deepEqual(parseSort("name,-creation_time", fields), [
    { field: "name", direction: "asc" },
    { field: "createdAt", direction: "desc" },
  ]);
});

test("refuses unknown, inherited and repeated keys with the accepted ones", () => {
  for (const bad of ["owner", "-password_hash", "__proto__", "constructor", "name,name", "name,,", "name;drop"]) {
    assert.throws(() => parseSort(bad, fields), (e: unknown) => e instanceof InvalidInputError && /sort/.test(e.message), bad);
  }
  assert.throws(() => parseSort("x", fields), /sort by name, creation_time/);
  assert.throws(() => parseSort("x", {}), /cannot be sorted/);
});
