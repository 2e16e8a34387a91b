/**
 * The run folder, owned here: its layout, creating and writing it, reading it back, summarising
 * and listing runs, and the lock that keeps one writer per run. Nothing else names its files.
 */
export * from './layout';
export * from './write';
export * from './read';
export * from './summary';
export * from './list';
export * from './lock';
export * from './repair';
export * from './model';
