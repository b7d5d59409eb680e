import { createHash } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes: Uint8Array): string {
  let out = "";
  let value = 0;
  let bits = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * docker/libtrust's key ID, which CNCF Distribution matches against a token's `kid`: the
 * SHA-256 of the DER SubjectPublicKeyInfo, truncated to 240 bits, base32 (RFC 4648, no padding),
 * in 12 groups of 4 joined by `:` (e.g. `IIYO:OWAZ:…:JXVW`).
 */
export function libtrustKeyId(spkiDer: Uint8Array): string {
  const encoded = base32(createHash("sha256").update(spkiDer).digest().subarray(0, 30));
  return encoded.match(/.{4}/g)!.join(":");
}
