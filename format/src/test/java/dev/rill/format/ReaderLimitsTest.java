package dev.rill.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ReaderLimitsTest {
  @Test
  void defaultsFitJavaArrays() {
    assertEquals(ReaderLimits.MAX_FILE_BYTES, ReaderLimits.DEFAULT.maxFileBytes());
    assertEquals(1L << 29, ReaderLimits.DEFAULT.maxTensorElements());
  }

  @Test
  void rejectsLimitsOutOfRange() {
    var e = assertThrows(IllegalArgumentException.class, () -> ReaderLimits.DEFAULT.withMaxFileBytes(0));
    assertEquals("ReaderLimits.maxFileBytes is 0; it must be in [1, 2147483631]", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ReaderLimits.DEFAULT.withMaxFileBytes(1L << 31));
    assertThrows(IllegalArgumentException.class, () -> ReaderLimits.DEFAULT.withMaxTensorElements(1L << 31));
    assertThrows(IllegalArgumentException.class, () -> new ReaderLimits(10, 10, 0, 1, 1, 1));
  }

  @Test
  void withersChangeOneLimit() {
    ReaderLimits l = ReaderLimits.DEFAULT.withMaxFileBytes(100).withMaxTensorElements(7);
    assertEquals(new ReaderLimits(100, 7, 8, 65_536, 1024, 1L << 24), l);
  }
}
