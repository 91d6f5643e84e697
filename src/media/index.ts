// Public surface of src/media (re-exported by src/index.ts). Keep names unique across areas.
export {};
