// The bench's side of every server process: listens on 127.0.0.1, tells the runner its port over IPC, and
// measures a load window on request — this process's CPU time (process.cpuUsage, user + system) and its peak
// RSS, sampled every 50 ms. The runner divides the CPU time by the requests the load generator completed.
'use strict';

/** @param {{ listen: (port: number, host: string, cb: () => void) => unknown, address: () => unknown, close: () => unknown }} server */
function serveForBench(server) {
  let cpuStart = process.cpuUsage();
  let rssPeak = 0;
  let sampler;
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss > rssPeak) rssPeak = rss;
  };
  process.on('message', (message) => {
    if (message === 'start') {
      rssPeak = 0;
      sample();
      sampler = setInterval(sample, 50);
      cpuStart = process.cpuUsage();
      process.send({ type: 'started' });
    } else if (message === 'stop') {
      const cpu = process.cpuUsage(cpuStart);
      clearInterval(sampler);
      sample();
      process.send({ type: 'window', cpuUs: cpu.user + cpu.system, rssPeak });
    } else if (message === 'exit') {
      // The instrumented servers flush at exit; the runner kills whatever is still up after a grace period.
      Promise.resolve(server.close()).catch(() => {});
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send({ type: 'listening', port: typeof address === 'object' && address ? address.port : address });
  });
}

module.exports = { serveForBench };
