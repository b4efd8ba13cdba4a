package dev.rill.runtime.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The vectorised sigmoid and tanh of {@link VectorMath} against double-precision {@link Math} references over
 * the whole float range: a dense grid of [-20, 20] (step 2^-12), every power-of-two magnitude up to
 * Float.MAX_VALUE with neighbours, random bit patterns, subnormals, ±0, ±Inf and NaN. The largest absolute
 * error must be at most 1e-6, saturation exact (±Inf gives ±1 for tanh, 1 and 0 for sigmoid), NaN stays NaN,
 * and interpreted and compiled code give bitwise the same results.
 */
class VectorMathTest {

  private static final double BOUND = 1e-6;
  private static final int ROUNDS = 12;

  @BeforeAll
  static void needsTheVectorModule() {
    assumeTrue(KernelProvider.moduleProblem() == null, "jdk.incubator.vector is not available: "
        + KernelProvider.moduleProblem());
  }

  static float[] sweep() {
    float[] grid = new float[40 * 4096 + 1];
    for (int i = 0; i < grid.length; i++) {
      grid[i] = -20f + i / 4096f;
    }
    float[] extra = new float[2 * 4 * 280 + 200_000 + 16];
    int n = 0;
    for (int e = -149; e <= 127; e++) {
      float p = Math.scalb(1f, e);
      for (float v : new float[] {p, Math.nextUp(p), Math.nextDown(p), 1.5f * p}) {
        if (Float.isFinite(v)) {
          extra[n++] = v;
          extra[n++] = -v;
        }
      }
    }
    Random random = new Random(42);
    for (int i = 0; i < 200_000; i++) {
      extra[n++] = Float.intBitsToFloat(random.nextInt());
    }
    float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL,
        Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 8.9f, -8.9f,
        1e-7f, -1e-7f, 88.7f};
    System.arraycopy(special, 0, extra, n, special.length);
    n += special.length;
    float[] all = Arrays.copyOf(grid, grid.length + n);
    System.arraycopy(extra, 0, all, grid.length, n);
    return all;
  }

  /**
   * The largest error of {@code function} over {@code x} in ROUNDS runs: the first rounds run in the
   * interpreter (the Vector API's per-lane fallbacks), the later ones as C2 code, so both are checked, and
   * they must agree bitwise.
   */
  static double maxErrorOverRounds(InPlace function, float[] x, DoubleUnaryOperator exact,
      String name) {
    double max = 0;
    float[] first = null;
    for (int round = 0; round < ROUNDS; round++) {
      float[] y = applyOnce(function, x);
      max = Math.max(max, maxError(x, y, exact, name));
      if (first == null) {
        first = y;
      } else {
        for (int i = 0; i < x.length; i++) {
          // Only exactly rounded operations: the interpreter and C2 must agree bit for bit, or results would
          // depend on JIT timing (a session moving between threads, a split step).
          assertEquals(Float.floatToIntBits(first[i]), Float.floatToIntBits(y[i]),
              name + "(" + x[i] + ") differs between round 0 and round " + round);
        }
      }
    }
    return max;
  }

  /** Runs {@code function} in place over x, one vector at a time, in an off-heap segment. */
  static float[] applyOnce(InPlace function, float[] x) {
    int lanes = VectorShapes.LANES;
    int padded = (x.length + lanes - 1) / lanes * lanes;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment segment = OffHeap.floats(arena, padded);
      MemorySegment.copy(x, 0, segment, JAVA_FLOAT, 0, x.length);
      for (long at = 0; at < padded * 4L; at += VectorShapes.VECTOR_BYTES) {
        function.apply(segment, at);
      }
      return OffHeap.toArray(segment, 0, x.length);
    }
  }

  /** An in-place vector function at a byte offset. */
  interface InPlace {
    void apply(MemorySegment segment, long at);
  }

  static final InPlace TANH = (segment, at) -> VectorMath.activate(segment, at, VectorMath.TANH);
  static final InPlace SIGMOID = (segment, at) -> VectorMath.activate(segment, at, VectorMath.SIGMOID);

  static double maxError(float[] x, float[] y, DoubleUnaryOperator exact, String name) {
    double max = 0;
    for (int i = 0; i < x.length; i++) {
      if (Float.isNaN(x[i])) {
        assertTrue(Float.isNaN(y[i]), name + "(NaN) must be NaN, got " + y[i]);
        continue;
      }
      double error = Math.abs(y[i] - exact.applyAsDouble(x[i]));
      assertTrue(error <= BOUND, name + "(" + x[i] + ") = " + y[i] + ", error " + error);
      max = Math.max(max, error);
    }
    return max;
  }

  static double exactSigmoid(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }

  @Test
  void tanhWithinBoundOverTheWholeFloatRange() {
    float[] x = sweep();
    double max = maxErrorOverRounds(TANH, x, Math::tanh, "tanh");
    System.out.println("VectorMath.tanh: max abs error " + max + " over " + x.length + " floats");
    float[] s = applyOnce(TANH, new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 30f, -30f,
        Float.MAX_VALUE, -Float.MAX_VALUE, 0f, -0f, 1e-5f, -3e-30f});
    assertEquals(1f, s[0]);
    assertEquals(-1f, s[1]);
    assertEquals(1f, s[2]);
    assertEquals(-1f, s[3]);
    assertEquals(1f, s[4]);
    assertEquals(-1f, s[5]);
    // Near 0 the rational itself is x to about 1e-7 relative, so tiny inputs stay accurate (-0 gives 0).
    assertEquals(0f, s[6]);
    assertEquals(0f, s[7], 0f);
    assertEquals(1e-5f, s[8], 2e-7 * 1e-5f);
    assertEquals(-3e-30f, s[9], 2e-7 * 3e-30f);
  }

  @Test
  void sigmoidWithinBoundOverTheWholeFloatRange() {
    float[] x = sweep();
    double max = maxErrorOverRounds(SIGMOID, x, VectorMathTest::exactSigmoid, "sigmoid");
    System.out.println("VectorMath.sigmoid: max abs error " + max + " over " + x.length + " floats");
    float[] s = applyOnce(SIGMOID, new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 100f,
        -200f, Float.MAX_VALUE, -Float.MAX_VALUE, 0f});
    assertEquals(1f, s[0]);
    assertEquals(0f, s[1]);
    assertEquals(1f, s[2]);
    assertEquals(0f, s[3]);
    assertEquals(1f, s[4]);
    assertEquals(0f, s[5]);
    assertEquals(0.5f, s[6]);
  }

  @Test
  void activationsByCodeAndClip() {
    float[] x = {-3f, -0.5f, 0f, 0.25f, 2f, 7f, Float.NaN, -9f};
    float[] sig = applyOnce(SIGMOID, x);
    float[] tanh = applyOnce(TANH, x);
    // Clip to [-1.5, 1.5] first, then tanh, as the kernels do for a clipped gate.
    float[] clippedTanh = applyOnce((segment, at) -> VectorMath.activate(segment, at, true, 1.5f,
        VectorMath.scaleIn(VectorMath.TANH), VectorMath.scaleOut(VectorMath.TANH), VectorMath.offset(VectorMath.TANH)),
        x);
    for (int i = 0; i < x.length; i++) {
      assertEquals(ActivationFunction.SIGMOID.apply(x[i]), sig[i], 1e-6, "sigmoid " + x[i]);
      assertEquals(ActivationFunction.TANH.apply(x[i]), tanh[i], 1e-6, "tanh " + x[i]);
      assertEquals(ActivationFunction.TANH.apply(Math.max(-1.5f, Math.min(1.5f, x[i]))), clippedTanh[i], 1e-6,
          "clipped tanh " + x[i]);
    }
    assertEquals(-1, VectorMath.code(ActivationFunction.RELU));
  }
}
