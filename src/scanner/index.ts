// Public surface of src/scanner (re-exported by src/index.ts). Keep names unique across areas.
export {};
