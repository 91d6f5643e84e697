// Public surface of src/hash (re-exported by src/index.ts). Keep names unique across areas.
export {};
