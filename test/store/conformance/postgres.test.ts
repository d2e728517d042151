// The store conformance suite on PostgreSQL (a database of its own per test on the run's
// private server, see test/support/postgres.ts).
import { postgresBackend } from './backends.js';
import { storeConformanceSuite } from './store-suite.js';

storeConformanceSuite(postgresBackend);
