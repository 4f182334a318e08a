/**
 * Classroom labs: lab files and their loader, the learner's attempt played
 * on the engine, the checker and grade, each lab's self-test, the progress
 * store, and the hand-in report (HTML with an embedded JSON block, and a
 * small PDF). The service (`labs-service.ts`) and the CLI (`tcplab lab`) use
 * this surface.
 */
export * from './trace';
export * from './checker';
export * from './runner';
export * from './loader';
export * from './verify';
export * from './progress';
export * from './report';
export * from './pdf';
