package dev.rill.runtime.internal.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.internal.kernel.KernelProvider;
import dev.rill.runtime.internal.kernel.WeightPrecision;
import dev.rill.runtime.internal.layer.ModelPlan;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link SequenceRunner} projects the inputs a chunk of steps at a time; whatever the chunk (one step, a few
 * steps that do not divide T, or the whole sequence), forward and reverse directions with unequal sequence
 * lengths give bitwise the same outputs and final states, because each row's projection does not depend on
 * the rows computed with it.
 */
class SequenceRunnerChunkTest {

  private static final int STEPS = 13;
  private static final int BATCH = 7;

  @Test
  void chunkedProjectionsEqualOneWholeProjectionBitwise() {
    Options d = Options.DEFAULT;
    RillModel proto = new RandomModels(8).vectorInput(5)
        .lstm(9, Direction.BIDIRECTIONAL, d.withPeepholes())
        .gru(6, Direction.REVERSE, d.withLinearBeforeReset())
        .rnn(4, Direction.FORWARD, d)
        .dense(3, OutputActivation.NONE).build();
    Random random = new Random(9);
    float[] x = new float[STEPS * BATCH * 5];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextFloat() * 2f - 1f;
    }
    int[] lengths = {STEPS, 0, 5, STEPS, 1, 12, 7};
    try (Arena arena = Arena.ofShared()) {
      ModelPlan plan = ModelPlan.build(proto, WeightPrecision.FP32, KernelProvider.get(), arena);
      SequenceRunner.Result whole = SequenceRunner.run(plan, x, null, STEPS, BATCH, lengths, null, null,
          Long.MAX_VALUE);
      // One step of the largest layer (LSTM, 2 directions run separately: 4 * 9 gate rows) per chunk is
      // BATCH * 36 floats; chunks of 1 step (any size below that) and of 5 steps (13 = 5 + 5 + 3).
      for (long bytes : new long[] {1, 5L * BATCH * 36 * Float.BYTES}) {
        SequenceRunner.Result chunked = SequenceRunner.run(plan, x, null, STEPS, BATCH, lengths, null, null, bytes);
        String what = "chunks of " + bytes + " bytes";
        assertArrayEquals(whole.output(), chunked.output(), what + ": output");
        assertEquals(whole.layerOutputs().length, chunked.layerOutputs().length);
        for (int r = 0; r < whole.layerOutputs().length; r++) {
          assertArrayEquals(whole.layerOutputs()[r], chunked.layerOutputs()[r], what + ": layer " + r);
          assertArrayEquals(whole.finalHidden()[r], chunked.finalHidden()[r], what + ": h " + r);
          assertArrayEquals(whole.finalCell()[r], chunked.finalCell()[r], what + ": c " + r);
        }
      }
    }
  }
}
