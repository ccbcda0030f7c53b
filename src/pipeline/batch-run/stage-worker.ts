/**
 * Worker thread of the staging pool: stages the raw chunks it is sent, one at a time, into its
 * own CSV files. Protocol: {task} → {done, counts}; {close} → {closed, files}; failures →
 * {error, message}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../../core/errors.js';
import { StageWriter, stageFile, type StageTask } from './stage.js';

const port = parentPort!;
const { outDir, id } = workerData as { outDir: string; id: string };
const writer = new StageWriter(outDir, id);

port.on('message', (msg: { type: 'task'; task: StageTask } | { type: 'close' }) => {
  void (async () => {
    try {
      if (msg.type === 'task') port.postMessage({ type: 'done', counts: await stageFile(msg.task, writer) });
      else port.postMessage({ type: 'closed', files: writer.close() });
    } catch (e) {
      port.postMessage({ type: 'error', message: errorMessage(e) });
    }
  })();
});
