/** Where the benchmarks find the checkout: the repository root and the CLI entry. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = path.join(REPO, 'bin', 'pinpipe');
