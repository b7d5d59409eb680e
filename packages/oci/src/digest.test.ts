import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  computeDigest,
  createDigester,
  digestAlgorithm,
  digestEncoded,
  digestMatches,
  isDigest,
  parseDigest,
  sha256Digest,
} from "./digest.js";
import { DigestInvalidError, UnsupportedDigestAlgorithmError } from "./domain-errors.js";

const HEX64 = "a".repeat(64);
const HEX128 = "b".repeat(128);
const EMPTY_SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

describe("parseDigest", () => {
  it("accepts sha256 and sha512 with lowercase hex of the right length", () => {
    assert.equal(parseDigest(`sha256:${HEX64}`), `sha256:${HEX64}`);
    assert.equal(parseDigest(`sha512:${HEX128}`), `sha512:${HEX128}`);
    assert.equal(parseDigest(EMPTY_SHA256), EMPTY_SHA256);
  });

  for (const [value, why] of [
    ["", "empty"],
    ["sha256", "no colon"],
    [":" + HEX64, "empty algorithm"],
    ["sha256:", "empty encoded"],
    [`SHA256:${HEX64}`, "uppercase algorithm"],
    [`sha256:${"A".repeat(64)}`, "uppercase hex"],
    [`sha256:${"a".repeat(63)}`, "too short"],
    [`sha256:${"a".repeat(65)}`, "too long"],
    [`sha256:${"g".repeat(64)}`, "non-hex"],
    [`sha512:${HEX64}`, "sha512 with sha256 length"],
    [`sha256:${HEX64} `, "trailing space"],
    [`sha256::${HEX64}`, "double colon"],
    [`sha256+:${HEX64}`, "dangling separator"],
    [`sha256:${HEX64}\n`, "newline"],
    [`sha256:${"a".repeat(300)}`, "over the length bound"],
    ["sha256:../../etc/passwd", "path traversal"],
  ] as const) {
    it(`rejects ${why} as DIGEST_INVALID`, () => {
      assert.throws(() => parseDigest(value), DigestInvalidError);
      assert.equal(isDigest(value), false);
    });
  }

  for (const value of [`sha384:${"c".repeat(96)}`, `blake3:${HEX64}`, "md5:abc", `multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8`]) {
    it(`rejects well-formed ${value.split(":")[0]} as unsupported`, () => {
      assert.throws(
        () => parseDigest(value),
        (e: unknown) =>
          e instanceof UnsupportedDigestAlgorithmError &&
          e.algorithm === value.split(":")[0] &&
          e.detail["algorithm"] === value.split(":")[0],
      );
    });
  }

  it("puts the reason and digest in the error detail", () => {
    try {
      parseDigest("sha256:abc");
      assert.fail("should throw");
    } catch (e) {
      assert.ok(e instanceof DigestInvalidError);
      assert.equal(e.detail["digest"], "sha256:abc");
      assert.match(String(e.detail["reason"]), /64 lowercase hex/);
    }
  });
});

describe("digest helpers", () => {
  it("splits algorithm and encoded", () => {
    const d = parseDigest(`sha512:${HEX128}`);
    assert.equal(digestAlgorithm(d), "sha512");
    assert.equal(digestEncoded(d), HEX128);
  });

  it("computes sha256 of bytes and strings identically", () => {
    assert.equal(sha256Digest(new Uint8Array()), EMPTY_SHA256);
    assert.equal(sha256Digest("{}"), "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    assert.equal(sha256Digest(Buffer.from("{}")), sha256Digest("{}"));
  });

  it("computes sha512", () => {
    const d = computeDigest("sha512", "");
    assert.equal(
      d,
      "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    );
    assert.ok(isDigest(d));
  });

  it("verifies content against a digest", () => {
    assert.equal(digestMatches(parseDigest(EMPTY_SHA256), ""), true);
    assert.equal(digestMatches(parseDigest(EMPTY_SHA256), "x"), false);
  });

  it("streams chunks to the same digest as one-shot hashing", () => {
    const digester = createDigester();
    digester.update(Buffer.from("hello ")).update(Buffer.from("world"));
    assert.equal(digester.digest(), sha256Digest("hello world"));
    assert.equal(createDigester("sha512").update(Buffer.from("x")).digest(), computeDigest("sha512", "x"));
  });
});
