package dev.rill.runtime.internal.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Lucene-style comparison of {@link VectorKernels} against the reference {@link ScalarKernels}: the same
 * random weights, inputs and states through {@code step} (two steps, so the second reads updated state),
 * {@code projectInputs} + {@code stepProjected}, and dense {@code apply}, over odd sizes (1 to 1025, X and
 * H varied independently), every cell kind and attribute (clip, peepholes, input_forget,
 * linear_before_reset 0 and 1, activation overrides with alpha and beta), one stream and several, and the
 * three weight precisions (each side rounds its weights with {@link WeightQuantizer}, so bf16 and int8 are
 * held to the same bound as fp32).
 *
 * <p>Tolerance: every value must satisfy {@code |vector - scalar| <= 1e-5 * max(1, |scalar|)}, i.e. 1e-5
 * relative above 1 in magnitude and 1e-5 absolute below. The kernels sum in different orders (and the vector
 * kernels use FMA and a rational tanh within 2.6e-7), so they are not bitwise equal.
 *
 * <p>The vector side needs {@code jdk.incubator.vector}; without it the test is skipped with a message.
 */
class KernelComparisonTest {

  static final double TOLERANCE = 1e-5;

  static final int[] SIZES = {1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 255, 257, 1000, 1023, 1025};

  /** One cell configuration: kind and attributes. */
  record Variant(String name, CellKind kind, boolean peepholes, float clip, boolean inputForget, boolean lbr,
      List<ActivationFunction> activations) {}

  static final ActivationFunction S = ActivationFunction.SIGMOID;
  static final ActivationFunction T = ActivationFunction.TANH;

  static ActivationFunction fn(ActivationFunction.Kind kind, float alpha, float beta) {
    return new ActivationFunction(kind, alpha, beta);
  }

  static final List<Variant> VARIANTS = List.of(
      new Variant("LSTM", CellKind.LSTM, false, Float.NaN, false, false, List.of(S, T, T)),
      new Variant("LSTM peepholes clip", CellKind.LSTM, true, 0.5f, false, false, List.of(S, T, T)),
      new Variant("LSTM input_forget peepholes", CellKind.LSTM, true, Float.NaN, true, false, List.of(S, T, T)),
      new Variant("LSTM tanh/sigmoid swapped", CellKind.LSTM, false, 2f, false, false, List.of(T, S, S)),
      new Variant("LSTM HardSigmoid/LeakyRelu/Softsign", CellKind.LSTM, true, Float.NaN, false, false,
          List.of(fn(ActivationFunction.Kind.HARD_SIGMOID, 0.3f, 0.45f),
              fn(ActivationFunction.Kind.LEAKY_RELU, 0.1f, 0f), fn(ActivationFunction.Kind.SOFTSIGN, 0f, 0f))),
      new Variant("GRU", CellKind.GRU, false, Float.NaN, false, false, List.of(S, T)),
      new Variant("GRU clip", CellKind.GRU, false, 0.7f, false, false, List.of(S, T)),
      new Variant("GRU linear_before_reset", CellKind.GRU, false, Float.NaN, false, true, List.of(S, T)),
      new Variant("GRU linear_before_reset clip", CellKind.GRU, false, 0.6f, false, true, List.of(T, S)),
      new Variant("GRU ScaledTanh/Elu", CellKind.GRU, false, Float.NaN, false, false,
          List.of(fn(ActivationFunction.Kind.SCALED_TANH, 0.5f, 1.5f), fn(ActivationFunction.Kind.ELU, 0.8f, 0f))),
      new Variant("GRU linear_before_reset Affine/Softplus", CellKind.GRU, false, 1f, false, true,
          List.of(fn(ActivationFunction.Kind.AFFINE, 0.4f, 0.2f), fn(ActivationFunction.Kind.SOFTPLUS, 0f, 0f))),
      new Variant("minimal GRU", CellKind.MINIMAL_GRU, false, Float.NaN, false, false, List.of(S, T)),
      new Variant("minimal GRU clip ThresholdedRelu", CellKind.MINIMAL_GRU, false, 0.8f, false, false,
          List.of(S, fn(ActivationFunction.Kind.THRESHOLDED_RELU, 0.1f, 0f))),
      new Variant("RNN", CellKind.RNN, false, Float.NaN, false, false, List.of(T)),
      new Variant("RNN clip sigmoid", CellKind.RNN, false, 0.3f, false, false, List.of(S)),
      new Variant("RNN Relu", CellKind.RNN, false, Float.NaN, false, false, List.of(ActivationFunction.RELU)));

