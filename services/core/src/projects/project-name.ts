/** Harbor's project name grammar: lowercase alphanumerics separated by single `.`, `_` or `-`. */
export const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function isValidProjectName(name: string): boolean {
  return name.length >= 1 && name.length <= 255 && PROJECT_NAME.test(name);
}
