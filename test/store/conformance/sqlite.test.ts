// The store conformance suite on SQLite (the embedded default).
import { sqliteBackend } from './backends.js';
import { storeConformanceSuite } from './store-suite.js';

storeConformanceSuite(sqliteBackend);
