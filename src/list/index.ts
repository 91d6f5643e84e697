// Public surface of src/list (re-exported by src/index.ts). Keep names unique across areas.
export {};
