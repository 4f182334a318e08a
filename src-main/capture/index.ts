/**
 * The public face of `src-main/capture`: the capture helper's client (the
 * helper itself, helper-process.cjs with cap-adapter.cjs, is the only code
 * that loads `cap`), the live capture pipeline (helper → decoder → tracker,
 * optional pcapng), `runCapture` for the CLI, and the loopback lab targets.
 */
export * from './helper-client';
export * from './live-capture';
export * from './lab-targets';
