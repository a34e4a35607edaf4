// onnxruntime-web's own module factory, unchanged, with the module it makes kept where the decoder's key/value
// bridge (kv_bridge.js) finds it. The engine names this file in `ort.env.wasm.wasmPaths` for the CPU bundle; the
// runtime's worker threads load the real module file themselves.
import factory from './ort-wasm-simd-threaded.mjs';

export default async function scoutOrtWasm(config) {
  const module = await factory(config);
  globalThis.__scoutOrtModule = module;
  return module;
}
