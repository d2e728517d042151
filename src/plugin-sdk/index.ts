// The plugin SDK: the only module a plugin may import.
export type { AccessRequest, RequestState } from '../access/types.js';
export * from './card.js';
export * from './contract.js';
export * from './errors.js';
export * from './escape.js';
export * from './signing.js';
export { z } from 'zod';
