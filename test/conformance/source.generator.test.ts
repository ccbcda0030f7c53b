import { GeneratorSource } from '../../src/connectors/source/generator.js';
import { sourceConformance } from './source.conformance.js';

sourceConformance('generator', async () => ({ source: new GeneratorSource({ seed: 7, rows: 500 }), seed: 7, rows: 500, cleanup: async () => {} }));
