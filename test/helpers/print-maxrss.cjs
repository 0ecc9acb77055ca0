// Preloaded with `node -r` by memory tests: prints the process's peak resident set size on exit.
process.on('exit', () => {
  require('node:fs').writeSync(2, `\nmaxrss-kib ${process.resourceUsage().maxRSS}\n`);
});
