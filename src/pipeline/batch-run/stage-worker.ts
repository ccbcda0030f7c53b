/**
 * Worker thread of the staging pool: stages the blocks of raw chunks it is sent, one at a time,
 * each block into CSV files of its own. Protocol: {block: id, tasks} → {done, counts} per task,
 * then {block, files}; {close} → {closed}; failures → {error, message}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../../core/errors.js';
import { StageWriter, stageFile, type StageTask } from './stage.js';

const port = parentPort!;
const { outDir } = workerData as { outDir: string };

port.on('message', (msg: { type: 'block'; id: string; tasks: StageTask[] } | { type: 'close' }) => {
  void (async () => {
    if (msg.type === 'close') {
      port.postMessage({ type: 'closed' });
      return;
    }
    const writer = new StageWriter(outDir, msg.id);
    try {
      for (const task of msg.tasks) port.postMessage({ type: 'done', counts: await stageFile(task, writer) });
      port.postMessage({ type: 'block', files: writer.close() });
    } catch (e) {
      writer.close();
      port.postMessage({ type: 'error', message: errorMessage(e) });
    }
  })();
});
