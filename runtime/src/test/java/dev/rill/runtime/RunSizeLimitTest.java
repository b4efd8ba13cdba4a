package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import org.junit.jupiter.api.Test;

/**
 * {@link Model#run}: a result longer than a Java array can be is refused up front with an
 * IllegalArgumentException, instead of an int product of steps × batch × width that wraps around.
 */
class RunSizeLimitTest {

  @Test
  void aDenseOutputOfMoreThanTwoGigaFloatsIsRefused() {
    // 4,096 × 1,048,577 = 2^32 + 4,096: the int product wrapped to 4,096 floats.
    try (Model model = Model.of(new RandomModels(2).vectorInput(1).dense(1_048_577, OutputActivation.NONE)
        .build())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> model.run(SequenceBatch.ofVectors(new float[4096], 4096, 1)));
      assertTrue(e.getMessage().contains("4096 × 1 × 1048577 = 4294971392 floats"), e.getMessage());
      assertTrue(e.getMessage().contains("more than a Java array"), e.getMessage());
    }
  }

  @Test
  void aRecurrentOutputOfTwoToTheThirtyOneFloatsIsRefused() {
    // batch 2^20 × H 2^11 = 2^31: the int product wrapped to a negative array length.
    try (Model model = Model.of(new RandomModels(3).vectorInput(1).rnn(2048, Direction.FORWARD, Options.DEFAULT)
        .build())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> model.run(SequenceBatch.ofVectors(new float[1 << 20], 1, 1 << 20)));
      assertTrue(e.getMessage().contains("the outputs of layer"), e.getMessage());
      assertTrue(e.getMessage().contains("= 2147483648 floats"), e.getMessage());
    }
  }
}
