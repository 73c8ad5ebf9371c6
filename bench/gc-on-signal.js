// Preloaded into the server by bench/soak.ts (with --expose-gc): SIGUSR2 runs a full garbage
// collection, so the memory the soak reports is what is still referenced, not garbage not yet
// collected. Not used by the server itself.
process.on('SIGUSR2', () => {
  global.gc?.();
  global.gc?.();
});
