/** Berth as containers: the image catalog and builder (used by `npm run images` and the e2e tests). */
export { IMAGES, IMAGE_NAMES, imageTag, type ImageSpec, type ImageRecipe } from "./images.js";
export { buildImages, defaultVersion, pinnedNodeBinary, ImageBuildError, type BuildOptions, type BuiltImage } from "./image-builder.js";
export { pruneDeployment, type PruneOptions, type PruneReport } from "./prune.js";
