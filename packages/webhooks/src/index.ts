/**
 * `@berth/webhooks`: what core (policies API, callbacks) and jobservice (delivery) share — the
 * webhook vocabulary, the address policy, callback tokens and artifact validations.
 */
export * from "./vocabulary.js";
export { AddressRefusedError, checkWebhookAddress, guardedLookup, isPrivateAddress, parseWebhookUrl, resolveHost } from "./address-policy.js";
export { CALLBACK_TTL_MS, CallbackGoneError, CallbackUnknownError, consumeCallback, createCallback, purgeExpiredCallbacks, type CallbackSubject, type Db } from "./callback-store.js";
export { answerCallback, type CallbackAnswer } from "./callback-answer.js";
export { VALIDATION_STATES, recordValidation, validationOf, type ArtifactValidationView, type ValidationState } from "./validation-store.js";
