import { S3Lake } from '../../src/connectors/lake/s3.js';
import { s3LakeConfig } from '../support/services.js';
import { lakeConformance } from './lake.conformance.js';

lakeConformance('s3', async () => {
  const s = s3LakeConfig();
  return { lake: new S3Lake(s.cfg), cleanup: s.drop };
});
