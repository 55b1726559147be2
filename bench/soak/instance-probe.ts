/**
 * Preloaded into each sample instance of the soak (`node --require`): appends the instance's
 * event-loop delay per second to a file named after its pid, which the soak reads at the end
 * (the file outlives an instance that is killed; its output would be crowded out by its logs).
 */
import { appendFileSync } from 'node:fs';
import { instanceProbeFile, startLoopDelayProbe } from './loop-delay-probe';

const file = instanceProbeFile(process.pid);
startLoopDelayProbe((window) => appendFileSync(file, `${JSON.stringify(window)}\n`));
