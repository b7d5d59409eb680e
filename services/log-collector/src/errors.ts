/**
 * The collector's wire errors, Harbor-style `{"errors":[{"code","message"}]}` like core's (the
 * shape and handler live in @berth/http).
 */
import { ApiError } from "@berth/http";

export { ApiError, BadRequestError, apiErrorHandler as errorHandler, notFoundHandler as notFound } from "@berth/http";

export class StorageUnavailableError extends ApiError {
  constructor(message: string) {
    super(503, "STORAGE_UNAVAILABLE", message);
  }
}
