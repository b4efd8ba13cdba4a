package dev.rill.format;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the .rill reader with arbitrary bytes. The contract for untrusted files: a malformed file fails with a
 * {@link ModelFormatException}; anything else (an index or arithmetic exception, an OutOfMemoryError, a
 * StackOverflowError) propagates and is a finding.
 *
 * <p>Without {@code JAZZER_FUZZ=1} this runs once per committed input under
 * {@code src/test/resources/dev/rill/format/ModelReaderFuzzTestInputs/readBytes/}; {@code ./rill-fuzz} fuzzes it.
 */
class ModelReaderFuzzTest {

  @FuzzTest(maxDuration = "5m")
  void readBytes(byte[] data) {
    try {
      new ModelReader().read(data);
    } catch (ModelFormatException expected) {
      // the documented outcome of a malformed file
    }
  }
}
