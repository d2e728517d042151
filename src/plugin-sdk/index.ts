// The plugin SDK: the only module a plugin may import.

export { z } from 'zod';
export type { AccessRequest, RequestState } from '../access/types.js';
export * from './card.js';
export * from './command.js';
export * from './contract.js';
export * from './errors.js';
export * from './escape.js';
export * from './inbound.js';
export * from './on-call.js';
export * from './plain-text.js';
export * from './signing.js';
