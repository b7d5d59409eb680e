/**
 * `@berth/storage/testing`: the driver test suite and helpers for storage tests. Import only from
 * tests (it registers node:test tests).
 */
export { runDriverSuite, type DriverFixture, type DriverSuiteOptions } from "./driver-suite.js";
export {
  collect,
  collectGarbage,
  fillChunk,
  measureRssGrowth,
  mib,
  sha256Hex,
  sha256Of,
  testData,
  type RssMeasurement,
} from "./test-support.js";
export { recordS3Commands, startS3rver, S3RVER_CREDENTIALS, type TestS3Server } from "./s3rver.js";
