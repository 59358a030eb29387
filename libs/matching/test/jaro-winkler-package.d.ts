// The jaro-winkler package ships CommonJS without types.
declare module 'jaro-winkler' {
  interface JaroWinklerOptions {
    caseSensitive?: boolean;
  }
  function distance(first: string, second: string, options?: JaroWinklerOptions): number;
  export = distance;
}
