import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { libtrustKeyId } from "./libtrust-kid.js";

// A public RSA key and its libtrust key ID, from the test fixtures of realityone/libtrust-py
// (tests/fixtures/public.pem, tests/test_rsa_key.py), an independent port of docker/libtrust.
const PUBLIC_PEM = `-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAwq1mCmgn460MC6MnCqra
nQNTgmKuKPl7bNH7Qc6hBDGHlnIjU6q/h2KXF37TC5Y9tsKvQ4b8jd0Sf0dXFHml
8qunSvNnqsSvoD8tSPUKqXS6jrlbGSQXhya7BL1RPGccD5K1xrV73QlI6uFPd3AP
RQYij5EOB8IOWEQujJk/8Mjc0EC9zvk5TUJb59hkOUPZ3CkvSBNLNS8wpQI98FRn
IzHjuaNicqve8054oxmDKifHWy0nnF135cXW8zkH3Zto1q89zD2g+zcVxLcRP84U
he0nSQyg7vEYl4Wl74Eo6/89qL2yE0mEiQN245ACA5B8WFV/t3j/OD3ydOCaAOg2
8vQtzcZ1gh2Ev4RxeR7bKq58g+R0+MMwl7nnW29mbCkcgdVVR4YPmglP7Vb6w7/N
bqFhnxx4E3A05AeevHdMdYCrtgQwogvIhdOHLcVQxJgwy1d2Lg/mv9rovhCJ7d3X
aNEYym6CplCHPMtfnU1LCVkA6b44pFaOVjsAQ8FviFtGXQAToRtwoszSarzslHKY
dPoSGFOsgNJgW67iViOYqGPD97rgJA0VPm0POMNHGw/R6o+08KhDF/OI1EDckmjX
hUggY/WCqWDxD77Ezd/wr9Zlbv/uSIEL9ifvBLq06lLcXMLrQbJrwMbDrngMZMAc
UkTzThmtxNs4uwu45R+zfKcCAwEAAQ==
-----END PUBLIC KEY-----
`;

test("matches libtrust's key ID for a known key", () => {
  const der = createPublicKey(PUBLIC_PEM).export({ type: "spki", format: "der" });
  assert.equal(libtrustKeyId(der), "IIYO:OWAZ:MBMG:2SIK:IK2I:OP5Z:H6QR:KN6Y:QUGO:BUWN:TYW3:JXVW");
});

test("is 12 groups of 4 base32 characters", () => {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  assert.match(libtrustKeyId(publicKey.export({ type: "spki", format: "der" })), /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
});
