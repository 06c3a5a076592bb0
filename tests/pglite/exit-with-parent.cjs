// Preloaded into pglite-server by the test fixture (node --require): the fixture holds this process's stdin,
// so when the test process ends in any way (even SIGKILL) stdin closes and the server exits with it.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
