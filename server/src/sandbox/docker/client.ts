// The Docker client lives in engine/ (shared with images/ and the server's health); re-exported
// here for the provider's modules.
export { docker, isNotFound, readAll } from '../../engine/client.js';