  /**
   * Every size as X with a small H and as H with a small X. All variants and precisions up to 257; above, a
   * rotating subset so the whole test stays within seconds.
   */
  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (int i = 0; i < SIZES.length; i++) {
      int size = SIZES[i];
      int small = SIZES[(i * 7 + 3) % 9];
      int[][] shapes = {{size, small}, {small, size}};
      for (int[] shape : shapes) {
        for (int v = 0; v < VARIANTS.size(); v++) {
          boolean big = size > 257;
          if (big && (v + i + shape[1]) % 5 != 0) {
            continue;
          }
          for (WeightPrecision precision : WeightPrecision.values()) {
            if (precision != WeightPrecision.FP32 && (big ? v % 2 == 0 : (v + i) % 3 != 0)) {
              continue;
            }
            // 5: a tile of four and a single stream; 6: a full group (fp32: one tile of six)
            int streams = new int[] {1, 5, 6}[(i + v + precision.ordinal()) % 3];
            cases.add(Arguments.of(VARIANTS.get(v).name(), VARIANTS.get(v), shape[0], shape[1], streams,
                precision));
          }
        }
      }
    }
    return cases.stream();
  }

  static Kernels vectorKernels() {
    String problem = KernelProvider.moduleProblem();
    assumeTrue(problem == null, "vector kernels not tested: " + problem);
    return VectorKernels.INSTANCE;
  }

  @ParameterizedTest(name = "{0} X={2} H={3} n={4} {5}")
  @MethodSource("cases")
  void cellMatchesScalar(String name, Variant variant, int inputSize, int hidden, int streams,
      WeightPrecision precision) {
    Kernels vector = vectorKernels();
    Random random = new Random(31L * inputSize + 17L * hidden + name.hashCode() + precision.ordinal());
    CellSpec spec = spec(variant, inputSize, hidden, random);
    String what = name + " X=" + inputSize + " H=" + hidden + " n=" + streams + " " + precision;
    try (Arena arena = Arena.ofConfined()) {
      CellKernel expectedCell = ScalarKernels.INSTANCE.prepareCell(spec, precision, arena);
      CellKernel actualCell = vector.prepareCell(spec, precision, arena);
      // Projections of 5 rows (a tile of four and a single row), or with 6 streams of 59 rows: fp32 six-row
      // tiles over more than one chunk of 48 rows, then a tile of four and a single row.
      int rows = streams == 6 ? 59 : 5;
      float[] x = values(random, rows * inputSize, 1f);
      float[] h = values(random, streams * hidden, 0.9f);
      float[] c = values(random, streams * hidden, 2f);

      State expected = new State(arena, x, h, c);
      State actual = new State(arena, x, h, c);
      for (int t = 0; t < 2; t++) {
        expected.step(expectedCell, streams);
        actual.step(actualCell, streams);
        compare(expected.h, actual.h, streams * hidden, what + " step " + t + " h");
        if (variant.kind() == CellKind.LSTM) {
          compare(expected.c, actual.c, streams * hidden, what + " step " + t + " c");
        }
      }

      int gateRows = variant.kind().gates() * hidden;
      MemorySegment expectedProj = OffHeap.floats(arena, (long) rows * gateRows);
      MemorySegment actualProj = OffHeap.floats(arena, (long) rows * gateRows);
      expectedCell.projectInputs(expected.x, 0, rows, expectedProj, 0, scratch(arena, expectedCell));
      actualCell.projectInputs(actual.x, 0, rows, actualProj, 0, scratch(arena, actualCell));
      compare(expectedProj, actualProj, rows * gateRows, what + " projectInputs");
      State expectedP = new State(arena, x, h, c);
      State actualP = new State(arena, x, h, c);
      expectedP.stepProjected(expectedCell, expectedProj, streams);
      actualP.stepProjected(actualCell, expectedProj, streams);
      compare(expectedP.h, actualP.h, streams * hidden, what + " stepProjected h");
      if (variant.kind() == CellKind.LSTM) {
        compare(expectedP.c, actualP.c, streams * hidden, what + " stepProjected c");
      }
    }
  }

  /**
   * The cells {@link WholeRowStep} serves (LSTM, linear_before_reset GRU, with and without clip; H a multiple of
   * the block) for batches that take each of its paths: one or two streams (stream by stream), three to six
   * (slot by slot in tiles), more than six, and more than one chunk of 48.
   */
  static Stream<Arguments> batchedCases() {
    List<Variant> served = VARIANTS.stream()
        .filter(v -> v.name().equals("LSTM") || v.name().equals("LSTM tanh/sigmoid swapped")
            || v.name().startsWith("GRU linear_before_reset") && !v.name().contains("Affine"))
        .toList();
    int[][] shapes = {{1, 16}, {17, 64}, {64, 128}, {33, 256}};
    int[] streams = {1, 2, 3, 4, 5, 7, 8, 13, 49};
    List<Arguments> cases = new ArrayList<>();
    int i = 0;
    for (int[] shape : shapes) {
      for (int n : streams) {
        for (Variant variant : served) {
          WeightPrecision precision = WeightPrecision.values()[i++ % 3];
          if (shape[1] <= 128 || n <= 8) {
            cases.add(Arguments.of(variant.name(), variant, shape[0], shape[1], n, precision));
          }
        }
      }
    }
    return cases.stream();
  }

  /**
   * A batch against the scalar kernels, and every stream of it bitwise against the same stream stepped alone
   * (and projected alone): a stream's result must not depend on the batch it is in (which path of the kernel
   * computes it).
   */
  @ParameterizedTest(name = "{0} X={2} H={3} n={4} {5}")
  @MethodSource("batchedCases")
  void batchMatchesScalarAndSingleStreams(String name, Variant variant, int inputSize, int hidden, int streams,
      WeightPrecision precision) {
    Kernels vector = vectorKernels();
    Random random = new Random(7L * inputSize + 13L * hidden + streams + name.hashCode());
    CellSpec spec = spec(variant, inputSize, hidden, random);
    String what = name + " X=" + inputSize + " H=" + hidden + " n=" + streams + " " + precision;
    try (Arena arena = Arena.ofConfined()) {
      CellKernel expectedCell = ScalarKernels.INSTANCE.prepareCell(spec, precision, arena);
      CellKernel actualCell = vector.prepareCell(spec, precision, arena);
      float[] x = values(random, streams * inputSize, 1f);
      float[] h = values(random, streams * hidden, 0.9f);
      float[] c = values(random, streams * hidden, 2f);
      int gateRows = variant.kind().gates() * hidden;
      MemorySegment proj = OffHeap.floats(arena, (long) streams * gateRows);
      actualCell.projectInputs(OffHeap.copyOf(arena, x), 0, streams, proj, 0, scratch(arena, actualCell));
      for (int s = 0; s < streams; s++) {
        MemorySegment row = OffHeap.floats(arena, gateRows);
        actualCell.projectInputs(OffHeap.copyOf(arena, slice(x, s, inputSize)), 0, 1, row, 0,
            scratch(arena, actualCell));
        assertArrayEquals(row.toArray(JAVA_FLOAT), proj.asSlice((long) s * gateRows * Float.BYTES,
            (long) gateRows * Float.BYTES).toArray(JAVA_FLOAT), what + ": projection of row " + s + " alone");
      }
      for (boolean projected : new boolean[] {false, true}) {
        State expected = new State(arena, x, h, c);
        State actual = new State(arena, x, h, c);
        for (int t = 0; t < 2; t++) {
          if (projected) {
            expected.stepProjected(expectedCell, proj, streams);
            actual.stepProjected(actualCell, proj, streams);
          } else {
            expected.step(expectedCell, streams);
            actual.step(actualCell, streams);
          }
        }
        String how = what + (projected ? " stepProjected" : " step");
        compare(expected.h, actual.h, streams * hidden, how + " h");
        if (variant.kind() == CellKind.LSTM) {
          compare(expected.c, actual.c, streams * hidden, how + " c");
        }
        for (int s = 0; s < streams; s++) {
          State alone = new State(arena, slice(x, s, inputSize), slice(h, s, hidden), slice(c, s, hidden));
          MemorySegment aloneProj = proj.asSlice((long) s * gateRows * Float.BYTES, (long) gateRows * Float.BYTES);
          for (int t = 0; t < 2; t++) {
            if (projected) {
              alone.stepProjected(actualCell, aloneProj, 1);
            } else {
              alone.step(actualCell, 1);
            }
          }
          assertArrayEquals(alone.h.toArray(JAVA_FLOAT), actual.h.asSlice((long) s * hidden * Float.BYTES,
              (long) hidden * Float.BYTES).toArray(JAVA_FLOAT), how + ": stream " + s + " alone, h");
          if (variant.kind() == CellKind.LSTM) {
            assertArrayEquals(alone.c.toArray(JAVA_FLOAT), actual.c.asSlice((long) s * hidden * Float.BYTES,
                (long) hidden * Float.BYTES).toArray(JAVA_FLOAT), how + ": stream " + s + " alone, c");
          }
        }
      }
    }
  }

  /** The scratch projectInputs asks for, and no more, so that a kernel writing past it fails. */
  private static MemorySegment scratch(Arena arena, CellKernel cell) {
    return arena.allocate(Math.max(1, cell.scratchBytes(1)), 64);
  }

  private static float[] slice(float[] rows, int row, int width) {
    return java.util.Arrays.copyOfRange(rows, row * width, (row + 1) * width);
  }

  static Stream<Arguments> denseCases() {
    List<Arguments> cases = new ArrayList<>();
    for (int i = 0; i < SIZES.length; i++) {
      int size = SIZES[i];
      int small = SIZES[(i * 5 + 2) % 11];
      for (WeightPrecision precision : WeightPrecision.values()) {
        cases.add(Arguments.of(size, small, precision));
        cases.add(Arguments.of(small, size, precision));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "dense in={0} out={1} {2}")
  @MethodSource("denseCases")
  void denseMatchesScalar(int inputSize, int outputSize, WeightPrecision precision) {
    Kernels vector = vectorKernels();
    Random random = new Random(inputSize * 1000L + outputSize);
    float[] weight = values(random, inputSize * outputSize, (float) (1 / Math.sqrt(inputSize)));
    float[] bias = values(random, outputSize, 0.5f);
    String what = "dense in=" + inputSize + " out=" + outputSize + " " + precision;
    try (Arena arena = Arena.ofConfined()) {
      DenseKernel expectedKernel = ScalarKernels.INSTANCE.prepareDense(weight, bias, outputSize, inputSize,
          precision, arena);
      DenseKernel actualKernel = vector.prepareDense(weight, bias, outputSize, inputSize, precision, arena);
      for (int rows : new int[] {1, 6}) {
        MemorySegment x = OffHeap.copyOf(arena, values(random, rows * inputSize, 1f));
        MemorySegment expected = OffHeap.floats(arena, (long) rows * outputSize);
        // Guard floats after the output catch a store past the last row.
        MemorySegment actual = OffHeap.floats(arena, (long) rows * outputSize + 16);
        actual.fill((byte) 0x7f);
        expectedKernel.apply(x, 0, expected, 0, rows);
        actualKernel.apply(x, 0, actual, 0, rows);
        compare(expected, actual, rows * outputSize, what + " rows=" + rows);
        for (int g = 0; g < 16; g++) {
          if (actual.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, (long) rows * outputSize + g)
              != Float.intBitsToFloat(0x7f7f7f7f)) {
            fail(what + ": wrote past the output");
          }
        }
      }
    }
  }

  /** Inputs, states and scratch of one kernel, with guard space after h and c. */
  static final class State {
    final Arena arena;
    final MemorySegment x;
    final MemorySegment h;
    final MemorySegment c;

    State(Arena arena, float[] x, float[] h, float[] c) {
      this.arena = arena;
      this.x = OffHeap.copyOf(arena, x);
      this.h = OffHeap.copyOf(arena, h);
      this.c = OffHeap.copyOf(arena, c);
    }

    void step(CellKernel cell, int streams) {
      cell.step(x, 0, h, 0, c, 0, streams, arena.allocate(Math.max(1, cell.scratchBytes(streams)), 64));
    }

    void stepProjected(CellKernel cell, MemorySegment proj, int streams) {
      cell.stepProjected(proj, 0, h, 0, c, 0, streams, arena.allocate(Math.max(1, cell.scratchBytes(streams)), 64));
    }
  }

  static CellSpec spec(Variant variant, int inputSize, int hidden, Random random) {
    int gateRows = variant.kind().gates() * hidden;
    float scale = (float) (1 / Math.sqrt(inputSize + hidden));
    return new CellSpec(variant.kind(), inputSize, hidden,
        values(random, gateRows * inputSize, 2 * scale), values(random, gateRows * hidden, 2 * scale),
        values(random, gateRows, 0.5f), values(random, gateRows, 0.5f),
        variant.peepholes() ? values(random, 3 * hidden, 0.5f) : null, variant.activations(), variant.clip(),
        variant.inputForget(), variant.lbr());
  }

  static float[] values(Random random, int count, float scale) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (random.nextFloat() * 2 - 1) * scale;
    }
    return values;
  }

  static void compare(MemorySegment expected, MemorySegment actual, int count, String what) {
    for (int i = 0; i < count; i++) {
      float e = expected.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
      float a = actual.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
      if (!(Math.abs(a - e) <= TOLERANCE * Math.max(1, Math.abs(e)))) {
        fail(what + "[" + i + "]: scalar " + e + ", vector " + a);
      }
    }
  }
}
