// mvncmp ships no types: Maven 3's ComparableVersion order.
declare module "mvncmp" {
  const mvncmp: { compare(a: string, b: string): number };
  export default mvncmp;
}
