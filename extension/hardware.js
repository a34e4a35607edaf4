// @ts-check
/**
 * What the engine's backend choice (`core::hardware`) needs to know about this device: the WebGPU adapter (features,
 * limits, software or not), memory, cores, cross-origin isolation. Read by the offscreen document, and by the GPU
 * benchmark page (tests/gpu/) that runs the same engine outside the extension.
 */

/** Facts for the core's backend choice (`core::hardware`). */
export async function hardwareProfile() {
  /** @type {any} */
  const nav = navigator;
  const webgpu = { available: false, is_fallback: false, features: /** @type {string[]} */ ([]), max_buffer_size: null, vendor: null, architecture: null };
  try {
    const adapter = nav.gpu ? await nav.gpu.requestAdapter() : null;
    if (adapter) {
      const info = adapter.info || {};
      webgpu.available = true;
      webgpu.is_fallback = !!(adapter.isFallbackAdapter || info.isFallbackAdapter);
      webgpu.features = [...adapter.features];
      webgpu.max_buffer_size = adapter.limits ? Number(adapter.limits.maxBufferSize) : null;
      webgpu.vendor = info.vendor || null;
      webgpu.architecture = info.architecture || null;
    }
  } catch {
    // No adapter is a normal answer: the core picks WASM.
  }
  return {
    webgpu,
    device_memory_gb: nav.deviceMemory ?? null,
    hardware_concurrency: navigator.hardwareConcurrency || 1,
    cross_origin_isolated: self.crossOriginIsolated === true,
  };
}
