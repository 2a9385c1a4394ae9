// What a component may see. Deny by default: anything not listed here is
// not visible to the guest (no preopened directories, no network).
export interface Grants {
  /** argv as the component sees it; argv[0] is the program name. */
  readonly args: readonly string[];
  /** The complete environment of the component. */
  readonly env: Readonly<Record<string, string>>;
}
