// Public surface of src/sync (re-exported by src/index.ts). Keep names unique across areas.
export {};
