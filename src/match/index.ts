// Public surface of src/match (re-exported by src/index.ts). Keep names unique across areas.
export {};
