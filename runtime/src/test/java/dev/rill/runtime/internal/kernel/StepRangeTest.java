package dev.rill.runtime.internal.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.internal.layer.ModelPlan;
import dev.rill.runtime.internal.layer.RecurrentLayer;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link CellKernel#stepRange} over any split of the units, phase by phase, gives bitwise the same state as
 * {@link CellKernel#step}: the contract that makes results independent of the thread count. Runs for the
 * scalar kernels and for the kernels {@link KernelProvider} picks, when they support ranges.
 */
class StepRangeTest {

  private static final int X = 5;

  /**
   * Each cell with H = 13 for 3 streams (a partial block) and with H = 64 for 1 and 8 streams, where the
   * vector LSTM and linear_before_reset GRU take {@link WholeRowStep} for whole steps and ranges alike (one
   * stream at a time, and in tiles of streams).
   */
  static Stream<Arguments> cells() {
    return Stream.of(new int[] {13, 3}, new int[] {64, 1}, new int[] {64, 8})
        .flatMap(shape -> cells(shape[0]).map(c -> Arguments.of(c.get()[0] + " H=" + shape[0] + " n=" + shape[1],
            c.get()[1], c.get()[2], shape[0], shape[1])));
  }

  static Stream<Arguments> cells(int hidden) {
    Options d = Options.DEFAULT;
    Stream<Arguments> cases = Stream.of(
        Arguments.of("LSTM", new RandomModels(1).vectorInput(X).lstm(hidden, Direction.FORWARD, d).build()),
        Arguments.of("LSTM peepholes clip", new RandomModels(2).vectorInput(X)
            .lstm(hidden, Direction.FORWARD, d.withPeepholes().withClip(0.4f)).build()),
        Arguments.of("LSTM input_forget", new RandomModels(3).vectorInput(X)
            .lstm(hidden, Direction.FORWARD, d.withInputForget()).build()),
        Arguments.of("GRU", new RandomModels(4).vectorInput(X).gru(hidden, Direction.FORWARD, d).build()),
        Arguments.of("GRU linear_before_reset", new RandomModels(5).vectorInput(X)
            .gru(hidden, Direction.FORWARD, d.withLinearBeforeReset()).build()),
        Arguments.of("minimal GRU", new RandomModels(6).vectorInput(X).minimalGru(hidden, Direction.FORWARD, d).build()),
        Arguments.of("RNN clip", new RandomModels(7).vectorInput(X).rnn(hidden, Direction.FORWARD, d.withClip(1f))
            .build()));
    return cases.flatMap(c -> Stream.of(
        Arguments.of(c.get()[0] + " scalar", c.get()[1], ScalarKernels.INSTANCE),
        Arguments.of(c.get()[0] + " " + KernelProvider.get().name(), c.get()[1], KernelProvider.get())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cells")
  void rangesEqualTheWholeStepBitwise(String name, RillModel proto, Kernels kernels, int hidden, int streams) {
    try (Arena arena = Arena.ofConfined()) {
      ModelPlan plan = ModelPlan.build(proto, WeightPrecision.FP32, kernels, arena);
      CellKernel cell = ((RecurrentLayer) plan.layers().getFirst()).cells().getFirst();
      assumeTrue(cell.supportsRanges(), kernels.name() + " kernels do not split steps");
      Random random = new Random(name.hashCode());
      MemorySegment x = random(arena, random, streams * X);
      MemorySegment h = random(arena, random, streams * hidden);
      MemorySegment c = random(arena, random, streams * hidden);
      MemorySegment wholeH = copy(arena, h);
      MemorySegment wholeC = copy(arena, c);
      cell.step(x, 0, wholeH, 0, wholeC, 0, streams, arena.allocate(cell.scratchBytes(streams), 64));

      int block = cell.unitBlock();
      int[][] splits = {{0, hidden}, {0, Math.min(hidden, block), hidden}, {0, Math.min(hidden, 2 * block), hidden},
          {0, Math.min(hidden, block), Math.min(hidden, 3 * block), hidden}};
      for (int[] split : splits) {
        MemorySegment hNext = OffHeap.floats(arena, streams * hidden);
        MemorySegment rangeC = copy(arena, c);
        MemorySegment shared = OffHeap.floats(arena, streams * hidden);
        for (int phase = 0; phase < cell.rangePhases(); phase++) {
          // Ranges in reverse order: no range may depend on another one of the same phase.
          for (int part = split.length - 2; part >= 0; part--) {
            int units = split[part + 1] - split[part];
            MemorySegment scratch = arena.allocate(Math.max(1, cell.rangeScratchBytes(streams, units)), 64);
            cell.stepRange(phase, x, 0, h, 0, hNext, 0, rangeC, 0, streams, split[part], split[part + 1], shared,
                scratch);
          }
        }
        String what = name + " split " + java.util.Arrays.toString(split);
        assertArrayEquals(wholeH.toArray(JAVA_FLOAT), hNext.toArray(JAVA_FLOAT), what + ": h");
        if (cell.spec().kind().hasCellState()) {
          assertArrayEquals(wholeC.toArray(JAVA_FLOAT), rangeC.toArray(JAVA_FLOAT), what + ": c");
        }
      }
    }
  }

  private static MemorySegment random(Arena arena, Random random, int count) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = random.nextFloat() * 2f - 1f;
    }
    return OffHeap.copyOf(arena, values);
  }

  private static MemorySegment copy(Arena arena, MemorySegment segment) {
    return OffHeap.copyOf(arena, segment.toArray(JAVA_FLOAT));
  }
}
