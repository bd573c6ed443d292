/**
 * Shared by the test/native files: running code on the original wasm kernels, and the one test
 * a file registers when the addon is not built.
 */
import { describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels, nativeAddonStatus, type NativeAddon } from '../../src/engine/native.js';
import { fusedMlpEnabled } from '../../src/engine/native_fused.js';

/** Runs fn with the original wasm kernels (and the composite MLPs), then re-enables native. */
export function onWasm<T>(addon: NativeAddon, fn: () => T): T {
  disableNativeKernels();
  try {
    expect(fusedMlpEnabled()).toBe(false);
    return fn();
  } finally {
    enableNativeKernels(addon);
  }
}

/** The test a file registers without a built addon (fails when GNNWB_REQUIRE_NATIVE=1, as in CI). */
export function describeNotRun(name: string): void {
  describe(name, () => {
    it(`NOT RUN: native addon unavailable (${nativeAddonStatus().reason})`, () => {
      expect(process.env.GNNWB_REQUIRE_NATIVE, 'GNNWB_REQUIRE_NATIVE=1 but the addon is not built').not.toBe('1');
    });
  });
}
