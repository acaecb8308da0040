/**
 * The public API of ShaleDB: everything a user imports from "shaledb" is re-exported here, and nothing else is
 * public.
 */
export type { CloseReason, ErrorKind } from './util/errors.js';
export { isDataError, ShaleDBError } from './util/errors.js';
