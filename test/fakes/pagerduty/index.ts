export * from './directory.js';
export * from './server.js';
