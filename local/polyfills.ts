/**
 * aws-local-stepfunctions 3 declares Node >= 22 and uses `Promise.withResolvers` (Node 22+). On Node 20 every
 * Task would fail with "Promise.withResolvers is not a function"; this standard-conforming polyfill fixes that.
 * Loaded first by the local engine and by jest (setupFiles).
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T>(): Resolvers<T> {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
export {};
