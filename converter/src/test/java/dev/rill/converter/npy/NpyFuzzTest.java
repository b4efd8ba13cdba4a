package dev.rill.converter.npy;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the .npy reader. The contract: a malformed file fails with an {@link NpyFormatException}; an array that
 * reads converts to floats or ints as its dtype allows. Anything else propagates and is a finding. Committed inputs
 * are under {@code src/test/resources/dev/rill/converter/npy/NpyFuzzTestInputs/readBytes/}.
 */
class NpyFuzzTest {

  @FuzzTest(maxDuration = "5m")
  void readBytes(byte[] data) {
    NpyArray array;
    try {
      array = Npy.read(data);
    } catch (NpyFormatException expected) {
      return; // the documented outcome of a malformed file
    }
    try {
      array.toFloats();
    } catch (IllegalStateException expected) {
      // the documented refusal of integers as vectors
    }
    try {
      array.toInts();
    } catch (IllegalStateException expected) {
      // the documented refusal of floats, or of int64 values beyond int, as token ids
    }
  }
}
