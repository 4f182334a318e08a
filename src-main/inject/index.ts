/**
 * The public face of `src-main/inject`: crafting SYN/FIN/RST for observed
 * sessions (plan.ts, RFC 9293 §3.10.7.4 and RFC 5961), the numbers kept per
 * flow (flow-book.ts), the injection policy and audit log (policy.ts), and
 * the injector that learns numbers, sends, and watches the reaction, with
 * `runInject` for the CLI (injector.ts).
 */
export * from './flow-book';
export * from './plan';
export * from './policy';
export * from './injector';
export * from './link-lookup';
