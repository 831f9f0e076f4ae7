// The wire contract between the server and the web client: HTTP bodies and terminal messages.
export * from './close-codes.js';
export * from './http.js';
export * from './terminal.js';
