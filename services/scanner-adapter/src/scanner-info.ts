import type { ScannerInfo } from "@berth/scanning";

/** How the adapter names itself in metadata and reports. */
export const SCANNER_INFO: ScannerInfo = { name: "Berth", vendor: "Berth", version: "0.1.0" };
