package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Calls with arguments a caller controls fail with an IllegalArgumentException and leave the state as it was. */
class HostileCallsTest {

  private static final RillModel MODEL = new RandomModels(12).vectorInput(3)
      .gru(5, Direction.FORWARD, Options.DEFAULT).build();

  @Test
  void aStreamBatchLargerThanTheMaximumIsAnArgumentError() {
    try (Model model = Model.of(MODEL)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> model.newStreamBatch(Integer.MAX_VALUE));
      assertTrue(e.getMessage().contains("MAX_CAPACITY"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> model.newStreamBatch(StreamBatch.MAX_CAPACITY + 1));
      model.newStreamBatch(StreamBatch.MAX_CAPACITY).close();
    }
  }

  @Test
  void aReadOnlyOutputSegmentFailsBeforeTheStateAdvances() {
    float[] x = {0.5f, -1f, 2f};
    try (Model model = Model.of(MODEL); StreamingSession session = model.newSession();
        StreamingSession reference = model.newSession(); Arena arena = Arena.ofConfined()) {
      MemorySegment input = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
      MemorySegment readOnly = arena.allocate(5L * Float.BYTES).asReadOnly();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> session.step(input, readOnly));
      assertTrue(e.getMessage().contains("read-only"), e.getMessage());
      // The failed call took no step: both sessions now give the first step's output.
      float[] expected = new float[5];
      float[] actual = new float[5];
      reference.step(x, expected);
      session.step(x, actual);
      assertArrayEquals(expected, actual);
    }
  }
}
